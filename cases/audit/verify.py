"""Proving the audit trail: every event's MAC and link, the personal values kept beside events,
the chain head, and the checkpoints in the anchor file. The report names the first problem, the
event it is in, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from cases.audit.anchors import Anchor, read_anchors
from cases.audit.keys import audit_key, key_id
from cases.audit.links import GENESIS, check_link, personal_digest
from cases.audit.personal import values_beside
from cases.models import AuditChainHead, AuditEvent, AuditPersonal

__all__ = ["TAMPERED_ADVICE", "ChainReport", "verify_chain"]

TAMPERED_ADVICE = (
    "the trail was changed outside the application: keep the database as it is (take a copy), "
    "compare it with a backup from before the event named, and report it to your security officer"
)
PURGED = "case.purged"


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    first_broken_seq: int | None = None
    problem: str | None = None
    advice: str | None = None
    anchors_checked: int = 0
    keyed: bool = True

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class _Walk:
    key: bytes | None
    wanted: set[int]
    prev: str = GENESIS
    checked: int = 0
    hashes: dict[int, str] = field(default_factory=dict)
    purged_cases: set[int] = field(default_factory=set)
    blanked: list[tuple[int, int | None]] = field(default_factory=list)

    def event(self, event: AuditEvent, kept: dict[int, AuditPersonal]) -> str | None:
        problem = check_link(event, self.checked + 1, self.prev, self.key)
        problem = problem or _personal_problem(event, kept.get(event.id or 0), self.blanked)
        if problem:
            return problem
        if event.action == PURGED and event.case_id is not None:
            self.purged_cases.add(event.case_id)
        if event.seq in self.wanted:
            self.hashes[event.seq] = event.hash
        self.prev, self.checked = event.hash, self.checked + 1
        return None


def _personal_problem(
    event: AuditEvent, row: AuditPersonal | None, blanked: list[tuple[int, int | None]]
) -> str | None:
    digest: Any = (event.payload.get("personal") or {}).get("sha256")
    if digest is None:
        return None
    if row is None:
        return f"the personal values of event {event.seq} ({event.action}) were deleted"
    if row.salt is None:
        blanked.append((event.seq, row.case_id))
        return None
    if personal_digest(row.salt, row.values) != digest:
        return f"the personal values kept beside event {event.seq} ({event.action}) were altered"
    return None


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Check the whole trail with the audit key at hand, against the anchor file."""
    head = session.get(AuditChainHead, 1)
    key = audit_key()
    anchors = read_anchors(key=key)
    keyed = head is None or head.key_id is not None
    early = _before_walking(head, key, anchors)
    if early is not None:
        return early
    walk = _Walk(key if keyed else None, {a.seq for a in anchors})
    while True:
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) > walk.checked)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not events:
            break
        kept = values_beside(session, events)
        for event in events:
            problem = walk.event(event, kept)
            if problem:
                return ChainReport(walk.checked, walk.checked + 1, problem, TAMPERED_ADVICE)
    return _after_walking(head, walk, anchors, keyed)


def _before_walking(
    head: AuditChainHead | None, key: bytes, anchors: list[Anchor]
) -> ChainReport | None:
    if head is not None and head.key_id not in (None, key_id(key)):
        return ChainReport(
            0,
            1,
            f"the trail is keyed with the key whose id is {head.key_id}, not the key at hand "
            f"(id {key_id(key)})",
            "restore the data folder's audit-key file from its backup, or set "
            "PERMITS_AUDIT_KEY to the key the trail was written with, and verify again",
        )
    for anchor in anchors:
        if anchor.problem or not anchor.signed:
            why = anchor.problem or "is not signed with the audit key (altered or forged)"
            return ChainReport(
                0,
                None,
                f"line {anchor.line} of the anchor file {why}",
                TAMPERED_ADVICE.replace("the trail", "the anchor file"),
            )
    if head is not None and head.key_id is None and anchors:
        return ChainReport(
            0,
            1,
            "the trail is no longer keyed, but the anchor file holds checkpoints of a keyed "
            "trail: it was re-hashed without the key",
            TAMPERED_ADVICE,
        )
    return None


def _after_walking(
    head: AuditChainHead | None, walk: _Walk, anchors: list[Anchor], keyed: bool
) -> ChainReport:
    checked = walk.checked
    if head is not None and (head.seq != checked or head.last_hash != walk.prev):
        return ChainReport(
            checked,
            checked + 1,
            f"the chain ends at event {checked} but its head says {head.seq}: "
            "events were deleted from the end",
            TAMPERED_ADVICE,
        )
    for seq, case_id in walk.blanked:
        if case_id not in walk.purged_cases:
            return ChainReport(
                checked,
                seq,
                f"the personal values of event {seq} were blanked, but the trail records no "
                f"retention purge of case {case_id}",
                TAMPERED_ADVICE,
            )
    for anchor in anchors:
        problem = _anchor_problem(anchor, walk)
        if problem:
            return ChainReport(checked, min(anchor.seq, checked + 1), problem, TAMPERED_ADVICE)
    return ChainReport(checked, anchors_checked=len(anchors), keyed=keyed)


def _anchor_problem(anchor: Anchor, walk: _Walk) -> str | None:
    where = f"the checkpoint of {anchor.at} (anchor file line {anchor.line})"
    if anchor.seq > walk.checked:
        return (
            f"{where} saw the trail reach event {anchor.seq}, but it now ends at event "
            f"{walk.checked}: events were deleted from the end"
        )
    if walk.hashes.get(anchor.seq) != anchor.head:
        return f"event {anchor.seq} is not the one {where} signed: the trail was rewritten"
    return None
