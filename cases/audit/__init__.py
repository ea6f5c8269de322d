"""The audit trail: append-only and hash-chained (each entry carries the hash of the one before),
so an edit or a deletion anywhere breaks the chain and ``verify_chain`` says where.
"""

from __future__ import annotations

from cases.audit.chain import (
    GENESIS,
    ChainReport,
    append_event,
    chained_row,
    event_hash,
    verify_chain,
)

__all__ = ["GENESIS", "ChainReport", "append_event", "chained_row", "event_hash", "verify_chain"]
