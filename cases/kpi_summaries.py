"""The KPIs' compact data, kept in step with the cases: a summary per case (:class:`CaseKpi`)
and the sums of the summaries per permit type and day or month (:class:`KpiSum`).

A case's summary is a list of *facts* ``(figure, day, key, n, total)``: what the case adds to
each sum ("one decision task done, waited 7,200 s, on the day it was submitted"). It is worked
out from the stored rows alone (:func:`summaries_of`), and kept in one place: after every flush
that touched a case's rows (the case, its tasks, requests, fields, eligibility result and
event, review and verdicts), and around every bulk UPDATE or DELETE of those tables, the
touched cases' summaries are worked out again in the same transaction and the sums move by the
difference (:func:`refresh_case_kpis`). The migration that made the tables and the bench
seeder, which writes rows past the ORM, call the same function over every case.

The facts, by figure (``n`` counts; ``total`` sums seconds, or epoch seconds for "open since"):

- ``received``, ``stage`` (key: status), ``turnaround`` (key: whole days), ``decided`` (on the
  day of the decision), ``evaluated`` and ``failed_rule`` (key: rule id);
- ``gate_tasks``, ``gate_done``, ``gate_wait``, ``gate_work``, ``gate_open`` (key: the gate),
  ``request_answered``, ``request_answer``, ``request_open`` (the applicant's gate);
- ``sl_tasks``, ``sl_done``, ``sl_late``, ``sl_open``, ``sl_due`` (key: an open task's due day);
- ``ocr_read``, ``ocr_checked``, ``ocr_corrected`` (key: field);
- ``finding``, ``finding_confirmed``, ``finding_dismissed`` (key: finding code).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, case, delete, event, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session

from cases.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    CaseKpi,
    EligibilityResult,
    ExtractedField,
    FieldStatus,
    FindingVerdict,
    InformationRequest,
    KpiSum,
    RequestResolution,
    Review,
    TaskKind,
    TaskStatus,
)

__all__ = [
    "EVALUATED",
    "CaseSummary",
    "Fact",
    "case_ids_touched",
    "month_of",
    "refresh_all_case_kpis",
    "refresh_case_kpis",
    "summaries_of",
]

EVALUATED = "eligibility.evaluated"
Fact = tuple[str, str, str, int, float]  # figure, day (ISO), key, n, total
_CHUNK = 500
_TRACKED: tuple[type[Any], ...] = (
    ApprovalTask,
    InformationRequest,
    ExtractedField,
    EligibilityResult,
    Review,
    FindingVerdict,
)


@dataclass(frozen=True)
class CaseSummary:
    case_id: int
    permit_type: str
    status: str
    submitted_on: dt.date
    decided_on: dt.date | None
    turnaround_days: int | None
    facts: tuple[Fact, ...]

    def row(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "permit_type": self.permit_type,
            "status": self.status,
            "submitted_on": self.submitted_on,
            "decided_on": self.decided_on,
            "turnaround_days": self.turnaround_days,
            "facts": [list(fact) for fact in self.facts],
        }


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --- the stored rows of some cases ----------------------------------------------------------------


@dataclass
class _Rows:
    """Everything the KPIs read about a set of cases, by case id."""

    cases: dict[int, Any] = field(default_factory=dict)
    tasks: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    requests: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    fields: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    findings: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    verdicts: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    evaluated: dict[int, int] = field(default_factory=dict)
    failed: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _columns(model: Any) -> Any:
    return model.__table__.c


def _load_work(connection: Connection, ids: list[int], rows: _Rows) -> None:
    """The cases, their gate tasks and their requests for information."""
    c = _columns(Case)
    for case_row in connection.execute(
        select(c.id, c.permit_type, c.status, c.submitted_at, c.decided_outcome).where(
            c.id.in_(ids)
        )
    ):
        rows.cases[case_row[0]] = case_row
    t = _columns(ApprovalTask)
    times = (t.created_at, t.claimed_at, t.completed_at, t.due_at)
    for row in connection.execute(
        select(t.case_id, t.kind, t.step, t.status, t.decision, *times).where(t.case_id.in_(ids))
    ):
        rows.tasks[row[0]].append(row)
    r = _columns(InformationRequest)
    for row in connection.execute(
        select(r.case_id, r.resolution, r.requested_at, r.resolved_at).where(r.case_id.in_(ids))
    ):
        rows.requests[row[0]].append(row)


def _load_documents(connection: Connection, ids: list[int], rows: _Rows) -> None:
    """Their fields (counted per name), review findings, verdicts and eligibility records."""
    f = _columns(ExtractedField)
    verified = func.sum(case((f.status == FieldStatus.VERIFIED, 1), else_=0))
    corrected = func.sum(case((f.original_value.is_not(None), 1), else_=0))
    for row in connection.execute(
        select(f.case_id, f.name, func.count(), verified, corrected)
        .where(f.case_id.in_(ids))
        .group_by(f.case_id, f.name)
    ):
        rows.fields[row[0]].append(row)
    r = _columns(Review)
    for case_id, findings in connection.execute(
        select(r.case_id, r.findings).where(r.case_id.in_(ids))
    ):
        for item in (findings or {}).get("findings") or []:
            rows.findings[case_id][str((item.get("fact") or {}).get("code"))] += 1
    v = _columns(FindingVerdict)
    for row in connection.execute(
        select(v.case_id, v.code, v.verdict, func.count())
        .where(v.case_id.in_(ids))
        .group_by(v.case_id, v.code, v.verdict)
    ):
        rows.verdicts[row[0]].append(row)
    e = _columns(EligibilityResult)
    for case_id, n in connection.execute(
        select(e.case_id, func.count()).where(e.case_id.in_(ids)).group_by(e.case_id)
    ):
        rows.evaluated[case_id] = int(n)
    a = _columns(AuditEvent)
    for case_id, payload in connection.execute(
        select(a.case_id, a.payload).where(a.action == EVALUATED, a.case_id.in_(ids))
    ):
        for rule in (payload or {}).get("failed_rules") or []:
            rows.failed[case_id][str(rule)] += 1


def _load(connection: Connection, ids: list[int]) -> _Rows:
    rows = _Rows()
    _load_work(connection, ids, rows)
    _load_documents(connection, ids, rows)
    return rows


# --- one case's facts -----------------------------------------------------------------------------


def _gate(kind: str, step: int) -> str:
    if kind == TaskKind.VERIFY_FIELDS:
        return "verify_fields"
    return "second_approval" if step == 2 else "decide"


class _Facts:
    def __init__(self, day: dt.date) -> None:
        self.day = day.isoformat()
        self.items: list[Fact] = []

    def add(self, figure: str, key: str = "", total: float = 0.0, *, n: int = 1) -> None:
        self.items.append((figure, self.day, key, n, total))


def _service_facts(facts: _Facts, status: str, completed: Any, due: Any) -> None:
    if due is None:
        return
    facts.add("sl_tasks")
    if status == TaskStatus.DONE and completed is not None:
        facts.add("sl_done")
        if completed > due:
            facts.add("sl_late")
    if status == TaskStatus.OPEN:
        facts.add("sl_open")
        facts.add("sl_due", due.date().isoformat())


def _task_facts(facts: _Facts, tasks: list[Any]) -> dt.datetime | None:
    """The gate and service-level facts of a case's tasks; when its decision was made."""
    decided: dt.datetime | None = None
    for _case_id, kind, step, status, decision, *times in tasks:
        created, claimed, completed, due = (_utc(t) for t in times)
        gate = _gate(kind, step)
        facts.add("gate_tasks", gate)
        if status == TaskStatus.DONE:
            facts.add("gate_done", gate)
            wait = _seconds(created, claimed or completed)
            if wait is not None:
                facts.add("gate_wait", gate, wait)
            work = _seconds(claimed, completed)
            if work is not None:
                facts.add("gate_work", gate, work)
            if kind == TaskKind.DECIDE and decision is not None and completed is not None:
                decided = completed if decided is None else max(decided, completed)
        if status == TaskStatus.OPEN and created is not None:
            facts.add("gate_open", gate, created.timestamp())
        _service_facts(facts, status, completed, due)
    return decided


def _request_facts(facts: _Facts, requests: list[Any]) -> None:
    for _case_id, resolution, requested, resolved in requests:
        if resolution == RequestResolution.ANSWERED:
            facts.add("request_answered")
            answer = _seconds(_utc(requested), _utc(resolved))
            if answer is not None:
                facts.add("request_answer", "", answer)
        elif resolution is None:
            asked = _utc(requested)
            if asked is not None:
                facts.add("request_open", "", asked.timestamp())


def _document_facts(facts: _Facts, rows: _Rows, case_id: int) -> None:
    for _case_id, name, read, checked, corrected in rows.fields.get(case_id, ()):
        facts.add("ocr_read", name, n=int(read))
        if checked:
            facts.add("ocr_checked", name, n=int(checked))
        if corrected:
            facts.add("ocr_corrected", name, n=int(corrected))
    for code, n in sorted(rows.findings.get(case_id, Counter()).items()):
        facts.add("finding", code, n=n)
    for _case_id, code, verdict, n in rows.verdicts.get(case_id, ()):
        if verdict in ("confirmed", "dismissed"):
            facts.add(f"finding_{verdict}", str(code), n=int(n))
    if rows.evaluated.get(case_id):
        facts.add("evaluated", n=rows.evaluated[case_id])
    for rule, n in sorted(rows.failed.get(case_id, Counter()).items()):
        facts.add("failed_rule", rule, n=n)


def _summary(rows: _Rows, case_id: int) -> CaseSummary | None:
    found = rows.cases.get(case_id)
    submitted = _utc(found[3]) if found else None
    if found is None or submitted is None:
        return None
    _id, permit_type, status, _submitted, outcome = found
    facts = _Facts(submitted.date())
    facts.add("received")
    facts.add("stage", str(status))
    decided = _task_facts(facts, rows.tasks.get(case_id, []))
    _request_facts(facts, rows.requests.get(case_id, []))
    _document_facts(facts, rows, case_id)
    days: int | None = None
    if outcome is not None and decided is not None:
        days = max(0, math.floor((decided - submitted).total_seconds() / 86400))
        facts.add("turnaround", str(days))
        facts.items.append(("decided", decided.date().isoformat(), "", 1, 0.0))
    return CaseSummary(
        case_id=case_id,
        permit_type=str(permit_type),
        status=str(status),
        submitted_on=submitted.date(),
        decided_on=decided.date() if days is not None and decided else None,
        turnaround_days=days,
        facts=tuple(sorted(facts.items)),  # the same whatever order the rows came in
    )


def summaries_of(connection: Connection, case_ids: Iterable[int]) -> dict[int, CaseSummary]:
    """The summaries of these cases worked out afresh from their stored rows (a case that is
    gone, or not submitted, has none)."""
    ids = sorted(set(case_ids))
    found: dict[int, CaseSummary] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = _load(connection, chunk)
        for case_id in chunk:
            summary = _summary(rows, case_id)
            if summary is not None:
                found[case_id] = summary
    return found


# --- keeping the summaries and sums ---------------------------------------------------------------

_SumKey = tuple[str, str, dt.date, str, str]  # figure, grain, day, permit type, key


def _stored(connection: Connection, ids: list[int]) -> dict[int, tuple[str, list[Fact]]]:
    table = CaseKpi.__table__  # type: ignore[attr-defined]
    statement = select(table.c.case_id, table.c.permit_type, table.c.facts).where(
        table.c.case_id.in_(ids)
    )
    return {
        case_id: (permit_type, [tuple(fact) for fact in facts or []])
        for case_id, permit_type, facts in connection.execute(statement.with_for_update())
    }


def _move(
    sums: dict[_SumKey, list[float]], permit_type: str, facts: Iterable[Fact], sign: int
) -> None:
    for figure, day_text, key, n, total in facts:
        day = dt.date.fromisoformat(day_text)
        for grain, at in (("d", day), ("m", month_of(day))):
            moved = sums.setdefault((figure, grain, at, permit_type, key), [0, 0.0])
            moved[0] += sign * n
            moved[1] += sign * total


def _apply(connection: Connection, sums: Mapping[_SumKey, list[float]]) -> None:
    """Add the differences to the sums (in key order: two writers lock rows in the same order)."""
    table = KpiSum.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "figure": k[0],
            "grain": k[1],
            "day": k[2],
            "permit_type": k[3],
            "key": k[4],
            "n": int(v[0]),
            "total": v[1],
        }
        for k, v in sorted(sums.items())
        if v[0] or v[1]
    ]
    if not rows:
        return
    statement: Any = (
        postgresql_insert(table)
        if connection.dialect.name == "postgresql"
        else sqlite_insert(table)
    )
    statement = statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={
            "n": table.c.n + statement.excluded.n,
            "total": table.c.total + statement.excluded.total,
        },
    )
    for start in range(0, len(rows), 5000):
        connection.execute(statement, rows[start : start + 5000])


def refresh_case_kpis(connection: Connection, case_ids: Iterable[int]) -> int:
    """Work out these cases' summaries again; where one changed, store it and move the sums by
    the difference. Returns how many changed. Runs inside the caller's transaction."""
    ids = sorted(set(case_ids))
    table = CaseKpi.__table__  # type: ignore[attr-defined]
    sums: dict[_SumKey, list[float]] = {}
    changed = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        old = _stored(connection, chunk)
        new = summaries_of(connection, chunk)
        stale, fresh = [], []
        for case_id in chunk:
            before, after = old.get(case_id), new.get(case_id)
            if before == ((after.permit_type, list(after.facts)) if after else None):
                continue
            if before:
                _move(sums, before[0], before[1], -1)
                stale.append(case_id)
            if after:
                _move(sums, after.permit_type, after.facts, 1)
                fresh.append(after.row())
        if stale:
            connection.execute(delete(table).where(table.c.case_id.in_(stale)))
        if fresh:
            connection.execute(insert(table), fresh)
        changed += len(set(stale) | {row["case_id"] for row in fresh})
    _apply(connection, sums)
    return changed


def refresh_all_case_kpis(connection: Connection) -> int:
    """Every case's summary (the migration's backfill, the bench seeder)."""
    ids = connection.execute(select(_columns(Case).id)).scalars().all()
    return refresh_case_kpis(connection, ids)


# --- where the summaries are kept: the session's flushes and bulk statements --------------------


def case_ids_touched(objects: Iterable[Any]) -> set[int]:
    """The cases whose KPI facts these new, changed or deleted rows may change."""
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, Case):
            case_id = obj.id
        elif isinstance(obj, _TRACKED) or (isinstance(obj, AuditEvent) and obj.action == EVALUATED):
            case_id = obj.case_id
        else:
            continue
        if case_id is not None:
            ids.add(case_id)
    return ids


@event.listens_for(Session, "after_flush")
def after_flush(session: Session, _context: Any = None) -> None:
    """After every flush (of any session: cases.db imports this module) that touched a case."""
    touched = case_ids_touched([*session.new, *session.dirty, *session.deleted])
    if touched:
        refresh_case_kpis(session.connection(), touched)


@event.listens_for(Session, "do_orm_execute")
def around_bulk_statement(state: ORMExecuteState) -> Any:
    """An ORM UPDATE or DELETE of a case's rows: note which cases it reaches, run it, refresh
    them. Anything else runs as it is (None)."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return None
    model = state.bind_mapper.class_
    if model is Case:
        column = Case.__table__.c.id  # type: ignore[attr-defined]
    elif model in _TRACKED:
        column = model.__table__.c.case_id
    else:
        return None
    where = getattr(state.statement, "whereclause", None)
    query = select(column) if where is None else select(column).where(where)
    connection = state.session.connection()
    touched = set(connection.execute(query).scalars())
    result = state.invoke_statement()
    if touched:
        refresh_case_kpis(connection, touched)
    return result
