"""The audit key: what makes the chain's hashes HMACs that only its holder can compute.

The database never holds the key (it comes from ``PERMITS_AUDIT_KEY`` or the data folder's
``audit-key`` file), only its short public id, so an event rewritten by someone with write access
to the database alone no longer matches its MAC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from cases.settings import get_settings

__all__ = ["audit_key", "canonical", "key_id", "mac"]


def audit_key() -> bytes:
    return get_settings().audit_secret()


def key_id(key: bytes) -> str:
    """A public name of the key (an HMAC of a constant): tells a wrong key from a tampered row."""
    return hmac.new(key, b"permits audit key id", hashlib.sha256).hexdigest()[:16]


def canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def mac(key: bytes | None, body: bytes) -> str:
    """HMAC-SHA256 of ``body``; with no key, plain SHA-256 (the chain of earlier versions)."""
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()
