"""What retention blanks in a case's rows, and what it keeps.

Kept, as the decision record: the case's reference, permit type, statuses, dates, rule set
version, proposed and decided outcome, the eligibility outcome, fee and which rules failed (with
the values of the fields that are not about a person), the review's risk and the codes of its
findings, tasks' kinds and outcomes, letters' and messages' metadata, documents' kind, size and
content hash (so a document another case still holds is recognised).

Blanked, per field kind: a field is about a person unless its value can only be a number, an
amount, a yes/no or one of the catalogue's ``choices`` (the business category, say); names,
free text, dates (a date of birth), identity card numbers, phone numbers and addresses are.
Everything a person wrote in their own words (a request's wording, the applicant's note, a
decision's or reissue's reason) and every address, name and filename is blanked too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from cases.audit import FINDING_REMOVED, REMOVED_BY_RETENTION
from cases.catalogue import FieldType, PermitType
from cases.facts import Fact
from cases.models import (
    Applicant,
    ApprovalTask,
    Case,
    CaseKey,
    Document,
    DropBoxReceipt,
    EligibilityResult,
    ExtractedField,
    FindingVerdict,
    InformationRequest,
    Letter,
    OutboxMessage,
    PageFingerprint,
    PageHashBand,
    Review,
    ReviewRun,
)

__all__ = ["TOMBSTONE", "Blanked", "blank_case_rows", "personal_fields"]

TOMBSTONE = "[removed by retention]"
_NOT_PERSONAL = frozenset({FieldType.INTEGER, FieldType.NUMBER, FieldType.MONEY, FieldType.BOOLEAN})


@dataclass
class Blanked:
    """How many of each the purge blanked (recorded in the ``case.purged`` event)."""

    fields: int = 0
    documents: int = 0
    messages: int = 0
    requests: int = 0
    tasks: int = 0

    def as_counts(self) -> dict[str, int]:
        return {
            "fields_blanked": self.fields,
            "document_names_blanked": self.documents,
            "messages_blanked": self.messages,
            "requests_blanked": self.requests,
            "task_reasons_blanked": self.tasks,
        }


def personal_fields(permit_type: PermitType | None, names: set[str]) -> set[str]:
    """Which of ``names`` hold data about a person (an unknown field does, to be safe)."""
    specs = {spec.name: spec for spec in permit_type.permit.all_fields} if permit_type else {}
    return {
        name
        for name in names
        if name not in specs or (specs[name].type not in _NOT_PERSONAL and not specs[name].choices)
    }


def blank_case_rows(session: Session, case: Case, permit_type: PermitType | None) -> Blanked:
    """Blank the personal data in every row of ``case`` (inside the caller's transaction)."""
    blanked = Blanked()
    case_id = case.id or 0
    case.access_code_hash = None
    if case.decision_reason:
        case.decision_reason = TOMBSTONE
    session.add(case)
    if case.applicant_id is not None:
        applicant = session.get(Applicant, case.applicant_id)
        if applicant is not None:
            applicant.name, applicant.hkid = TOMBSTONE, None
            applicant.phone = applicant.email = None
            session.add(applicant)
    personal = _blank_fields(session, case_id, permit_type, blanked)
    _blank_results(session, case_id, personal)
    for document in session.exec(select(Document).where(Document.case_id == case_id)):
        document.filename = TOMBSTONE
        session.add(document)
        blanked.documents += 1
    for receipt in session.exec(select(DropBoxReceipt).where(DropBoxReceipt.case_id == case_id)):
        receipt.dropped_as = TOMBSTONE
        receipt.files = [{"sha256": f.get("sha256"), "kind": f.get("kind")} for f in receipt.files]
        session.add(receipt)
    _blank_conversation(session, case_id, blanked)
    return blanked


def _blank_fields(
    session: Session, case_id: int, permit_type: PermitType | None, blanked: Blanked
) -> set[str]:
    fields = list(session.exec(select(ExtractedField).where(ExtractedField.case_id == case_id)))
    personal = personal_fields(permit_type, {f.name for f in fields})
    for field in fields:
        if field.name in personal:
            field.value, field.raw_text, field.flag = TOMBSTONE, "", None
            field.original_value = None if field.original_value is None else TOMBSTONE
            session.add(field)
            blanked.fields += 1
    return personal


def _scrub(value: Any, personal: set[str]) -> Any:
    """``value`` with what it says under a personal field's name replaced by the tombstone."""
    if isinstance(value, dict):
        return {k: TOMBSTONE if k in personal else _scrub(v, personal) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item, personal) for item in value]
    return value


def _blank_results(session: Session, case_id: int, personal: set[str]) -> None:
    result = session.exec(select(EligibilityResult).where(EligibilityResult.case_id == case_id))
    for row in result:
        row.trace = _scrub(row.trace, personal)
        session.add(row)
    for review in session.exec(select(Review).where(Review.case_id == case_id)):
        findings = review.findings.get("findings", [])
        review.findings = {**review.findings, "findings": [_finding_code_only(f) for f in findings]}
        session.add(review)
    for run in session.exec(select(ReviewRun).where(ReviewRun.case_id == case_id)):
        run.findings = [_finding_code_only(f) for f in run.findings]
        session.add(run)
    for verdict in session.exec(select(FindingVerdict).where(FindingVerdict.case_id == case_id)):
        verdict.reason = TOMBSTONE if verdict.reason else ""
        session.add(verdict)
    # What made the case findable as a repeat (identity card number, premises) or a copy (its
    # scans' fingerprints) goes with its personal data and documents.
    for model in (CaseKey, PageHashBand, PageFingerprint):
        session.execute(delete(model).where(col(model.case_id) == case_id))


def _finding_code_only(stored: dict[str, Any]) -> dict[str, Any]:
    fact: Fact = FINDING_REMOVED(finding=str(stored.get("fact", {}).get("code", "")))
    return {"fact": fact, "severity": stored.get("severity"), "evidence": []}


def _blank_conversation(session: Session, case_id: int, blanked: Blanked) -> None:
    """Messages to the applicant, requests for information and the people's words on tasks."""
    for message in session.exec(select(OutboxMessage).where(OutboxMessage.case_id == case_id)):
        message.recipient, message.facts, message.last_error = None, {}, None
        session.add(message)
        blanked.messages += 1
    for request in session.exec(
        select(InformationRequest).where(InformationRequest.case_id == case_id)
    ):
        request.what = TOMBSTONE
        request.answer_note = None if request.answer_note is None else TOMBSTONE
        session.add(request)
        blanked.requests += 1
    for letter in session.exec(select(Letter).where(Letter.case_id == case_id)):
        if letter.reissue_reason:
            letter.reissue_reason = TOMBSTONE
            session.add(letter)
    for task in session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case_id)):
        task.reason = REMOVED_BY_RETENTION(keys="reason")
        task.decision_reason = None if task.decision_reason is None else TOMBSTONE
        session.add(task)
        blanked.tasks += 1
