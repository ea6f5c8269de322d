"""The KPI dashboard's compact data (cases.kpi_summaries keeps it): a summary row per case,
and the sums of every case's figures per permit type and day (and per month), so the dashboard
reads a few thousand rows instead of every case, task, field and audit event.

A case's summary holds what it adds to the sums (its *facts*); when anything about the case
changes, the summary is worked out again in the same transaction and the sums move by the
difference. Neither table has a foreign key: the summary is written after the flush that
changed the case, whatever that flush did.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

__all__ = ["CaseKpi", "KpiSum"]


class CaseKpi(SQLModel, table=True):
    """One case as the KPIs see it. ``facts`` lists ``[figure, day, key, n, total]``: what the
    case adds to :class:`KpiSum` (e.g. ``["gate_wait", "2026-03-02", "decide", 1, 7200.0]``)."""

    case_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    permit_type: str = Field(max_length=64)
    status: str = Field(max_length=32)
    submitted_on: dt.date
    decided_on: dt.date | None = None
    turnaround_days: int | None = None
    facts: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class KpiSum(SQLModel, table=True):
    """The sum of the cases' facts of one figure, permit type and key, per day (``grain`` "d")
    and per month (``grain`` "m", ``day`` its first day). ``day`` is the day the fact is about:
    the submission for most, the decision for ``decided``. On SQLite the rows are kept in their
    key's order (``WITHOUT ROWID``), so a figure's period is one contiguous read of the table."""

    __table_args__ = {"sqlite_with_rowid": False}

    figure: str = Field(primary_key=True, sa_type=String(24))
    grain: str = Field(primary_key=True, sa_type=String(1))
    day: dt.date = Field(primary_key=True)
    permit_type: str = Field(primary_key=True, sa_type=String(64))
    key: str = Field(primary_key=True, sa_type=String(128))
    n: int = 0
    total: float = 0.0
