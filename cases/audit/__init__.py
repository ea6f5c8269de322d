"""The audit trail: append-only and hash-chained with a key the database does not hold (each
entry carries the MAC of the one before), checkpointed in an append-only anchor file, so an edit
or a deletion anywhere breaks the chain and ``verify_chain`` says where. Personal values an event
refers to are kept beside it, where retention can blank them without breaking the chain.
"""

from __future__ import annotations

from cases.audit.anchors import Anchor, anchor_chain, key_audit_trail, read_anchors
from cases.audit.chain import append_event
from cases.audit.keying import ensure_keyed
from cases.audit.keys import audit_key, key_id
from cases.audit.links import GENESIS, chained_row, event_hash, personal_digest, rehash
from cases.audit.personal import (
    FINDING_REMOVED,
    REMOVED_BY_RETENTION,
    blank_personal,
    readable_payload,
    values_beside,
)
from cases.audit.verify import ChainReport, verify_chain

__all__ = [
    "FINDING_REMOVED",
    "GENESIS",
    "REMOVED_BY_RETENTION",
    "Anchor",
    "ChainReport",
    "anchor_chain",
    "append_event",
    "audit_key",
    "blank_personal",
    "chained_row",
    "ensure_keyed",
    "event_hash",
    "key_audit_trail",
    "key_id",
    "personal_digest",
    "read_anchors",
    "readable_payload",
    "rehash",
    "values_beside",
    "verify_chain",
]
