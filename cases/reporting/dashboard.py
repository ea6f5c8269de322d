"""All the KPI tables at once (the dashboard), or one by name (a CSV download)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from cases.errors import NotFound
from cases.models import utcnow
from cases.reporting import figures
from cases.reporting.tables import KpiFilters, KpiTable

__all__ = ["KPI_TABLES", "Dashboard", "compute_dashboard", "compute_table"]

_Figure = Callable[[Session, KpiFilters, dt.datetime], KpiTable]

# In the order the page, the terminal and the JSON show them.
_FIGURES: dict[str, _Figure] = {
    "turnaround": lambda s, f, _now: figures.turnaround(s, f),
    "stages": lambda s, f, _now: figures.stages(s, f),
    "gates": figures.gates,
    "service_levels": figures.breaches,
    "ocr_corrections": lambda s, f, _now: figures.corrections(s, f),
    "findings": lambda s, f, _now: figures.findings(s, f),
    "throughput": lambda s, f, _now: figures.throughput(s, f),
    "failed_rules": lambda s, f, _now: figures.failed_rules(s, f),
}
KPI_TABLES = tuple(_FIGURES)


@dataclass(frozen=True)
class Dashboard:
    filters: KpiFilters
    computed_at: dt.datetime
    tables: dict[str, KpiTable]

    def as_json(self) -> dict[str, object]:
        return {
            "filters": self.filters.describe(),
            "computed_at": self.computed_at.isoformat(timespec="seconds"),
            "tables": {
                name: {"columns": list(table.columns), "rows": table.as_dicts()}
                for name, table in self.tables.items()
            },
        }


def compute_table(
    session: Session, name: str, filters: KpiFilters, *, now: dt.datetime | None = None
) -> KpiTable:
    figure = _FIGURES.get(name)
    if figure is None:
        raise NotFound(f"no KPI table named {name!r}; the tables are: {', '.join(KPI_TABLES)}")
    return figure(session, filters, now or utcnow())


def compute_dashboard(
    session: Session, filters: KpiFilters, *, now: dt.datetime | None = None
) -> Dashboard:
    moment = now or utcnow()
    tables = {name: figure(session, filters, moment) for name, figure in _FIGURES.items()}
    return Dashboard(filters, moment, tables)
