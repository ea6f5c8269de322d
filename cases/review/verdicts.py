"""Learning from caseworkers: each finding confirmed or dismissed (with a reason), audited; and
per finding code, how often people agreed with the reviewers (``permits review stats``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from cases.access import ROLE_RANK, Actor
from cases.audit import append_event
from cases.db import session_scope
from cases.errors import InvalidInput, NotFound, PermissionDenied
from cases.models import FindingVerdict, Review, utcnow
from cases.review.base import Finding

__all__ = [
    "CodeStats",
    "Verdict",
    "carry_verdicts",
    "detach_verdicts",
    "finding_stats",
    "mark_finding",
]

MAX_REASON = 2000


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class CodeStats:
    code: str
    confirmed: int
    dismissed: int

    @property
    def confirmed_share(self) -> float | None:
        marked = self.confirmed + self.dismissed
        return round(self.confirmed / marked, 3) if marked else None


def _parse(verdict: str) -> Verdict:
    try:
        return Verdict(verdict)
    except ValueError:
        raise InvalidInput("Choose confirmed or dismissed for the finding.") from None


def mark_finding(
    case_id: int, finding_index: int, verdict: str, reason: str, *, actor: Actor
) -> FindingVerdict:
    """Record a caseworker's verdict on finding ``finding_index`` of the case's review.

    A dismissal needs a reason. Sending the same verdict again (a double click) changes nothing
    and writes no second event; a different verdict replaces the first, audited as a change.
    """
    if actor.role not in ROLE_RANK:
        raise PermissionDenied("Only caseworkers mark findings confirmed or dismissed.")
    chosen, reason = _parse(verdict), reason.strip()
    if chosen is Verdict.DISMISSED and not reason:
        raise InvalidInput(
            "Say why the finding is dismissed: the reason is what the reviewers learn from."
        )
    if len(reason) > MAX_REASON:
        raise InvalidInput("The reason is too long: write at most 2000 characters.")
    with session_scope() as session:
        review = session.exec(
            select(Review).where(Review.case_id == case_id).with_for_update()
        ).first()
        stored = review.findings.get("findings", []) if review else []
        if review is None or review.id is None or not 0 <= finding_index < len(stored):
            raise NotFound("That finding is not in this case's review.")
        finding = Finding.from_json(stored[finding_index])
        row = session.exec(
            select(FindingVerdict).where(
                FindingVerdict.review_id == review.id,
                FindingVerdict.finding_index == finding_index,
            )
        ).first()
        if row is not None and (row.verdict, row.reason) == (chosen.value, reason):
            return row
        previous = row.verdict if row else None
        row = row or FindingVerdict(
            review_id=review.id,
            case_id=case_id,
            finding_index=finding_index,
            code=finding.code,
            finding_key=finding.key,
            finding=stored[finding_index],
            verdict=chosen.value,
            decided_by=actor.username,
        )
        row.verdict, row.reason, row.decided_by = chosen.value, reason, actor.username
        row.decided_at = utcnow()
        session.add(row)
        append_event(
            session,
            actor=actor.username,
            action="review.finding_marked",
            case_id=case_id,
            payload={
                "finding": finding_index,
                "code": finding.code,
                "verdict": chosen.value,
                "previous": previous,
                "reason": reason,
            },
        )
        session.flush()
        return row


def detach_verdicts(session: Session, case_id: int) -> int:
    """Before the case's review is removed to be made again: its verdicts stay, belonging to no
    review until the same finding comes back (:func:`carry_verdicts`). Returns how many."""
    rows = session.exec(
        select(FindingVerdict).where(
            FindingVerdict.case_id == case_id, col(FindingVerdict.review_id).is_not(None)
        )
    ).all()
    for row in rows:
        row.review_id = None
        session.add(row)
    session.flush()
    return len(rows)


def carry_verdicts(
    session: Session, review: Review, findings: list[Finding]
) -> dict[str, list[str]]:
    """The new review takes back each verdict whose finding came back (same key); the others
    stay resolved. Says which codes were kept and which stay resolved (for the audit trail)."""
    waiting = session.exec(
        select(FindingVerdict)
        .where(FindingVerdict.case_id == review.case_id, col(FindingVerdict.review_id).is_(None))
        .order_by(col(FindingVerdict.decided_at).desc())
    ).all()
    by_key: dict[str, list[FindingVerdict]] = {}
    for row in waiting:
        by_key.setdefault(row.finding_key, []).append(row)
    kept: list[str] = []
    for index, finding in enumerate(findings):
        rows = by_key.get(finding.key)
        if rows:
            row = rows.pop(0)  # the latest word on it
            row.review_id, row.finding_index = review.id, index
            session.add(row)
            kept.append(row.code)
    session.flush()
    resolved = [row.code for rows in by_key.values() for row in rows]
    return {"kept": kept, "resolved": sorted(resolved)}


def finding_stats(session: Session) -> list[CodeStats]:
    """Per finding code, how many findings people confirmed and dismissed."""
    rows = session.exec(
        select(FindingVerdict.code, FindingVerdict.verdict, func.count())
        .group_by(col(FindingVerdict.code), col(FindingVerdict.verdict))
        .order_by(col(FindingVerdict.code))
    )
    counts: dict[str, dict[str, int]] = {}
    for code, verdict, count in rows:
        counts.setdefault(code, {})[verdict] = count
    return [
        CodeStats(code, c.get(Verdict.CONFIRMED, 0), c.get(Verdict.DISMISSED, 0))
        for code, c in counts.items()
    ]
