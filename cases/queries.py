"""Read-only queries behind the caseworker console: the inbox and everything the case page shows.

They take the caller's ``session`` and never write, so a page render cannot change a case. The
results are plain dataclasses over loaded rows: the web layer renders them without touching the
database again (sessions are opened with ``expire_on_commit=False``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from cases.casework import get_case
from cases.catalogue import Permit, get_permit_type
from cases.errors import NotFound
from cases.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    Document,
    EligibilityResult,
    ExtractedField,
    Letter,
    Review,
    TaskKind,
    TaskStatus,
    utcnow,
)

__all__ = [
    "CaseFile",
    "FieldRow",
    "InboxItem",
    "case_document",
    "case_file",
    "case_letter",
    "case_summary",
    "open_tasks",
    "recent_cases",
    "task_case_id",
]


def _as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without a zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class InboxItem:
    task: ApprovalTask
    case: Case
    overdue: bool


def open_tasks(*, session: Session, now: dt.datetime | None = None) -> list[InboxItem]:
    """Open approval tasks with their case, most urgent first (no due date last)."""
    now = now or utcnow()
    rows = session.exec(
        select(ApprovalTask, Case)
        .join(Case, col(Case.id) == col(ApprovalTask.case_id))
        .where(ApprovalTask.status == TaskStatus.OPEN)
        .order_by(
            col(ApprovalTask.due_at).is_(None), col(ApprovalTask.due_at), col(ApprovalTask.id)
        )
    ).all()
    return [
        InboxItem(task, case, task.due_at is not None and _as_utc(task.due_at) < now)
        for task, case in rows
    ]


def recent_cases(*, session: Session, limit: int = 20) -> list[Case]:
    return list(
        session.exec(
            select(Case).order_by(col(Case.submitted_at).desc(), col(Case.id).desc()).limit(limit)
        )
    )


@dataclass(frozen=True)
class FieldRow:
    """An extracted field with the label the permit's catalogue gives it."""

    field: ExtractedField
    label: str


@dataclass(frozen=True)
class CaseFile:
    """Everything the case page shows, loaded in one go."""

    case: Case
    permit_name: str
    documents: list[Document]
    fields: list[FieldRow]
    eligibility: EligibilityResult | None
    review: Review | None
    verify_task: ApprovalTask | None
    decide_task: ApprovalTask | None
    letters: list[Letter]
    events: list[AuditEvent]

    @property
    def rule_results(self) -> list[dict[str, Any]]:
        rules = self.eligibility.trace.get("rules", []) if self.eligibility else []
        return list(rules)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.review.findings.get("findings", [])) if self.review else []


def _permit(case: Case) -> Permit | None:
    """The case's permit definition, or None if the catalogue no longer holds its type."""
    try:
        return get_permit_type(case.permit_type).permit
    except NotFound:
        return None


def _field_rows(fields: list[ExtractedField], permit: Permit | None) -> list[FieldRow]:
    """Fields in the catalogue's order, labelled; unknown fields last, under their own name."""
    specs = (
        {spec.name: (i, spec.label.en) for i, spec in enumerate(permit.fields)} if permit else {}
    )
    ordered = sorted(fields, key=lambda f: (specs.get(f.name, (len(specs), f.name))[0], f.name))
    return [FieldRow(f, specs[f.name][1] if f.name in specs else f.name) for f in ordered]


def _open_task(tasks: list[ApprovalTask], kind: TaskKind) -> ApprovalTask | None:
    return next((t for t in tasks if t.kind == kind and t.status == TaskStatus.OPEN), None)


def case_file(case_id: int, *, session: Session) -> CaseFile:
    """Load a case and all its parts; raise NotFound for an unknown id."""
    case = get_case(session, case_id)
    permit = _permit(case)
    tasks = list(session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case_id)))
    return CaseFile(
        case=case,
        permit_name=permit.name.en if permit else case.permit_type,
        documents=list(
            session.exec(
                select(Document).where(Document.case_id == case_id).order_by(col(Document.id))
            )
        ),
        fields=_field_rows(
            list(session.exec(select(ExtractedField).where(ExtractedField.case_id == case_id))),
            permit,
        ),
        eligibility=session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).first(),
        review=session.exec(select(Review).where(Review.case_id == case_id)).first(),
        verify_task=_open_task(tasks, TaskKind.VERIFY_FIELDS),
        decide_task=_open_task(tasks, TaskKind.DECIDE),
        letters=list(
            session.exec(select(Letter).where(Letter.case_id == case_id).order_by(col(Letter.id)))
        ),
        events=list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.case_id == case_id)
                .order_by(col(AuditEvent.seq))
            )
        ),
    )


def case_document(case_id: int, document_id: int, *, session: Session) -> Document:
    """A document of this case; another case's document is reported as not found."""
    document = session.get(Document, document_id)
    if document is None or document.case_id != case_id:
        raise NotFound(f"case {case_id} has no document {document_id}")
    return document


def case_letter(case_id: int, letter_id: int, *, session: Session) -> Letter:
    """A letter of this case; another case's letter is reported as not found."""
    letter = session.get(Letter, letter_id)
    if letter is None or letter.case_id != case_id:
        raise NotFound(f"case {case_id} has no letter {letter_id}")
    return letter


def task_case_id(task_id: int, *, session: Session) -> int:
    """The case a task belongs to, so a failed action can re-show that case's page."""
    task = session.get(ApprovalTask, task_id)
    if task is None:
        raise NotFound(f"no task with id {task_id}")
    return task.case_id


def case_summary(case_id: int, *, session: Session) -> dict[str, Any]:
    """A case's status in JSON-ready form, for the API and for status pages."""
    case = get_case(session, case_id)
    tasks = session.exec(
        select(ApprovalTask).where(
            ApprovalTask.case_id == case_id, ApprovalTask.status == TaskStatus.OPEN
        )
    )
    return {
        "id": case.id,
        "reference": case.reference,
        "permit_type": case.permit_type,
        "status": str(case.status),
        "submitted_at": _as_utc(case.submitted_at).isoformat(),
        "application_date": case.application_date.isoformat() if case.application_date else None,
        "ruleset_version": case.ruleset_version,
        "proposed_outcome": case.proposed_outcome,
        "decided_outcome": case.decided_outcome,
        "open_tasks": [
            {
                "id": t.id,
                "kind": str(t.kind),
                "due_at": _as_utc(t.due_at).isoformat() if t.due_at else None,
            }
            for t in tasks
        ],
    }
