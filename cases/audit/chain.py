"""Append-only, hash-chained audit trail.

Each event's hash covers its content and the previous event's hash, so editing or deleting any past
event breaks every hash after it; :func:`verify_chain` finds the first broken link. Appends take
the chain head row for update (a row lock on PostgreSQL, the write lock on SQLite), so concurrent
writers queue instead of forking the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from cases.models import AuditChainHead, AuditEvent, utcnow

__all__ = ["ChainReport", "append_event", "chained_row", "event_hash", "verify_chain"]

GENESIS = "0" * 64


def event_hash(
    *,
    seq: int,
    case_id: int | None,
    at: dt.datetime,
    actor: str,
    action: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "case_id": case_id,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "payload": payload,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def chained_row(
    *,
    seq: int,
    case_id: int | None,
    at: dt.datetime,
    actor: str,
    action: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    """The columns of the event at ``seq``, its hash over them included."""
    row: dict[str, Any] = {
        "seq": seq,
        "case_id": case_id,
        "at": at,
        "actor": actor,
        "action": action,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return row | {"hash": event_hash(**row)}


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction (the caller commits)."""
    payload = json.loads(json.dumps(payload or {}, default=str))  # what is stored is what is hashed
    head = session.exec(select(AuditChainHead).with_for_update()).first()
    if head is None:
        head = AuditChainHead(id=1, seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    seq = head.seq + 1
    event = AuditEvent(
        **chained_row(
            seq=seq,
            case_id=case_id,
            at=utcnow(),
            actor=actor,
            action=action,
            payload=payload,
            prev_hash=head.last_hash,
        )
    )
    head.seq, head.last_hash = seq, event.hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    first_broken_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    prev, expected_seq, checked = GENESIS, 1, 0
    while True:
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) >= expected_seq)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            problem = _check_event(event, expected_seq, prev)
            if problem:
                return ChainReport(checked, expected_seq, problem)
            prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != prev):
        return ChainReport(
            checked,
            checked + 1,
            f"the chain ends at event {checked} but its head says {head.seq}: "
            "events were deleted from the end",
        )
    return ChainReport(checked)


def _check_event(event: AuditEvent, expected_seq: int, prev: str) -> str | None:
    if event.seq != expected_seq:
        return f"event {expected_seq} is missing (next found is {event.seq})"
    if event.prev_hash != prev:
        return f"event {event.seq} does not point at the hash of event {event.seq - 1}"
    recomputed = event_hash(
        seq=event.seq,
        case_id=event.case_id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        payload=event.payload,
        prev_hash=event.prev_hash,
    )
    if recomputed != event.hash:
        return f"event {event.seq} ({event.action}) was altered after it was written"
    return None
