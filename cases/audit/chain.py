"""Append-only, hash-chained audit trail, keyed.

Each event's hash is an HMAC (``cases.audit.links``, with the audit key the database does not hold)
over its content and the previous event's hash, so editing or deleting any past event breaks every
hash after it, and nobody without the key can recompute them; ``cases.audit.verify`` finds the
first broken link. Appends take the chain head row for update (a row lock on PostgreSQL, the write
lock on SQLite), so concurrent writers queue instead of forking the chain.

Personal values an event refers to (what an applicant wrote, a corrected field) go to the side
table ``AuditPersonal`` (``personal=``); the event carries their names and a salted digest, so
retention can blank them and the chain still verifies.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlmodel import Session

from cases.audit.keying import ensure_keyed
from cases.audit.keys import audit_key, key_id
from cases.audit.links import GENESIS, link_event, personal_digest
from cases.models import AuditChainHead, AuditEvent, AuditPersonal

__all__ = ["append_event"]


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
    event = link_event(
        session,
        _locked_head(session, key),
        key,
        actor=actor,
        action=action,
        case_id=case_id,
        payload=payload,
    )
    if personal:
        session.add(
            AuditPersonal(event_id=event.id or 0, case_id=case_id, values=values, salt=salt)
        )
        session.flush()
    return event


def _locked_head(session: Session, key: bytes) -> AuditChainHead:
    head = ensure_keyed(session, key)
    if head is None:
        head = AuditChainHead(id=1, seq=0, last_hash=GENESIS, key_id=key_id(key))
        session.add(head)
        session.flush()
    return head
