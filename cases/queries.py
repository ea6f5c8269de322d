"""Read-only queries behind the caseworker console: the inbox and everything the case page shows.

They take the caller's ``session`` and never write, so a page render cannot change a case. The
results are plain dataclasses over loaded rows: the web layer renders them without touching the
database again (sessions are opened with ``expire_on_commit=False``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import true
from sqlmodel import Session, col, func, select

from cases.casework import get_case
from cases.catalogue import Permit, PermitType, Text, get_permit_type
from cases.errors import NotFound
from cases.explanation import Explanation, explain
from cases.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    Document,
    EligibilityResult,
    ExtractedField,
    FieldStatus,
    InformationRequest,
    Letter,
    Review,
    Role,
    TaskKind,
    TaskStatus,
    utcnow,
)
from cases.settings import get_settings
from cases.tasks import ROLE_RANK, Actor

__all__ = [
    "CaseFile",
    "DueFilter",
    "FieldRow",
    "InboxFilters",
    "InboxItem",
    "InboxPage",
    "Queue",
    "case_document",
    "case_file",
    "case_letter",
    "case_summary",
    "inbox",
    "open_tasks",
    "recent_cases",
    "task_case_id",
    "workable_roles",
]


def _as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without a zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Queue(StrEnum):
    MINE = "mine"  # claimed by me
    TEAM = "team"  # every open task my role may work
    ALL = "all"  # every open task (auditors, admins: read only)


class DueFilter(StrEnum):
    OVERDUE = "overdue"
    WEEK = "week"  # due within seven days, overdue included


@dataclass(frozen=True)
class InboxFilters:
    queue: Queue = Queue.TEAM
    permit_type: str | None = None
    kind: TaskKind | None = None
    risk: str | None = None
    due: DueFilter | None = None


@dataclass(frozen=True)
class InboxItem:
    task: ApprovalTask
    case: Case
    overdue: bool
    risk: str | None = None


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int
    page: int
    page_size: int
    counts: dict[Queue, int]
    overdue: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def workable_roles(role: Role) -> list[Role]:
    """The task roles someone with ``role`` may complete (a senior does a caseworker's work)."""
    rank = ROLE_RANK.get(role, 0)
    return [r for r, needed in ROLE_RANK.items() if rank and needed <= rank]


def _queue_condition(queue: Queue, user: Actor) -> Any:
    if queue == Queue.MINE:
        return col(ApprovalTask.claimed_by) == user.username
    if queue == Queue.TEAM:
        return col(ApprovalTask.required_role).in_([str(r) for r in workable_roles(user.role)])
    return true()


def _filtered(statement: Any, filters: InboxFilters, user: Actor, now: dt.datetime) -> Any:
    statement = statement.where(
        col(ApprovalTask.status) == TaskStatus.OPEN, _queue_condition(filters.queue, user)
    )
    if filters.permit_type:
        statement = statement.where(col(Case.permit_type) == filters.permit_type)
    if filters.kind:
        statement = statement.where(col(ApprovalTask.kind) == filters.kind)
    if filters.risk:
        statement = statement.where(col(Review.risk) == filters.risk)
    if filters.due == DueFilter.OVERDUE:
        statement = statement.where(col(ApprovalTask.due_at) < now)
    elif filters.due == DueFilter.WEEK:
        statement = statement.where(col(ApprovalTask.due_at) < now + dt.timedelta(days=7))
    return statement


def _joined(statement: Any, filters: InboxFilters | None = None) -> Any:
    """Join the case and its review; a count joins only what its filters need."""
    if filters is None or filters.permit_type:
        statement = statement.join(Case, col(Case.id) == col(ApprovalTask.case_id))
    if filters is None:
        return statement.outerjoin(Review, col(Review.case_id) == col(ApprovalTask.case_id))
    if filters.risk:
        statement = statement.join(Review, col(Review.case_id) == col(ApprovalTask.case_id))
    return statement


def _count(session: Session, filters: InboxFilters, user: Actor, now: dt.datetime) -> int:
    statement = _filtered(
        _joined(select(func.count()).select_from(ApprovalTask), filters), filters, user, now
    )
    return int(session.exec(statement).one())


def inbox(
    *,
    session: Session,
    user: Actor,
    filters: InboxFilters | None = None,
    page: int = 1,
    page_size: int = 25,
    now: dt.datetime | None = None,
) -> InboxPage:
    """One page of open tasks, most urgent first, with the size of each queue.

    The tasks are walked in due order through the ``ix_approvaltask_open_queue`` index and the
    page is cut in the database (LIMIT/OFFSET), so the cost follows the page, not the number of
    cases. The counts read every open task, but from that index alone (it carries the columns
    they filter on); ``permits bench inbox`` measures both over 100,000 cases.
    """
    now = now or utcnow()
    filters = filters or InboxFilters()
    page = max(1, page)
    statement = _filtered(
        _joined(select(ApprovalTask, Case, Review.risk)),
        filters,
        user,
        now,
    )
    rows = session.exec(
        statement.order_by(col(ApprovalTask.due_at), col(ApprovalTask.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    items = [
        InboxItem(task, case, task.due_at is not None and _as_utc(task.due_at) < now, risk)
        for task, case, risk in rows
    ]
    counts = {q: _count(session, InboxFilters(queue=q), user, now) for q in Queue}
    unfiltered = filters == InboxFilters(queue=filters.queue)  # the total is the queue's count
    return InboxPage(
        items=items,
        total=counts[filters.queue] if unfiltered else _count(session, filters, user, now),
        page=page,
        page_size=page_size,
        counts=counts,
        overdue=_count(session, InboxFilters(queue=Queue.ALL, due=DueFilter.OVERDUE), user, now),
    )


def open_tasks(*, session: Session, now: dt.datetime | None = None) -> list[InboxItem]:
    """Every open task with its case, most urgent first (for scripts; the inbox pages)."""
    now = now or utcnow()
    rows = session.exec(
        select(ApprovalTask, Case)
        .join(Case, col(Case.id) == col(ApprovalTask.case_id))
        .where(ApprovalTask.status == TaskStatus.OPEN)
        .order_by(col(ApprovalTask.due_at), col(ApprovalTask.id))
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
    """An extracted field with the label the permit's catalogue gives it (both languages)."""

    field: ExtractedField
    label: Text


@dataclass(frozen=True)
class FieldBox:
    """Where OCR read a field, in the page image's pixels: [x0, y0, x1, y1]."""

    name: str
    label: Text
    bbox: tuple[int, int, int, int]
    flagged: bool


@dataclass(frozen=True)
class PageView:
    """A document's first page (what OCR read) with the boxes of the fields read from it.

    The size is worked out from the upload's; the page's script corrects it from the image itself
    (an EXIF-rotated photo swaps the two).
    """

    document: Document
    width: int
    height: int
    boxes: list[FieldBox]


def _page_views(documents: list[Document], rows: list[FieldRow]) -> list[PageView]:
    views: list[PageView] = []
    for document in documents:
        boxes = [
            FieldBox(
                row.field.name,
                row.label,
                (row.field.bbox[0], row.field.bbox[1], row.field.bbox[2], row.field.bbox[3]),
                row.field.status == FieldStatus.FLAGGED,
            )
            for row in rows
            if row.field.document_id == document.id
            and row.field.page == 1
            and len(row.field.bbox) == 4
        ]
        # Boxes are in the pixels of the page as extraction rasterised it (PDFs at this dpi).
        dpi = get_settings().pdf_render_dpi
        scale = dpi / 72 if document.media_type == "application/pdf" else 1
        width = round((document.width_px or 1000) * scale)
        height = round((document.height_px or 1400) * scale)
        views.append(PageView(document, width, height, boxes))
    return views


@dataclass(frozen=True)
class CaseFile:
    """Everything the case page shows, loaded in one go."""

    case: Case
    permit_name: Text
    documents: list[Document]
    fields: list[FieldRow]
    eligibility: EligibilityResult | None
    explanation: Explanation | None
    review: Review | None
    verify_task: ApprovalTask | None
    decide_task: ApprovalTask | None
    letters: list[Letter]
    events: list[AuditEvent]
    pages: list[PageView]
    information_requests: list[InformationRequest]
    document_names: dict[str, Text]  # document kind -> what the permit calls it
    field_labels: dict[str, Text]  # field name -> its label, for the values the rules read

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.review.findings.get("findings", [])) if self.review else []


def _permit_type(case: Case) -> PermitType | None:
    """The case's permit type, or None if the catalogue no longer holds it."""
    try:
        return get_permit_type(case.permit_type)
    except NotFound:
        return None


def _field_labels(permit: Permit | None) -> dict[str, Text]:
    """Field name -> label, the application's fields first, then the supporting documents'."""
    return {spec.name: spec.label for spec in permit.all_fields} if permit else {}


def _field_rows(fields: list[ExtractedField], labels: dict[str, Text]) -> list[FieldRow]:
    """Fields in the catalogue's order, labelled; unknown fields last, under their own name."""
    order = {name: i for i, name in enumerate(labels)}
    ordered = sorted(fields, key=lambda f: (order.get(f.name, len(order)), f.name))
    return [FieldRow(f, labels.get(f.name) or Text(en=f.name, zh_hant=f.name)) for f in ordered]


def _open_task(tasks: list[ApprovalTask], kind: TaskKind) -> ApprovalTask | None:
    return next((t for t in tasks if t.kind == kind and t.status == TaskStatus.OPEN), None)


def case_file(case_id: int, *, session: Session) -> CaseFile:
    """Load a case and all its parts; raise NotFound for an unknown id."""
    case = get_case(session, case_id)
    permit_type = _permit_type(case)
    permit = permit_type.permit if permit_type else None
    labels = _field_labels(permit)
    tasks = list(session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case_id)))
    documents = list(
        session.exec(select(Document).where(Document.case_id == case_id).order_by(col(Document.id)))
    )
    fields = _field_rows(
        list(session.exec(select(ExtractedField).where(ExtractedField.case_id == case_id))),
        labels,
    )
    eligibility = session.exec(
        select(EligibilityResult).where(EligibilityResult.case_id == case_id)
    ).first()
    return CaseFile(
        case=case,
        permit_name=permit.name if permit else Text(en=case.permit_type, zh_hant=case.permit_type),
        documents=documents,
        fields=fields,
        eligibility=eligibility,
        explanation=explain(eligibility, permit_type) if eligibility else None,
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
        pages=_page_views(documents, fields),
        information_requests=list(
            session.exec(
                select(InformationRequest)
                .where(InformationRequest.case_id == case_id)
                .order_by(col(InformationRequest.id))
            )
        ),
        document_names={d.kind: d.name for d in permit.required_documents} if permit else {},
        field_labels=labels,
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
