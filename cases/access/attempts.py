"""Failed attempts (log-in, an applicant's status look-up) counted in the database.

Every web process behind a load balancer sees the same count, so running more processes does not
give an attacker more guesses. A key (``user|address``) is stored only as its SHA-256, never in
clear: the table holds no usernames or addresses, and old rows are deleted as the window passes.
"""

from __future__ import annotations

import hashlib
import random

from sqlmodel import col, delete, func, select

from cases.db import session_scope
from cases.models import FailedAttempt

__all__ = ["failures_since", "record_failure"]

_PURGE_SHARE = 0.02  # of inserts that also clear every scope's expired rows


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def failures_since(scope: str, key: str, since: float) -> tuple[int, float | None]:
    """(how many failures ``key`` had after ``since``, the time of the oldest of them)."""
    with session_scope() as session:
        count, oldest = session.exec(
            select(func.count(), func.min(FailedAttempt.at)).where(
                FailedAttempt.scope == scope,
                FailedAttempt.key == _digest(key),
                col(FailedAttempt.at) > since,
            )
        ).one()
    return int(count), oldest


def record_failure(scope: str, key: str, at: float, *, forget_before: float) -> None:
    """Count one failure at ``at`` (seconds since the epoch); drop the key's expired ones."""
    digest = _digest(key)
    with session_scope() as session:
        session.exec(
            delete(FailedAttempt).where(
                col(FailedAttempt.scope) == scope,
                col(FailedAttempt.key) == digest,
                col(FailedAttempt.at) <= forget_before,
            )
        )
        if random.random() < _PURGE_SHARE:  # keys never tried again expire here
            session.exec(
                delete(FailedAttempt).where(
                    col(FailedAttempt.scope) == scope, col(FailedAttempt.at) <= forget_before
                )
            )
        session.add(FailedAttempt(scope=scope, key=digest, at=at))
