"""One case's KPI facts, worked out from its stored rows alone (see the package's docstring
for the figures)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, case, func, select

from cases.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    EligibilityResult,
    ExtractedField,
    FieldStatus,
    FindingVerdict,
    InformationRequest,
    RequestResolution,
    Review,
    TaskKind,
    TaskStatus,
)

EVALUATED = "eligibility.evaluated"
Fact = tuple[str, str, str, int, float]  # figure, day (ISO), key, n, total
CHUNK = 500  # cases a statement reads or writes at once
TRACKED: tuple[type[Any], ...] = (
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


def columns(model: Any) -> Any:
    return model.__table__.c


def _load_work(connection: Connection, ids: list[int], rows: _Rows) -> None:
    """The cases, their gate tasks and their requests for information."""
    c = columns(Case)
    for case_row in connection.execute(
        select(c.id, c.permit_type, c.status, c.submitted_at, c.decided_outcome).where(
            c.id.in_(ids)
        )
    ):
        rows.cases[case_row[0]] = case_row
    t = columns(ApprovalTask)
    times = (t.created_at, t.claimed_at, t.completed_at, t.due_at)
    for row in connection.execute(
        select(t.case_id, t.kind, t.step, t.status, t.decision, *times).where(t.case_id.in_(ids))
    ):
        rows.tasks[row[0]].append(row)
    r = columns(InformationRequest)
    for row in connection.execute(
        select(r.case_id, r.resolution, r.requested_at, r.resolved_at).where(r.case_id.in_(ids))
    ):
        rows.requests[row[0]].append(row)


def _load_documents(connection: Connection, ids: list[int], rows: _Rows) -> None:
    """Their fields (counted per name), review findings, verdicts and eligibility records."""
    f = columns(ExtractedField)
    verified = func.sum(case((f.status == FieldStatus.VERIFIED, 1), else_=0))
    corrected = func.sum(case((f.original_value.is_not(None), 1), else_=0))
    for row in connection.execute(
        select(f.case_id, f.name, func.count(), verified, corrected)
        .where(f.case_id.in_(ids))
        .group_by(f.case_id, f.name)
    ):
        rows.fields[row[0]].append(row)
    r = columns(Review)
    for case_id, findings in connection.execute(
        select(r.case_id, r.findings).where(r.case_id.in_(ids))
    ):
        for item in (findings or {}).get("findings") or []:
            rows.findings[case_id][str((item.get("fact") or {}).get("code"))] += 1
    v = columns(FindingVerdict)
    for row in connection.execute(
        select(v.case_id, v.code, v.verdict, func.count())
        .where(v.case_id.in_(ids))
        .group_by(v.case_id, v.code, v.verdict)
    ):
        rows.verdicts[row[0]].append(row)
    e = columns(EligibilityResult)
    for case_id, n in connection.execute(
        select(e.case_id, func.count()).where(e.case_id.in_(ids)).group_by(e.case_id)
    ):
        rows.evaluated[case_id] = int(n)
    a = columns(AuditEvent)
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
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = _load(connection, chunk)
        for case_id in chunk:
            summary = _summary(rows, case_id)
            if summary is not None:
                found[case_id] = summary
    return found
