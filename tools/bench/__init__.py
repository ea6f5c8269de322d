"""The benchmarks behind `permits bench …`, and the seeding they need."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Steps", "no_steps"]

#: How a benchmark reports its progress, ``steps(what, done, total)``: the CLI draws each
#: ``what`` as a bar (or plain lines off a terminal) without the workshop knowing about rich.
Steps = Callable[[str, int, int | None], None]


def no_steps(what: str, done: int, total: int | None) -> None:
    """Progress nobody watches (a benchmark called without ``steps``)."""
