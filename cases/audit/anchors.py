"""Checkpoints of the audit chain outside the database: an append-only file of JSON lines, each
the chain's head (sequence number and hash) at a moment, signed with the audit key.

A rewrite of the trail by someone with database access alone shows against them: events after a
checkpoint cannot vanish from the end, and the chain cannot be re-hashed, without the checkpoint
disagreeing. Written at every retention purge and by ``permits audit anchor`` (and its flow).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from cases.audit.keying import ensure_keyed, rekey_chain
from cases.audit.keys import audit_key, canonical, key_id, mac
from cases.db import session_scope
from cases.models import AuditChainHead, utcnow
from cases.settings import get_settings

__all__ = ["Anchor", "anchor_chain", "key_audit_trail", "read_anchors"]


@dataclass(frozen=True)
class Anchor:
    line: int  # in the anchor file, from 1
    seq: int
    head: str
    at: str
    key_id: str
    signed: bool  # its MAC is right under the key at hand
    problem: str | None = None  # the line is no checkpoint at all


def key_audit_trail(key: bytes | None = None) -> int:
    """Key the trail now if an earlier version left it unkeyed (``permits db upgrade`` does, so
    the first request does not); how many events were re-keyed (0: it already was)."""
    key = key or audit_key()
    with session_scope() as session:
        head = session.exec(select(AuditChainHead).with_for_update()).first()
        if head is not None and head.key_id is None:
            return rekey_chain(session, head, key)
        ensure_keyed(session, key)  # refuses a key the trail was not written with
        return 0


def _signature(key: bytes, seq: int, head: str, at: str, kid: str) -> str:
    return mac(key, canonical({"seq": seq, "head": head, "at": at, "key_id": kid}))


def anchor_chain(path: Path | None = None) -> Anchor | None:
    """Append the committed chain head to the anchor file; None while the trail is empty."""
    path = path or get_settings().resolved_audit_anchor_file
    key = audit_key()
    key_audit_trail(key)
    with session_scope() as session:
        head = session.exec(select(AuditChainHead)).first()
        if head is None or head.seq == 0:
            return None
        seq, last = head.seq, head.last_hash
    at, kid = utcnow().isoformat(timespec="seconds"), key_id(key)
    record = {"seq": seq, "head": last, "at": at, "key_id": kid}
    record["hmac"] = _signature(key, seq, last, at, kid)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return Anchor(len(path.read_text(encoding="utf-8").splitlines()), seq, last, at, kid, True)


def read_anchors(path: Path | None = None, key: bytes | None = None) -> list[Anchor]:
    """Every line of the anchor file (none when there is no file yet), each checked."""
    path = path or get_settings().resolved_audit_anchor_file
    if not path.exists():
        return []
    key = key or audit_key()
    lines = path.read_text(encoding="utf-8").splitlines()
    return [_parse(number, text, key) for number, text in enumerate(lines, 1) if text.strip()]


def _parse(number: int, text: str, key: bytes) -> Anchor:
    try:
        record = json.loads(text)
        seq, head, at, kid = int(record["seq"]), str(record["head"]), str(record["at"]), ""
        kid = str(record["key_id"])
        signed = record.get("hmac") == _signature(key, seq, head, at, kid)
        return Anchor(number, seq, head, at, kid, signed)
    except (ValueError, KeyError, TypeError):
        return Anchor(number, 0, "", "", "", False, "is not a checkpoint (damaged JSON)")
