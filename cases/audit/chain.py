"""Append-only, hash-chained audit trail, keyed.

Each event's hash is an HMAC (with the audit key the database does not hold, ``cases.audit.keys``)
over its content and the previous event's hash, so editing or deleting any past event breaks every
hash after it, and nobody without the key can recompute them; ``cases.audit.verify`` finds the
first broken link. Appends take the chain head row for update (a row lock on PostgreSQL, the write
lock on SQLite), so concurrent writers queue instead of forking the chain.

Personal values an event refers to (what an applicant wrote, a corrected field) go to the side
table ``AuditPersonal`` (``personal=``); the event carries their names and a salted digest, so
retention can blank them and the chain still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from sqlmodel import Session, select

from cases.audit.keys import audit_key, canonical, key_id, mac
from cases.errors import AuditKeyMismatch
from cases.models import AuditChainHead, AuditEvent, AuditPersonal, utcnow

__all__ = [
    "GENESIS",
    "append_event",
    "chained_row",
    "ensure_keyed",
    "event_hash",
    "personal_digest",
    "rehash",
]

GENESIS = "0" * 64


def event_hash(
    *,
    key: bytes | None,
    seq: int,
    case_id: int | None,
    at: dt.datetime,
    actor: str,
    action: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> str:
    """The event's MAC under ``key`` (None: the unkeyed SHA-256 of earlier versions)."""
    body = {
        "seq": seq,
        "case_id": case_id,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "payload": payload,
        "prev": prev_hash,
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
    return row | {"hash": event_hash(key=key, **row)}


def rehash(event: AuditEvent, key: bytes | None, prev_hash: str) -> str:
    """The MAC ``event`` should carry under ``key`` after ``prev_hash``."""
    return event_hash(
        key=key,
        seq=event.seq,
        case_id=event.case_id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        payload=event.payload,
        prev_hash=prev_hash,
    )


def personal_digest(salt: str, values: dict[str, Any]) -> str:
    """What the event holds of its personal values: unguessable once the salt is blanked."""
    return hashlib.sha256(salt.encode() + canonical(values)).hexdigest()


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
    personal: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction (the caller commits).

    ``personal``: values about a person the event refers to, kept beside it (see the module)."""
    payload = json.loads(json.dumps(payload or {}, default=str))  # what is stored is what is hashed
    salt, values = secrets.token_hex(16), json.loads(json.dumps(personal or {}, default=str))
    if personal:
        payload["personal"] = {"keys": sorted(values), "sha256": personal_digest(salt, values)}
    key = audit_key()
    head = _locked_head(session, key)
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
    if personal:
        session.add(
            AuditPersonal(event_id=event.id or 0, case_id=case_id, values=values, salt=salt)
        )
        session.flush()
    return event


def ensure_keyed(session: Session, key: bytes | None = None) -> AuditChainHead | None:
    """Lock the chain head and make sure the chain is keyed with ``key`` (re-keying an unkeyed
    chain of an earlier version); None while the trail is empty."""
    key = key or audit_key()
    head = session.exec(select(AuditChainHead).with_for_update()).first()
    if head is None:
        return None
    if head.key_id is None:
        from cases.audit.keying import rekey_chain

        rekey_chain(session, head, key)
    elif head.key_id != key_id(key):
        raise AuditKeyMismatch(head.key_id, key_id(key))
    return head


def _locked_head(session: Session, key: bytes) -> AuditChainHead:
    head = ensure_keyed(session, key)
    if head is None:
        head = AuditChainHead(id=1, seq=0, last_hash=GENESIS, key_id=key_id(key))
        session.add(head)
        session.flush()
    return head
