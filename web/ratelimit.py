"""Failed-attempt limits for the login form and the applicants' status page.

In memory, per process: right for the single web process ``permits up`` starts. Several web
processes behind a load balancer would each count separately (an attacker gets N times the
attempts), so such a deployment should move this counter to the database or the proxy.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["FailureLimiter", "TooManyAttempts"]


class TooManyAttempts(Exception):
    """Mapped to 429 with a message saying when to try again."""

    def __init__(self, retry_after_s: int, what: str) -> None:
        self.retry_after_s = retry_after_s
        minutes = max(1, -(-retry_after_s // 60))
        super().__init__(
            f"Too many failed {what}. For your security, try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}, or ask an administrator for help."
        )


class FailureLimiter:
    """At most ``limit`` failures per key within ``window_s`` seconds; success does not reset."""

    def __init__(
        self,
        limit: int,
        window_s: float,
        what: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window_s, self.what, self.clock = limit, window_s, what, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def check(self, key: str) -> None:
        """Raise :class:`TooManyAttempts` while the key has used up its failures."""
        with self._lock:
            now = self.clock()
            failures = self._recent(key, now)
            if len(failures) >= self.limit:
                raise TooManyAttempts(int(failures[0] + self.window_s - now) + 1, self.what)
            if not failures:
                self._failures.pop(key, None)  # keep the table small

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, self.clock()).append(self.clock())

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
