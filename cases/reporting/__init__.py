"""Reporting: the office's KPIs (turnaround, stages, gates, service levels, OCR corrections,
review findings, throughput, failed rules) as SQL aggregates, and the case export.

Every figure is a :class:`KpiTable` of codes and numbers; the web page, ``permits kpi`` and the
CSV downloads render the same tables.
"""

from __future__ import annotations

from cases.reporting.dashboard import (
    KPI_TABLES,
    Dashboard,
    compute_dashboard,
    compute_table,
    current_dashboard,
    forget_dashboards,
)
from cases.reporting.export import EXPORT_COLUMNS, PERSONAL_COLUMNS, CaseExport, export_cases
from cases.reporting.tables import BadDate, KpiFilters, KpiTable, as_csv, parse_day

__all__ = [
    "EXPORT_COLUMNS",
    "KPI_TABLES",
    "PERSONAL_COLUMNS",
    "BadDate",
    "CaseExport",
    "Dashboard",
    "KpiFilters",
    "KpiTable",
    "as_csv",
    "compute_dashboard",
    "compute_table",
    "current_dashboard",
    "export_cases",
    "forget_dashboards",
    "parse_day",
]
