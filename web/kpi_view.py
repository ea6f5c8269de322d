"""The KPI dashboard's words and charts in the page's language: table titles, column names,
the names of gates and finding codes, and one chart per table (:mod:`web.charts`)."""

from __future__ import annotations

from markupsafe import Markup

from cases.reporting import Dashboard, KpiTable
from cases.reporting.figures import TURNAROUND_BUCKETS
from web.charts import Series, bar_chart, line_chart
from web.i18n import gettext_, glossary, humanised
from web.rendering import templates

__all__ = ["TEXT_COLUMNS", "cell_text", "charts_for", "column_labels", "row_label", "table_titles"]


def table_titles() -> dict[str, str]:
    return {
        "turnaround": gettext_("Turnaround: days from submission to decision"),
        "stages": gettext_("Cases at each stage now"),
        "gates": gettext_("Waiting and working time at each gate"),
        "service_levels": gettext_("Service levels: tasks completed after their due time"),
        "ocr_corrections": gettext_("OCR corrections per field"),
        "findings": gettext_("Review findings"),
        "throughput": gettext_("Throughput per week"),
        "failed_rules": gettext_("Failed rules"),
    }


def column_labels() -> dict[str, str]:
    buckets = {
        "days_0_2": gettext_("0–2 days"),
        "days_3_7": gettext_("3–7 days"),
        "days_8_14": gettext_("8–14 days"),
        "days_15_30": gettext_("15–30 days"),
        "days_31_plus": gettext_("31 days or more"),
    }
    return buckets | {
        "permit_type": gettext_("Permit"),
        "decided": gettext_("Decided"),
        "p50_days": gettext_("Median (days)"),
        "p90_days": gettext_("90th percentile (days)"),
        "mean_days": gettext_("Mean (days)"),
        "status": gettext_("Status"),
        "cases": gettext_("Cases"),
        "gate": gettext_("Gate"),
        "completed": gettext_("Completed"),
        "waiting_hours": gettext_("Waiting (hours, mean)"),
        "working_hours": gettext_("Working (hours, mean)"),
        "open": gettext_("Open now"),
        "open_waiting_hours": gettext_("Open: waiting so far (hours, mean)"),
        "completed_late": gettext_("Completed late"),
        "breach_rate": gettext_("Breach rate"),
        "open_overdue": gettext_("Open and overdue"),
        "field": gettext_("Field"),
        "read": gettext_("Read"),
        "checked": gettext_("Checked by a person"),
        "corrected": gettext_("Corrected"),
        "correction_rate": gettext_("Correction rate"),
        "corrected_of_checked": gettext_("Corrected of checked"),
        "code": gettext_("Finding"),
        "found": gettext_("Found"),
        "confirmed": gettext_("Confirmed"),
        "dismissed": gettext_("Dismissed"),
        "week": gettext_("Week of"),
        "received": gettext_("Received"),
        "rule": gettext_("Rule"),
        "outcome_if_failed": gettext_("Outcome if failed"),
        "failed": gettext_("Failed"),
        "evaluated": gettext_("Evaluated"),
        "rate": gettext_("Rate"),
    }


def _words() -> dict[str, str]:
    return {
        "verify_fields": gettext_("Verify fields"),
        "decide": gettext_("Decide"),
        "second_approval": gettext_("Second approval"),
        "applicant": gettext_("Waiting for the applicant"),
        "name_mismatch": gettext_("Names differ between documents"),
        "id_number_mismatch": gettext_("Identity card numbers differ"),
        "missing_evidence": gettext_("Evidence missing"),
    }


# Columns of words, not numbers: left-aligned (numbers are right-aligned to compare).
TEXT_COLUMNS = frozenset(
    {"permit_type", "status", "gate", "field", "code", "week", "rule", "outcome_if_failed"}
)
_RATES = frozenset({"breach_rate", "correction_rate", "corrected_of_checked", "rate"})
_CODES = frozenset({"gate", "code"})


def _permit_name(permit_type: str) -> str:
    return str(templates.env.filters["permit_name"](permit_type))


def cell_text(table: KpiTable, column: str, value: object) -> str:
    """One cell as the page shows it: names for codes, percentages for rates, — for none."""
    if value is None:
        return "—"
    if column in _RATES and isinstance(value, float):
        return f"{value * 100:.1f}%"
    if column == "permit_type":
        return _permit_name(str(value))
    if column in ("status", "outcome_if_failed"):
        return gettext_(humanised(value))
    if column in _CODES:
        return _words().get(str(value), humanised(value))
    if column == "field":
        return glossary(_table_permit(table)).field(str(value))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def row_label(table: KpiTable, row: tuple[object, ...]) -> str:
    if table.name == "failed_rules":  # the rule, then whose it is
        return f"{row[1]} · {_permit_name(str(row[0]))}"
    return cell_text(table, table.columns[0], row[0])


def _table_permit(_table: KpiTable) -> str:
    # Field names are the same words in every permit; the first permit's glossary names them.
    from cases.catalogue import load_catalogue

    return next(iter(load_catalogue()), "")


def _chart(
    table: KpiTable, columns: tuple[str, ...], rows: list[tuple[object, ...]] | None = None
) -> Markup | None:
    rows = table.rows if rows is None else rows
    if not rows:
        return None
    labels = column_labels()
    series = [
        Series(labels[c], [_plain(r[table.columns.index(c)], c) for r in rows]) for c in columns
    ]
    title = table_titles()[table.name]
    desc = gettext_("Bar chart of %(what)s; the table below gives every number.") % {
        "what": ", ".join(s.name for s in series)
    }
    unit = "%" if columns[0] in _RATES else ""
    names = [row_label(table, r) for r in rows]
    return bar_chart(title, desc, names, series, unit=unit)


def _plain(value: object, column: str) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return round(number * 100, 1) if column in _RATES else number


def _turnaround(table: KpiTable) -> Markup | None:
    """The distribution of every chosen case's turnaround (all permit types summed)."""
    if not table.rows:
        return None
    buckets = [name for name, _first, _last in TURNAROUND_BUCKETS]
    labels = column_labels()
    counts = [sum(table.column(b)) for b in buckets]
    desc = gettext_("Decided cases by days taken; the table below gives every number.")
    series = [Series(labels["decided"], counts)]
    return bar_chart(table_titles()["turnaround"], desc, [labels[b] for b in buckets], series)


def _throughput(table: KpiTable) -> Markup | None:
    if not table.rows:
        return None
    labels = column_labels()
    series = [Series(labels[c], table.column(c)) for c in ("received", "decided")]
    desc = gettext_(
        "Line chart of cases received and decided each week; the table below gives every week."
    )
    weeks = [str(w) for w in table.column("week")]
    return line_chart(table_titles()["throughput"], desc, weeks, series)


def charts_for(dashboard: Dashboard) -> dict[str, Markup | None]:
    t = dashboard.tables
    return {
        "turnaround": _turnaround(t["turnaround"]),
        "stages": _chart(t["stages"], ("cases",)),
        "gates": _chart(t["gates"], ("waiting_hours", "working_hours")),
        "service_levels": _chart(t["service_levels"], ("breach_rate",)),
        "ocr_corrections": _chart(
            t["ocr_corrections"], ("correction_rate",), t["ocr_corrections"].rows[:12]
        ),
        "findings": _chart(t["findings"], ("found",)),
        "throughput": _throughput(t["throughput"]),
        "failed_rules": _chart(t["failed_rules"], ("failed",), t["failed_rules"].rows[:12]),
    }
