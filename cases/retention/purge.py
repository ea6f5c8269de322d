"""The retention purge: ``retention_years`` (per permit type) after a case closed, its documents
and letters leave the content store and the personal data in its rows is replaced by a tombstone
(``cases.retention.tombstones``), keeping the decision record; a ``case.purged`` audit event
records the counts, and the chain head is anchored outside the database afterwards.

Each case is purged in its own transaction; its files are removed only after that commits (a
crash in between leaves files, never a row that names a removed file), and a file is removed only
when no case that still holds it remains unpurged (documents are stored by content, so two cases
that received the same scan share one file).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from cases.audit import Anchor, anchor_chain, append_event, blank_personal
from cases.catalogue import PermitType, load_catalogue
from cases.db import session_scope
from cases.documents import remove_document
from cases.intake.drop_folders import PROCESSED
from cases.models import (
    AuditPersonal,
    Case,
    Document,
    InformationRequest,
    Letter,
    OutboxMessage,
    utcnow,
)
from cases.notifications.transport import eml_path
from cases.repository import get_case
from cases.retention.tombstones import blank_case_rows
from cases.settings import get_settings

__all__ = [
    "ACTOR",
    "CasePurge",
    "RetentionReport",
    "due_case_ids",
    "plan_case",
    "purge_case",
    "run_retention",
]

ACTOR = "system:retention"
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class CasePurge:
    """What purging one case removes (or, in a dry run, would remove)."""

    case_id: int
    reference: str
    permit_type: str
    closed_at: str
    retention_years: int
    documents: int
    letters: int
    files_removed: int  # from the content store
    files_shared: int  # kept: another case not yet purged holds the same content
    messages: int
    requests: int
    personal_values: int  # kept beside audit events
    removable: tuple[str, ...] = field(default=(), repr=False)

    def counts(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("removable", "case_id")}


@dataclass
class RetentionReport:
    dry_run: bool
    cases: list[CasePurge] = field(default_factory=list)
    anchor: Anchor | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "cases": [{"case_id": c.case_id, **c.counts()} for c in self.cases],
            "anchored_seq": self.anchor.seq if self.anchor else None,
        }


def _due_condition(now: dt.datetime) -> ColumnElement[bool] | None:
    catalogue: dict[str, PermitType] = load_catalogue()
    conditions = [
        and_(
            col(Case.permit_type) == type_id,
            col(Case.closed_at) <= now - relativedelta(years=permit_type.permit.retention_years),
        )
        for type_id, permit_type in catalogue.items()
    ]
    return or_(*conditions) if conditions else None


def due_case_ids(session: Session, now: dt.datetime) -> list[int]:
    """Closed cases whose retention period has ended and that are not purged yet, oldest first
    (a permit type no longer in the catalogue has no period: its cases are kept)."""
    condition = _due_condition(now)
    if condition is None:
        return []
    statement = (
        select(Case.id)
        .where(col(Case.purged_at).is_(None), col(Case.closed_at).is_not(None), condition)
        .order_by(col(Case.closed_at), col(Case.id))
    )
    return [case_id for case_id in session.exec(statement) if case_id is not None]


def _stored_files(session: Session, case_id: int) -> set[str]:
    digests = set(session.exec(select(Document.sha256).where(Document.case_id == case_id)))
    for letter in session.exec(select(Letter).where(Letter.case_id == case_id)):
        digests.update(d for d in (letter.pdf_sha256, letter.html_sha256) if d)
    return digests


def _held_elsewhere(session: Session, digest: str, case_id: int | None) -> bool:
    """Whether a case other than ``case_id`` that is not purged holds this content."""
    live = and_(col(Case.purged_at).is_(None), col(Case.id) != (case_id or 0))
    document = select(Document.id).join(Case, col(Case.id) == Document.case_id)
    if session.exec(document.where(Document.sha256 == digest, live).limit(1)).first():
        return True
    letter = select(Letter.id).join(Case, col(Case.id) == Letter.case_id)
    either = or_(col(Letter.pdf_sha256) == digest, col(Letter.html_sha256) == digest)
    return session.exec(letter.where(either, live).limit(1)).first() is not None


def _count(session: Session, model: Any, case_id: int) -> int:
    return len(session.exec(select(model.id).where(model.case_id == case_id)).all())


def _plan(session: Session, case: Case, years: int) -> CasePurge:
    case_id = case.id or 0
    files = _stored_files(session, case_id)
    removable = tuple(sorted(d for d in files if not _held_elsewhere(session, d, case_id)))
    personal = select(AuditPersonal.id).where(
        AuditPersonal.case_id == case_id, col(AuditPersonal.salt).is_not(None)
    )
    return CasePurge(
        case_id=case_id,
        reference=case.reference,
        permit_type=case.permit_type,
        closed_at=case.closed_at.isoformat() if case.closed_at else "",
        retention_years=years,
        documents=_count(session, Document, case_id),
        letters=_count(session, Letter, case_id),
        files_removed=len(removable),
        files_shared=len(files) - len(removable),
        messages=_count(session, OutboxMessage, case_id),
        requests=_count(session, InformationRequest, case_id),
        personal_values=len(session.exec(personal).all()),
        removable=removable,
    )


def _years(case: Case) -> int | None:
    permit_type = load_catalogue().get(case.permit_type)
    return permit_type.permit.retention_years if permit_type else None


def _is_due(case: Case, years: int | None, now: dt.datetime) -> bool:
    if case.purged_at is not None or case.closed_at is None or years is None:
        return False
    return case.closed_at <= now - relativedelta(years=years)


def plan_case(session: Session, case_id: int, now: dt.datetime) -> CasePurge | None:
    """What purging the case would remove; None when it is not due (or already purged)."""
    case = get_case(session, case_id)
    years = _years(case)
    return _plan(session, case, years or 0) if _is_due(case, years, now) else None


def purge_case(case_id: int, now: dt.datetime | None = None) -> CasePurge | None:
    """Purge one case if it is due (idempotent: a purged case is left alone); None if not."""
    now = now or utcnow()
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        years = _years(case)
        if not _is_due(case, years, now):
            return None
        plan = _plan(session, case, years or 0)
        blanked = blank_case_rows(session, case, load_catalogue().get(case.permit_type))
        blank_personal(session, case_id)
        case.purged_at = utcnow()
        session.add(case)
        append_event(
            session,
            actor=ACTOR,
            action="case.purged",
            case_id=case_id,
            payload={**plan.counts(), **blanked.as_counts()},
        )
    _remove_files(plan)
    return plan


def _remove_files(plan: CasePurge) -> None:
    """After the purge committed: the store files no live case holds, the case's ``.eml`` copies
    of messages and what the drop box kept of its application."""
    settings = get_settings()
    with session_scope() as session:
        for digest in plan.removable:
            if not _held_elsewhere(session, digest, None):
                remove_document(digest)
        message_ids = session.exec(
            select(OutboxMessage.id).where(OutboxMessage.case_id == plan.case_id)
        ).all()
    for message_id in message_ids:
        eml_path(settings.outbox_dir, plan.reference, message_id or 0).unlink(missing_ok=True)
    processed = settings.resolved_dropbox_dir / plan.permit_type / PROCESSED
    for kept in processed.glob(f"{plan.reference}_*") if processed.is_dir() else ():
        shutil.rmtree(kept) if kept.is_dir() else kept.unlink(missing_ok=True)


def run_retention(
    now: dt.datetime | None = None, *, dry_run: bool = False, progress: Progress | None = None
) -> RetentionReport:
    """Purge (or with ``dry_run`` only list) every case whose retention period has ended, then
    anchor the audit chain head outside the database."""
    now = now or utcnow()
    report = RetentionReport(dry_run=dry_run)
    with session_scope() as session:
        due = due_case_ids(session, now)
    try:
        for done, case_id in enumerate(due, 1):
            report.cases.extend(_one(case_id, now, dry_run))
            if progress:
                progress(done, len(due))
    finally:  # what was purged before a failure is anchored all the same
        if report.cases and not dry_run:
            report.anchor = anchor_chain()
    return report


def _one(case_id: int, now: dt.datetime, dry_run: bool) -> list[CasePurge]:
    if dry_run:
        with session_scope() as session:
            purge = plan_case(session, case_id, now)
    else:
        purge = purge_case(case_id, now)
    return [purge] if purge is not None else []
