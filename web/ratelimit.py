"""Failed-attempt limits for the login form and the applicants' status page, and who is asking.

The app counts failures in the database (:mod:`cases.access.attempts`), so every web process
behind a load balancer shares one count. An in-memory store is kept for tests with a fake clock.

The client's address is the direct peer's, unless that peer is one of the configured reverse
proxies (``PERMITS_TRUSTED_PROXIES``): only then is ``X-Forwarded-For`` believed, read from the
right (the entry the trusted proxy itself added) past any further trusted proxies. From anyone
else the header is ignored, so making it up gains nothing.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from fastapi import Request

from cases.access.attempts import failures_since, record_failure
from cases.settings import get_settings

__all__ = [
    "DatabaseFailures",
    "FailureLimiter",
    "FailureStore",
    "MemoryFailures",
    "TooManyAttempts",
    "client_address",
]


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in get_settings().trusted_proxy_networks)


def client_address(request: Request) -> str:
    """The address failures are counted against (see the module's docstring)."""
    peer = request.client.host if request.client else "unknown"
    if not _trusted(peer):
        return peer
    forwarded = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    for hop in reversed(forwarded):
        if hop and not _trusted(hop):
            return hop
    return peer


class TooManyAttempts(Exception):
    """Mapped to 429 with a message saying when to try again."""

    def __init__(self, retry_after_s: int, what: str) -> None:
        self.retry_after_s = retry_after_s
        minutes = max(1, -(-retry_after_s // 60))
        super().__init__(
            f"Too many failed {what}. For your security, try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}, or ask an administrator for help."
        )


class FailureStore(Protocol):
    def count_since(self, key: str, since: float) -> tuple[int, float | None]:
        """(failures of ``key`` after ``since``, the time of the oldest of them)."""
        ...

    def add(self, key: str, at: float, forget_before: float) -> None: ...


class MemoryFailures:
    """Failures in this process's memory (tests; a single process)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def count_since(self, key: str, since: float) -> tuple[int, float | None]:
        with self._lock:
            failures = self._failures.get(key, deque())
            while failures and failures[0] <= since:
                failures.popleft()
            if not failures:
                self._failures.pop(key, None)  # keep the table small
            return len(failures), (failures[0] if failures else None)

    def add(self, key: str, at: float, forget_before: float) -> None:
        with self._lock:
            self._failures.setdefault(key, deque()).append(at)


class DatabaseFailures:
    """Failures in the case database, shared by every web process (see cases.access.attempts)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def count_since(self, key: str, since: float) -> tuple[int, float | None]:
        return failures_since(self.scope, key, since)

    def add(self, key: str, at: float, forget_before: float) -> None:
        record_failure(self.scope, key, at, forget_before=forget_before)


class FailureLimiter:
    """At most ``limit`` failures per key within ``window_s`` seconds; success does not reset."""

    def __init__(
        self,
        limit: int,
        window_s: float,
        what: str,
        *,
        store: FailureStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit, self.window_s, self.what, self.clock = limit, window_s, what, clock
        self.store: FailureStore = store or MemoryFailures()

    def check(self, key: str) -> None:
        """Raise :class:`TooManyAttempts` while the key has used up its failures."""
        now = self.clock()
        count, oldest = self.store.count_since(key, now - self.window_s)
        if count >= self.limit and oldest is not None:
            raise TooManyAttempts(int(oldest + self.window_s - now) + 1, self.what)

    def failed(self, key: str) -> None:
        now = self.clock()
        self.store.add(key, now, now - self.window_s)
