"""What a KPI figure is: a table of rows under named columns, the same for the page, the terminal,
the JSON and the CSV download. Column names are codes (``permit_type``, ``p50_days``); each reader
renders them in its language. A cell is a number, a date, a code or None (nothing to measure)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cases.errors import InvalidInput

__all__ = ["BadDate", "KpiFilters", "KpiTable", "as_csv", "parse_day", "share"]

Cell = Any


@dataclass(frozen=True)
class KpiFilters:
    """Which cases the figures are about: a permit type (None: all) and a submission period
    (``since`` and ``until`` inclusive dates, None: open-ended)."""

    permit_type: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def describe(self) -> dict[str, str | None]:
        return {
            "permit_type": self.permit_type,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True)
class KpiTable:
    """One figure: ``name`` is its code (and its CSV file's name), ``columns`` its column codes."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list[Cell]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


class BadDate(InvalidInput):
    """A date that could not be read: which one (``name``, e.g. ``--since``) and what was typed
    (``value``), so a page can say it in its reader's language."""

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value
        super().__init__(
            f"{name}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31"
        )


def parse_day(value: str | None, name: str) -> dt.date | None:
    """A filter's date as typed (``YYYY-MM-DD``; empty: none); else :class:`BadDate`."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadDate(name, value) from None


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a fraction rounded to 4 places; None when there is no whole."""
    return round(part / whole, 4) if whole else None


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def as_csv(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """RFC 4180 text with a header row of the column codes; an empty cell for None."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()
