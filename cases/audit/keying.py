"""Keying the unkeyed chain an earlier version wrote (plain SHA-256, head in the same database).

Done once, on the first append (or ``permits audit anchor``/``db upgrade``) with a key, under the
chain head's lock: the old chain is verified as it was written, refused if broken (keying a
rewritten trail would bless it), then every hash is recomputed as an HMAC from the first event,
and an ``audit.rekeyed`` event records how many events and the unkeyed head it started from.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from cases.audit.keys import audit_key, key_id
from cases.audit.links import GENESIS, check_link, link_event, rehash
from cases.errors import AuditChainBroken, AuditKeyMismatch
from cases.models import AuditChainHead, AuditEvent

__all__ = ["ensure_keyed", "rekey_chain"]

ACTOR = "system:audit"


def rekey_chain(session: Session, head: AuditChainHead, key: bytes, *, batch: int = 5000) -> int:
    """Re-hash the whole unkeyed chain with ``key``; returns how many events were re-keyed."""
    old_prev, new_prev, done = GENESIS, GENESIS, 0
    while True:
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) > done)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not events:
            break
        changes: list[dict[str, Any]] = []
        for event in events:
            problem = check_link(event, done + 1, old_prev, None)
            if problem:
                raise AuditChainBroken(
                    f"the audit trail cannot be keyed: {problem}. Run `permits audit verify`, "
                    "and restore the database from a backup made before that event"
                )
            old_prev = event.hash
            new_hash = rehash(event, key, new_prev)
            changes.append({"id": event.id, "prev_hash": new_prev, "hash": new_hash})
            new_prev, done = new_hash, done + 1
        session.execute(update(AuditEvent), changes)
        for event in events:  # only these: the caller's pending changes stay as they are
            session.expire(event)
    if (head.seq, head.last_hash) != (done, old_prev):
        raise AuditChainBroken(
            f"the audit trail cannot be keyed: it ends at event {done} but its head says "
            f"{head.seq}. Run `permits audit verify`"
        )
    unkeyed_head = head.last_hash
    head.key_id, head.last_hash = key_id(key), new_prev
    session.add(head)
    session.flush()
    if done:
        link_event(
            session,
            head,
            key,
            actor=ACTOR,
            action="audit.rekeyed",
            case_id=None,
            payload={"events": done, "unkeyed_head": unkeyed_head, "key_id": head.key_id},
        )
    return done


def ensure_keyed(session: Session, key: bytes | None = None) -> AuditChainHead | None:
    """Lock the chain head and make sure the chain is keyed with ``key`` (re-keying an unkeyed
    chain of an earlier version); None while the trail is empty."""
    key = key or audit_key()
    head = session.exec(select(AuditChainHead).with_for_update()).first()
    if head is None:
        return None
    if head.key_id is None:
        rekey_chain(session, head, key)
    elif head.key_id != key_id(key):
        raise AuditKeyMismatch(head.key_id, key_id(key))
    return head
