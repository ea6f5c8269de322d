"""Progress of long CLI work on stderr: a rich bar with counts and time left on a terminal, plain
log lines otherwise (a log file, CI, a pipe), so stdout stays clean for ``--json``.

The work reports through a plain callable, ``steps(what, done, total)``, so the workshop
(``tools/``) and ``cases`` need not know about rich: each distinct ``what`` is one bar (or one
stream of lines), ``total`` may be None when it is not known yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cli.output import err

__all__ = ["Steps", "progress"]

Steps = Callable[[str, int, int | None], None]
_LOG_EVERY_S = 10.0


@dataclass
class _Lines:
    """Plain lines: the first and last step of each ``what``, and one every ten seconds."""

    console: Console
    started: dict[str, float] = field(default_factory=dict)
    logged: dict[str, float] = field(default_factory=dict)

    def __call__(self, what: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        start = self.started.setdefault(what, now)
        finished = total is not None and done >= total
        if what in self.logged and not finished and now - self.logged[what] < _LOG_EVERY_S:
            return
        self.logged[what] = now
        elapsed = now - start
        line = f"{what}: {done:,}" + (f"/{total:,}" if total else "")
        if total:
            line += f" ({done / total:.0%}), {elapsed:.0f} s elapsed"
            if 0 < done < total:
                line += f", ~{elapsed / done * (total - done):.0f} s left"
        self.console.print(line, highlight=False, soft_wrap=True)


class _Bars:
    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, what: str, done: int, total: int | None) -> None:
        if what not in self.tasks:
            self.tasks[what] = self.bars.add_task(what, total=total)
        self.bars.update(self.tasks[what], completed=done, total=total)


@contextmanager
def progress(console: Console | None = None) -> Iterator[Steps]:
    """``with progress() as steps: ... steps("seeding cases", n, total)``."""
    out = console or err
    if not out.is_terminal:
        yield _Lines(out)
        return
    bars = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=out,
        transient=False,
    )
    with bars:
        yield _Bars(bars)
