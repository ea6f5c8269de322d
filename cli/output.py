"""What every command shares: the consoles, and domain errors turned into one readable line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from cases.errors import PermitsError

__all__ = ["console", "err", "friendly", "option_date"]


console = Console()


err = Console(stderr=True)


F = TypeVar("F", bound=Callable[..., Any])


def friendly(func: F) -> F:
    """Turn domain errors into one readable line and exit status 1."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PermitsError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def option_date(value: str | None, option: str) -> dt.date | None:
    """The option's date (``YYYY-MM-DD``; none: None); else one line naming the option, what was
    typed and the form (exit 2, as for any other bad option), not typer's usage box."""
    from cases.reporting import BadDate, parse_day

    try:
        return parse_day(value, option)
    except BadDate as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
