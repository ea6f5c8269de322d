"""The few expressions SQLite and PostgreSQL write differently: the seconds between two
timestamps, whole days between them, and the Monday of a timestamp's week. Every KPI is an
aggregate the database computes; only these pieces (and the JSON figures of
``cases.reporting.documents``) depend on the dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float, Integer, cast, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["Dialect", "seconds_between", "week_start", "whole_days"]

Dialect = str  # "sqlite" or "postgresql"


def seconds_between(dialect: Dialect, start: Any, end: Any) -> ColumnElement[float]:
    """``end - start`` in seconds (a float)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def whole_days(dialect: Dialect, start: Any, end: Any) -> ColumnElement[int]:
    """Whole days from ``start`` to ``end`` (rounded down; both are in order)."""
    seconds = seconds_between(dialect, start, end)
    if dialect == "postgresql":
        return cast(func.floor(seconds / 86400.0), Integer)
    return cast(seconds / 86400.0, Integer)  # SQLite's CAST truncates, as floor for positives


def week_start(dialect: Dialect, moment: Any) -> ColumnElement[Any]:
    """The Monday (a date; ISO weeks) of the week ``moment`` falls in."""
    if dialect == "postgresql":
        return cast(func.date_trunc("week", moment), Date)
    # Six days back, then forward to the next Monday: the Monday on or before ``moment``.
    return func.date(moment, literal_column("'-6 days'"), literal_column("'weekday 1'"))
