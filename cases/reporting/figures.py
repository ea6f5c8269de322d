"""The KPI figures, read from the sums of the cases' KPI summaries (cases.kpi_summaries
says what each case adds, cases.reporting.sums reads them for a permit type and period).

Times come from what is stored: a case's turnaround runs from its submission to the completion of
its last decision task; a gate's waiting time runs from the task's creation until someone claims
it (or completes it unclaimed), its working time from the claim to the completion; the applicant's
gate from a request for information to its answer. A task breaches its service level when it is
completed after its due time (or is still open past it). Periods select cases by submission date,
except throughput, which counts what was received and decided in each week of the period.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, Case, TaskKind, TaskStatus
from cases.reporting.sums import Sum, Sums, per_day, read_sums
from cases.reporting.tables import KpiFilters, KpiTable, share

__all__ = [
    "TURNAROUND_BUCKETS",
    "case_conditions",
    "decided_at",
    "dialect_of",
    "start_of",
]

# Turnaround histogram: (column code, first day, last day or None)
TURNAROUND_BUCKETS = (
    ("days_0_2", 0, 2),
    ("days_3_7", 3, 7),
    ("days_8_14", 8, 14),
    ("days_15_30", 15, 30),
    ("days_31_plus", 31, None),
)
GATES = ("verify_fields", "decide", "second_approval", "applicant")


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def case_conditions(filters: KpiFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.permit_type:
        conditions.append(col(Case.permit_type) == filters.permit_type)
    if filters.since:
        conditions.append(col(Case.submitted_at) >= start_of(filters.since))
    if filters.until:
        conditions.append(col(Case.submitted_at) < start_of(filters.until + dt.timedelta(days=1)))
    return conditions


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 1)


def decided_at() -> Any:
    """Per decided case, when its (last) decision task was completed."""
    return (
        select(
            col(ApprovalTask.case_id).label("case_id"),
            func.max(ApprovalTask.completed_at).label("decided_at"),
        )
        .where(
            col(ApprovalTask.kind) == TaskKind.DECIDE,
            col(ApprovalTask.status) == TaskStatus.DONE,
            col(ApprovalTask.decision).is_not(None),
        )
        .group_by(col(ApprovalTask.case_id))
        .subquery("decided")
    )


# --- turnaround ----------------------------------------------------------------------------------


def _nearest_rank(counts: dict[int, int], total: int, percent: float) -> int:
    rank, seen = max(1, math.ceil(percent / 100 * total)), 0
    for days in sorted(counts):
        seen += counts[days]
        if seen >= rank:
            return days
    return max(counts)


def turnaround(session: Session, filters: KpiFilters) -> KpiTable:
    """Days from submission to decision, per permit type: decided cases, median, 90th
    percentile, mean and the histogram (whole days, so percentiles are exact to the day)."""
    per_type: dict[str, dict[int, int]] = defaultdict(dict)
    for (permit_type, days), found in read_sums(session, ("turnaround",), filters)[
        "turnaround"
    ].items():
        per_type[permit_type][int(days)] = found.n
    buckets = tuple(name for name, _first, _last in TURNAROUND_BUCKETS)
    table = KpiTable(
        "turnaround",
        ("permit_type", "decided", "p50_days", "p90_days", "mean_days", *buckets),
    )
    for permit_type in sorted(per_type):
        counts = per_type[permit_type]
        total = sum(counts.values())
        mean = sum(d * n for d, n in counts.items()) / total
        histogram = [
            sum(n for d, n in counts.items() if d >= first and (last is None or d <= last))
            for _name, first, last in TURNAROUND_BUCKETS
        ]
        table.rows.append(
            (
                permit_type,
                total,
                _nearest_rank(counts, total, 50),
                _nearest_rank(counts, total, 90),
                round(mean, 1),
                *histogram,
            )
        )
    return table


# --- stages now ----------------------------------------------------------------------------------


def stages(session: Session, filters: KpiFilters) -> KpiTable:
    """How many cases are at each status now."""
    counts: Counter[str] = Counter()
    for (_permit_type, status), found in read_sums(session, ("stage",), filters)["stage"].items():
        counts[status] += found.n
    table = KpiTable("stages", ("status", "cases"))
    table.rows.extend((str(s), counts[str(s)]) for s in CaseStatus if str(s) in counts)
    return table


# --- gates: waiting against working --------------------------------------------------------------

_GATE_FIGURES = ("gate_tasks", "gate_done", "gate_wait", "gate_work", "gate_open")
_REQUEST_FIGURES = ("request_answered", "request_answer", "request_open")


def _by_key(sums: Sums, figure: str) -> dict[str, Sum]:
    """A figure's sums over the permit types, by key."""
    merged: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for (_permit_type, key), found in sums[figure].items():
        merged[key][0] += found.n
        merged[key][1] += found.total
    return {key: Sum(int(n), total) for key, (n, total) in merged.items()}


def _open_hours(found: Sum | None, now: dt.datetime) -> float | None:
    """Mean hours open until ``now``, from the sum of the moments they opened."""
    if found is None or not found.n:
        return None
    return _hours(now.timestamp() - found.total / found.n)


def _mean_hours(found: Sum | None) -> float | None:
    return None if found is None else _hours(found.mean)


def gates(session: Session, filters: KpiFilters, now: dt.datetime) -> KpiTable:
    """Per gate: tasks completed, mean hours waiting (created to claimed, or to completed when
    nobody claimed it) and mean hours worked (claimed to completed); open tasks and how long
    they have waited on average. The applicant's gate: requests answered, mean hours to answer."""
    sums = read_sums(session, _GATE_FIGURES + _REQUEST_FIGURES, filters)
    tasks, done, wait, work, opened = (_by_key(sums, figure) for figure in _GATE_FIGURES)
    found: dict[str, tuple[Any, ...]] = {
        gate: (
            done[gate].n if gate in done else 0,
            _mean_hours(wait.get(gate)),
            _mean_hours(work.get(gate)),
            opened[gate].n if gate in opened else 0,
            _open_hours(opened.get(gate), now),
        )
        for gate in tasks
    }
    answered, answer, waiting = (_by_key(sums, figure).get("") for figure in _REQUEST_FIGURES)
    found["applicant"] = (
        answered.n if answered else 0,
        _mean_hours(answer),
        None,
        waiting.n if waiting else 0,
        _open_hours(waiting, now),
    )
    table = KpiTable(
        "gates",
        ("gate", "completed", "waiting_hours", "working_hours", "open", "open_waiting_hours"),
    )
    table.rows.extend((name, *found[name]) for name in GATES if name in found)
    return table


# --- service levels ------------------------------------------------------------------------------

_SERVICE_FIGURES = ("sl_tasks", "sl_done", "sl_late", "sl_open", "sl_due")


def _due_today(session: Session, filters: KpiFilters, now: dt.datetime) -> dict[str, int]:
    """Open tasks due earlier today than ``now``, per permit type (the sums count due days; the
    day that is running needs the times)."""
    today = start_of(now.astimezone(dt.UTC).date())
    rows = session.execute(
        select(col(Case.permit_type), func.count())
        .select_from(ApprovalTask)
        .join(Case, col(Case.id) == ApprovalTask.case_id)
        .where(
            col(ApprovalTask.status) == TaskStatus.OPEN,
            col(ApprovalTask.due_at) >= today,
            col(ApprovalTask.due_at) < now,
            *case_conditions(filters),
        )
        .group_by(col(Case.permit_type))
    ).all()
    return {str(permit_type): int(n) for permit_type, n in rows}


def breaches(session: Session, filters: KpiFilters, now: dt.datetime) -> KpiTable:
    """Per permit type: gate tasks completed with a due time, how many after it, the breach
    rate; open tasks and how many are past due now."""
    sums = read_sums(session, _SERVICE_FIGURES, filters)
    today = now.astimezone(dt.UTC).date().isoformat()
    overdue: Counter[str] = Counter(_due_today(session, filters, now))
    for (permit_type, due_day), found in sums["sl_due"].items():
        if due_day < today:
            overdue[permit_type] += found.n

    def count(figure: str, permit_type: str) -> int:
        found = sums[figure].get((permit_type, ""))
        return found.n if found else 0

    table = KpiTable(
        "service_levels",
        ("permit_type", "completed", "completed_late", "breach_rate", "open", "open_overdue"),
    )
    for permit_type in sorted({permit_type for permit_type, _key in sums["sl_tasks"]}):
        completed, late = count("sl_done", permit_type), count("sl_late", permit_type)
        table.rows.append(
            (
                permit_type,
                completed,
                late,
                share(late, completed),
                count("sl_open", permit_type),
                overdue[permit_type],
            )
        )
    return table


# --- OCR corrections -----------------------------------------------------------------------------


def corrections(session: Session, filters: KpiFilters) -> KpiTable:
    """Per field: values read, checked by a person, changed by that person; the correction rate
    (changed of read) and changed of checked (as ``permits ocr corrections`` counts it). A
    changed field keeps what was read (``original_value``)."""
    sums = read_sums(session, ("ocr_read", "ocr_checked", "ocr_corrected"), filters)
    read, checked, corrected = (
        _by_key(sums, figure) for figure in ("ocr_read", "ocr_checked", "ocr_corrected")
    )
    measured = [
        (
            name,
            found.n,
            checked[name].n if name in checked else 0,
            corrected[name].n if name in corrected else 0,
        )
        for name, found in read.items()
    ]
    measured.sort(key=lambda row: (-(row[3] / row[1]), row[0]))
    table = KpiTable(
        "ocr_corrections",
        ("field", "read", "checked", "corrected", "correction_rate", "corrected_of_checked"),
    )
    table.rows.extend((n, r, v, c, share(c, r), share(c, v)) for n, r, v, c in measured)
    return table


# --- throughput ----------------------------------------------------------------------------------


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def throughput(session: Session, filters: KpiFilters) -> KpiTable:
    """Per week (its Monday): cases received, and cases decided, in that week."""
    days = per_day(session, ("received", "decided"), filters)
    weeks: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for column, figure in enumerate(("received", "decided")):
        for day, n in days[figure].items():
            weeks[_monday(day)][column] += n
    table = KpiTable("throughput", ("week", "received", "decided"))
    if weeks:  # every week from the first to the last, quiet ones too (a chart's even steps)
        week, last = min(weeks), max(weeks)
        while week <= last:
            table.rows.append((week, *weeks.get(week, (0, 0))))
            week += dt.timedelta(days=7)
    return table
