"""Everything the case page shows, loaded in one go, and the small look-ups its actions need.

Read-only: the caller's ``session``, never a write, so a page render cannot change a case.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from cases.catalogue import Permit, PermitType, Text, get_permit_type
from cases.eligibility import Explanation, explain
from cases.errors import NotFound
from cases.models import (
    Applicant,
    ApprovalTask,
    AuditEvent,
    Case,
    Document,
    EligibilityResult,
    ExtractedField,
    InformationRequest,
    Letter,
    OutboxMessage,
    Review,
    TaskKind,
    TaskStatus,
)
from cases.notifications import case_messages
from cases.queries.pages import PageView, page_anchor, page_views
from cases.repository import get_case
from cases.review import Finding, ReviewRecord, review_record

__all__ = [
    "CaseFile",
    "FieldRow",
    "case_document",
    "case_file",
    "case_letter",
    "task_case_id",
]


@dataclass(frozen=True)
class FieldRow:
    """An extracted field with the label the permit's catalogue gives it (both languages)."""

    field: ExtractedField
    label: Text

    @property
    def box_anchor(self) -> str | None:
        """Where on the case page the field's box is drawn (its page's figure), if it has one."""
        if self.field.document_id is None or len(self.field.bbox) != 4:
            return None
        return page_anchor(self.field.document_id, self.field.page)


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
    messages: list[OutboxMessage]  # to the applicant, oldest first
    events: list[AuditEvent]
    pages: list[PageView]
    information_requests: list[InformationRequest]
    document_names: dict[str, Text]  # document kind -> what the permit calls it
    field_labels: dict[str, Text]  # field name -> its label, for the values the rules read
    applicant: Applicant | None = None  # who applied: contact details and preferred language
    review_record: ReviewRecord | None = None  # findings with verdicts, score, each run

    @property
    def new_since_request(self) -> set[int]:
        """Ids of the documents that answered the latest answered request for information: the
        new evidence the case page marks ("new since the request")."""
        answered = [r.id for r in self.information_requests if r.answered_at is not None]
        if not answered:
            return set()
        return {d.id for d in self.documents if d.id and d.information_request_id == answered[-1]}

    @property
    def findings(self) -> list[Finding]:
        stored = self.review.findings.get("findings", []) if self.review else []
        return [Finding.from_json(finding) for finding in stored]


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
    events = list(
        session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.seq))
        )
    )
    return CaseFile(
        case=case,
        permit_name=permit.name if permit else Text(en=case.permit_type, zh_hant=case.permit_type),
        documents=documents,
        fields=fields,
        eligibility=eligibility,
        explanation=explain(eligibility, permit_type) if eligibility else None,
        review=session.exec(select(Review).where(Review.case_id == case_id)).first(),
        review_record=review_record(session, case_id),
        verify_task=_open_task(tasks, TaskKind.VERIFY_FIELDS),
        decide_task=_open_task(tasks, TaskKind.DECIDE),
        letters=list(
            session.exec(select(Letter).where(Letter.case_id == case_id).order_by(col(Letter.id)))
        ),
        messages=case_messages(session, case_id),
        events=events,
        pages=page_views(documents, [(row.field, row.label) for row in fields], events),
        information_requests=list(
            session.exec(
                select(InformationRequest)
                .where(InformationRequest.case_id == case_id)
                .order_by(col(InformationRequest.id))
            )
        ),
        document_names={d.kind: d.name for d in permit.required_documents} if permit else {},
        field_labels=labels,
        applicant=session.get(Applicant, case.applicant_id) if case.applicant_id else None,
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
