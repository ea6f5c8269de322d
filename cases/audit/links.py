"""The links of the audit chain: each event's MAC over its content and the hash before it, the
check of one link, and linking a new event after the (locked, keyed) chain head.

The bottom of the audit wing: appending (``chain``), keying an unkeyed chain (``keying``) and
proving the trail (``verify``) all stand on these, and none of them on each other's internals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from cases.audit.keys import canonical, mac
from cases.models import AuditChainHead, AuditEvent, utcnow

__all__ = [
    "GENESIS",
    "chained_row",
    "check_link",
    "event_hash",
    "link_event",
    "personal_digest",
    "rehash",
]

GENESIS = "0" * 64
_HASHED = ("seq", "case_id", "actor", "action", "payload")  # with ``at`` and ``prev_hash``


def event_hash(key: bytes | None, row: Mapping[str, Any]) -> str:
    """The MAC under ``key`` (None: the unkeyed SHA-256 of earlier versions) of an event's
    columns (``seq``, ``case_id``, ``at``, ``actor``, ``action``, ``payload``, ``prev_hash``)."""
    body = {name: row[name] for name in _HASHED} | {
        "at": row["at"].isoformat(timespec="microseconds"),
        "prev": row["prev_hash"],
    }
    return mac(key, canonical(body))


def chained_row(
    *,
    key: bytes | None,
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
    return row | {"hash": event_hash(key, row)}


def rehash(event: AuditEvent, key: bytes | None, prev_hash: str) -> str:
    """The MAC ``event`` should carry under ``key`` after ``prev_hash``."""
    row = {name: getattr(event, name) for name in (*_HASHED, "at")}
    return event_hash(key, row | {"prev_hash": prev_hash})


def personal_digest(salt: str, values: dict[str, Any]) -> str:
    """What the event holds of its personal values: unguessable once the salt is blanked."""
    return hashlib.sha256(salt.encode() + canonical(values)).hexdigest()


def check_link(event: AuditEvent, expected_seq: int, prev: str, key: bytes | None) -> str | None:
    """What is wrong with ``event`` as the chain's event ``expected_seq`` after ``prev``."""
    if event.seq != expected_seq:
        return f"event {expected_seq} is missing (next found is {event.seq})"
    if event.prev_hash != prev:
        return f"event {event.seq} does not point at the hash of event {event.seq - 1}"
    if rehash(event, key, event.prev_hash) != event.hash:
        return (
            f"event {event.seq} ({event.action}) was altered after it was written: its MAC does "
            f"not match its content (written {event.at:%Y-%m-%d %H:%M} UTC by {event.actor})"
        )
    return None


def link_event(
    session: Session,
    head: AuditChainHead,
    key: bytes,
    *,
    actor: str,
    action: str,
    case_id: int | None,
    payload: dict[str, Any],
) -> AuditEvent:
    """Add the event after ``head`` (locked by the caller, keyed with ``key``) and move the head
    on to it; ``payload`` is stored, and hashed, as given."""
    seq = head.seq + 1
    event = AuditEvent(
        **chained_row(
            key=key,
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
