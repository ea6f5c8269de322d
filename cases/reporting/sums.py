"""Reading the KPI sums (:class:`cases.models.KpiSum`) for a permit type and period.

A period is read from whole months where it covers them and from days at its ragged ends, so
the unfiltered dashboard reads one row per month, permit type, figure and key.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from cases.kpi_summaries import month_of
from cases.models import KpiSum
from cases.reporting.tables import KpiFilters

__all__ = ["Sum", "Sums", "per_day", "read_sums"]

_T = KpiSum.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Sum:
    n: int
    total: float

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None


# figure -> (permit type, key) -> sum; only what counts something (n > 0)
Sums = dict[str, dict[tuple[str, str], Sum]]


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _days(since: dt.date | None, until: dt.date | None) -> ColumnElement[bool]:
    """Day rows from ``since`` to ``until`` (inclusive; None: open)."""
    conditions = [_T.c.grain == "d"]
    if since:
        conditions.append(_T.c.day >= since)
    if until:
        conditions.append(_T.c.day <= until)
    return and_(*conditions)


def _period(since: dt.date | None, until: dt.date | None) -> ColumnElement[bool]:
    """The rows that together count the period once: the whole months inside it, and the days
    before the first and after the last of them."""
    first = None if since is None else (since if since.day == 1 else _next_month(since))
    # the first day after the last whole month (None: no end)
    after = None
    if until is not None:
        following = until + dt.timedelta(days=1)
        after = following if following.day == 1 else month_of(until)
    if first is not None and after is not None and first >= after:
        return _days(since, until)
    months = [_T.c.grain == "m"]
    if first is not None:
        months.append(_T.c.day >= first)
    if after is not None:
        months.append(_T.c.day < after)
    parts = [and_(*months)]
    if since is not None and first is not None and since < first:
        parts.append(_days(since, first - dt.timedelta(days=1)))
    if until is not None and after is not None and after <= until:
        parts.append(_days(after, until))
    return or_(*parts)


def read_sums(session: Session, figures: tuple[str, ...], filters: KpiFilters) -> Sums:
    """The sums of these figures over the cases the filters choose, by permit type and key."""
    statement = (
        select(_T.c.figure, _T.c.permit_type, _T.c.key, func.sum(_T.c.n), func.sum(_T.c.total))
        .where(_T.c.figure.in_(figures), _period(filters.since, filters.until))
        .group_by(_T.c.figure, _T.c.permit_type, _T.c.key)
    )
    if filters.permit_type:
        statement = statement.where(_T.c.permit_type == filters.permit_type)
    found: Sums = {name: {} for name in figures}
    for figure, permit_type, key, n, total in session.execute(statement):
        if n:
            found[figure][(permit_type, key)] = Sum(int(n), float(total or 0.0))
    return found


def per_day(
    session: Session, figures: tuple[str, ...], filters: KpiFilters
) -> dict[str, dict[dt.date, int]]:
    """How many of each figure fell on each day of the period (throughput's weeks)."""
    statement = (
        select(_T.c.figure, _T.c.day, func.sum(_T.c.n))
        .where(_T.c.figure.in_(figures), _days(filters.since, filters.until))
        .group_by(_T.c.figure, _T.c.day)
    )
    if filters.permit_type:
        statement = statement.where(_T.c.permit_type == filters.permit_type)
    found: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for figure, day, n in session.execute(statement):
        if n:
            found[figure][day if isinstance(day, dt.date) else dt.date.fromisoformat(day)] = int(n)
    return found
