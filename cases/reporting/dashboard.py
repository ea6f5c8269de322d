"""All the KPI tables at once (the dashboard), or one by name (a CSV download)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, select

from cases.errors import NotFound
from cases.models import AuditChainHead, utcnow
from cases.reporting import documents, figures
from cases.reporting.tables import KpiFilters, KpiTable

__all__ = [
    "KPI_TABLES",
    "Dashboard",
    "compute_dashboard",
    "compute_table",
    "current_dashboard",
    "forget_dashboards",
]

_Figure = Callable[[Session, KpiFilters, dt.datetime], KpiTable]

# In the order the page, the terminal and the JSON show them.
_FIGURES: dict[str, _Figure] = {
    "turnaround": lambda s, f, _now: figures.turnaround(s, f),
    "stages": lambda s, f, _now: figures.stages(s, f),
    "gates": figures.gates,
    "service_levels": figures.breaches,
    "ocr_corrections": lambda s, f, _now: figures.corrections(s, f),
    "findings": lambda s, f, _now: documents.findings(s, f),
    "throughput": lambda s, f, _now: figures.throughput(s, f),
    "failed_rules": lambda s, f, _now: documents.failed_rules(s, f),
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


_MAX_AGE_S = 60.0
_reused: dict[tuple[str, KpiFilters], tuple[float, int, Dashboard]] = {}
_lock = threading.Lock()


def current_dashboard(session: Session, filters: KpiFilters) -> Dashboard:
    """The dashboard as the page shows it: computed afresh, or the same figures again when they
    are under a minute old and nothing has happened since. Every change to a case appends to
    the audit chain in its own transaction, so an unmoved chain head means unchanged rows; the
    minute bounds what only the clock changes (how long open tasks have waited, what is now
    overdue)."""
    head = session.exec(select(AuditChainHead.seq)).first() or 0
    key = (str(session.get_bind().engine.url), filters)
    with _lock:
        found = _reused.get(key)
    if found and found[1] == head and time.monotonic() - found[0] < _MAX_AGE_S:
        return found[2]
    dashboard = compute_dashboard(session, filters)
    with _lock:
        if len(_reused) > 256:  # many filter combinations: start again rather than grow
            _reused.clear()
        _reused[key] = (time.monotonic(), head, dashboard)
    return dashboard


def forget_dashboards() -> None:
    """Drop every figure kept for reuse (the benchmark's cold requests)."""
    with _lock:
        _reused.clear()
