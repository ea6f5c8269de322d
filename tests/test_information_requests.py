"""Requests for information, both ways: the request reaches the applicant (letter and message),
the answer resumes the case reading only the new documents, and unanswered requests are reminded
once and then lapse or go back to a caseworker, as the permit's policy says."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml
from sqlmodel import col, select

from cases.access import issue_access_code
from cases.calendar import WorkingCalendar
from cases.catalogue import load_catalogue
from cases.db import session_scope
from cases.documents import resolve_stored_path
from cases.eligibility import check_case_eligibility
from cases.errors import CatalogueError, InvalidDocument, InvalidInput
from cases.extraction import extract_case
from cases.extraction.reading import DocumentsRead
from cases.gates import propose_decision
from cases.intake import RequestNotOpen, Upload, answer_request
from cases.letters import request_information, sweep_information_requests
from cases.lifecycle import CaseStatus
from cases.models import (
    Applicant,
    ApprovalTask,
    AuditEvent,
    Document,
    EligibilityResult,
    ExtractedField,
    InformationRequest,
    Letter,
    MessageKind,
    OutboxMessage,
    RequestResolution,
    TaskKind,
    TaskStatus,
)
from cases.ocr import FieldReading
from cases.queries import case_file
from cases.repository import get_case
from cases.review import review_case
from cases.settings import PROJECT_ROOT
from cases.vocabulary import Language, LetterKind
from tests.catalogues import FOOD, catalogue_at
from tests.factories import CASEWORKER, SENIOR
from tests.web.test_web import case_at_decision_gate, png

pytestmark = pytest.mark.usefixtures("db")

TODAY = dt.date.today()
DUE = WorkingCalendar().add_working_days(TODAY, 10)  # a working day: the deadline stays
CERTIFICATE = {
    "fire_cert_number": "FSD-2026-01234",
    "fire_cert_premises_address": "Shop 1, G/F, 1 Nathan Road, Tsim Sha Tsui",
    "fire_cert_inspection_date": "2026-01-10",
    "fire_cert_expiry_date": "2027-01-09",
    "fire_cert_contractor_name": "Safe Fire Engineering Ltd",
    "fire_cert_contractor_reg_no": "RFSIC-2-0345",
    "fire_cert_holder": "Golden Noodle House",
}


def _asked(
    *,
    language: Language = Language.EN,
    kinds: tuple[str, ...] = ("fire_certificate",),
    what: str = "The certificate must show the current address.",
) -> tuple[int, str, str]:
    """A case at the decision gate whose caseworker asked for information; returns the case id,
    its reference and the applicant's access code."""
    case_id, task_id = case_at_decision_gate()
    with session_scope() as session:
        case = get_case(session, case_id)
        applicant = session.get(Applicant, case.applicant_id)
        assert applicant is not None
        applicant.email, applicant.preferred_language = "chan@example.hk", language
        session.add(applicant)
        code = issue_access_code(session, case)
        reference = case.reference
    request_information(task_id, what, DUE, actor=SENIOR, document_kinds=kinds)
    return case_id, reference, code


def _grace_until(days: int) -> dt.date:
    """The last day after a reminder sent the day after the due date: ``days`` working days."""
    return WorkingCalendar().add_working_days(DUE + dt.timedelta(days=1), days)


def _messages(case_id: int, kind: MessageKind) -> list[OutboxMessage]:
    with session_scope() as session:
        query = select(OutboxMessage).where(
            OutboxMessage.case_id == case_id, OutboxMessage.kind == kind
        )
        return list(session.exec(query))


def _pdf_text(letter_id: int) -> str:
    with session_scope() as session:
        letter = session.get(Letter, letter_id)
        assert letter is not None
        path = resolve_stored_path(letter.pdf_path)
    pdf = pdfium.PdfDocument(path.read_bytes())
    return "".join(page.get_textpage().get_text_range() for page in pdf)


def _status(case_id: int) -> CaseStatus:
    with session_scope() as session:
        return get_case(session, case_id).status


def _actions(case_id: int) -> list[str]:
    with session_scope() as session:
        query = select(AuditEvent.action).where(AuditEvent.case_id == case_id)
        return list(session.exec(query.order_by(col(AuditEvent.seq))))


def _request(case_id: int) -> InformationRequest:
    with session_scope() as session:
        query = select(InformationRequest).where(InformationRequest.case_id == case_id)
        return session.exec(query).one()


# --- the request reaches the applicant -----------------------------------------------------------


def test_a_request_queues_its_message_with_a_letter_in_the_applicants_language() -> None:
    case_id, reference, _code = _asked(language=Language.ZH_HANT)
    assert _status(case_id) == CaseStatus.AWAITING_APPLICANT
    (message,) = _messages(case_id, MessageKind.INFORMATION_REQUEST)
    assert message.language is Language.ZH_HANT
    assert message.facts["document_kinds"] == ["fire_certificate"]
    assert message.facts["due_on"] == DUE.isoformat()
    (letter_id,) = message.letter_ids
    with session_scope() as session:
        letter = session.get(Letter, letter_id)
        assert letter is not None
        assert (letter.outcome, letter.language) == (LetterKind.INFORMATION_REQUEST, "zh-Hant")
    text = _pdf_text(letter_id)
    assert "請提供更多資料" in text
    assert "消防裝置及設備證書" in text  # the document asked for, by its Chinese name
    assert f"{DUE.year}年{DUE.month}月{DUE.day}日" in text
    assert reference in text
    actions = _actions(case_id)
    assert {"information.requested", "letter.issued", "message.queued"} <= set(actions)


def test_an_english_applicant_gets_an_english_letter() -> None:
    case_id, _reference, _code = _asked(language=Language.EN, kinds=())
    (message,) = _messages(case_id, MessageKind.INFORMATION_REQUEST)
    text = _pdf_text(message.letter_ids[0])
    assert "we need more information" in text
    assert "The certificate must show the current address." in text


def test_a_request_for_a_document_the_permit_does_not_know_is_refused_and_nothing_written() -> None:
    case_id, task_id = case_at_decision_gate()
    with pytest.raises(InvalidInput, match="no document of kind floor_plan"):
        request_information(task_id, "", DUE, actor=CASEWORKER, document_kinds=["floor_plan"])
    assert _status(case_id) == CaseStatus.AWAITING_DECISION
    assert _messages(case_id, MessageKind.INFORMATION_REQUEST) == []
    with session_scope() as session:
        assert session.exec(select(Letter).where(Letter.case_id == case_id)).all() == []


# --- the answer ----------------------------------------------------------------------------------


def certificate_reader(seen: list[list[int]]) -> object:
    """Extraction's reader, replaced: records which documents it was given, reads the
    certificate's fields from the one fire certificate among them (no OCR in a unit test)."""

    def read(documents: list[Document], _permit_type: object) -> DocumentsRead:
        seen.append([d.id or 0 for d in documents])
        read = DocumentsRead()
        for document in documents:
            if document.kind == "fire_certificate":
                for name, value in CERTIFICATE.items():
                    reading = FieldReading(name, value, 0.97, 1, (0, 0, 10, 10), "test")
                    read.readings[name] = (document, reading)
        return read

    return read


def test_an_answer_resumes_the_case_reading_only_the_new_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id, reference, code = _asked()
    with session_scope() as session:
        before = {f.name: f.value for f in session.exec(select(ExtractedField))}
    recorded = answer_request(
        reference, code, [Upload("cert.png", png(), kind="fire_certificate")], "Here it is."
    )
    assert _status(case_id) == CaseStatus.EXTRACTING
    request = _request(case_id)
    assert request.resolution == RequestResolution.ANSWERED
    assert request.answer_note == "Here it is."
    with session_scope() as session:  # the rules' old result is made again from the new file
        assert session.exec(select(EligibilityResult)).all() == []

    seen: list[list[int]] = []
    monkeypatch.setattr("cases.extraction.service.read_documents", certificate_reader(seen))
    extract_case(case_id)
    assert seen == [recorded.document_ids]  # the application's form and ID card are not reread
    assert _status(case_id) == CaseStatus.CHECKING
    check_case_eligibility(case_id)
    review_case(case_id)
    task = propose_decision(case_id)
    assert task is not None
    assert _status(case_id) == CaseStatus.AWAITING_DECISION

    with session_scope() as session:
        fields = {f.name: f for f in session.exec(select(ExtractedField))}
        file = case_file(case_id, session=session)
    assert {name: f.value for name, f in fields.items() if name in before} == before
    assert fields["fire_cert_number"].value == "FSD-2026-01234"
    assert fields["fire_cert_number"].document_id == recorded.document_ids[0]
    assert file.new_since_request == set(recorded.document_ids)
    assert extract_case(case_id).skipped  # a rerun reads nothing again
    assert seen == [recorded.document_ids]
    assert "information.answered" in _actions(case_id)


def test_a_bad_file_in_the_answer_is_refused_with_its_reason_and_nothing_stored() -> None:
    case_id, reference, code = _asked()
    good = Upload("cert.png", png(), kind="fire_certificate")
    empty = Upload("scan.pdf", b"", kind="other")
    with pytest.raises(InvalidDocument, match=r"scan\.pdf: the file is empty"):
        answer_request(reference, code, [good, empty], "")
    assert _status(case_id) == CaseStatus.AWAITING_APPLICANT
    assert _request(case_id).resolution is None
    with session_scope() as session:
        asked = select(Document).where(col(Document.information_request_id).is_not(None))
        assert session.exec(asked).all() == []
    with pytest.raises(InvalidDocument, match="this kind of document was not asked for"):
        answer_request(reference, code, [Upload("plan.png", png(), kind="floor_plan")], "")
    with pytest.raises(InvalidInput, match="Choose the files asked for, or write a note"):
        answer_request(reference, code, [], "  ")


def test_another_cases_access_code_does_not_answer_its_request() -> None:
    case_id, reference, _code = _asked()
    _other_id, _other_reference, other_code = _asked()
    from cases.access import WrongAccessCode

    with pytest.raises(WrongAccessCode):
        answer_request(reference, other_code, [], "my note")
    assert _request(case_id).resolution is None


def test_the_answer_twice_is_refused_the_second_time() -> None:
    case_id, reference, code = _asked()
    answer_request(reference, code, [Upload("cert.png", png(), kind="fire_certificate")], "")
    with pytest.raises(RequestNotOpen, match="answered already"):
        answer_request(reference, code, [Upload("again.png", png(), kind="fire_certificate")], "")
    with session_scope() as session:
        documents = session.exec(select(Document).where(Document.case_id == case_id)).all()
    assert [d.filename for d in documents if d.information_request_id] == ["cert.png"]


@pytest.mark.parametrize(
    ("uploads", "note", "said"),
    [
        ([], "   ", "Choose the files asked for, or write a note"),
        ([], "x" * 2001, "write at most 2000 characters"),
        ([Upload("lease.png", png(), kind="tenancy_agreement")], "", "was not asked for"),
    ],
)
def test_an_answer_the_office_cannot_use_is_refused_saying_what_to_do(
    uploads: list[Upload], note: str, said: str
) -> None:
    """Nothing sent, a note too long, a document that was not asked for: refused with what to
    do, and the request stays open with nothing stored."""
    case_id, reference, code = _asked()
    with pytest.raises((InvalidInput, InvalidDocument), match=said):
        answer_request(reference, code, uploads, note)
    assert _request(case_id).resolution is None
    assert _status(case_id) == CaseStatus.AWAITING_APPLICANT
    with session_scope() as session:
        answered = session.exec(
            select(Document).where(
                Document.case_id == case_id, col(Document.information_request_id).is_not(None)
            )
        ).all()
    assert answered == []


# --- deadlines -----------------------------------------------------------------------------------


def test_an_overdue_request_gets_one_reminder_and_a_rerun_sends_no_second() -> None:
    case_id, _reference, _code = _asked()
    assert sweep_information_requests(DUE).reminded == []  # not overdue on its last day
    sweep = sweep_information_requests(DUE + dt.timedelta(days=1))
    assert sweep.reminded == [case_id]
    again = sweep_information_requests(DUE + dt.timedelta(days=1))
    assert (again.reminded, again.lapsed, again.referred) == ([], [], [])
    (reminder,) = _messages(case_id, MessageKind.REMINDER)
    grace_until = _grace_until(7)  # the food licence gives 7 working days after the reminder
    assert reminder.facts["grace_until"] == grace_until.isoformat()
    assert sweep_information_requests(grace_until).referred == []  # still within the grace
    assert _status(case_id) == CaseStatus.AWAITING_APPLICANT
    assert "information.reminded" in _actions(case_id)


def test_refer_policy_hands_the_case_back_with_a_task_saying_there_was_no_answer() -> None:
    case_id, _reference, _code = _asked()
    sweep_information_requests(DUE + dt.timedelta(days=1))
    sweep = sweep_information_requests(_grace_until(7) + dt.timedelta(days=1))
    assert sweep.referred == [case_id]
    assert _status(case_id) == CaseStatus.AWAITING_DECISION
    with session_scope() as session:
        task = session.exec(
            select(ApprovalTask).where(
                ApprovalTask.case_id == case_id, ApprovalTask.status == TaskStatus.OPEN
            )
        ).one()
    assert task.kind == TaskKind.DECIDE
    assert task.reason["code"] == "no_answer"
    assert _request(case_id).resolution == RequestResolution.REFERRED
    assert sweep_information_requests(_grace_until(7) + dt.timedelta(days=2)).referred == []
    assert "information.referred" in _actions(case_id)


@pytest.fixture
def lapsing(tmp_path: Path) -> Iterator[None]:
    """The food licence with the ``lapse`` policy and 3 days of grace."""
    target = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules" / FOOD, target / FOOD)
    permit_file = target / FOOD / "permit.yaml"
    permit = yaml.safe_load(permit_file.read_text(encoding="utf-8"))
    permit["information_requests"] = {"grace_days": 3, "on_no_answer": "lapse"}
    permit_file.write_text(yaml.safe_dump(permit, allow_unicode=True), encoding="utf-8")
    with catalogue_at(target):
        yield


@pytest.mark.usefixtures("lapsing")
def test_lapse_policy_closes_the_case_as_withdrawn_with_a_lapse_letter_and_message() -> None:
    case_id, _reference, _code = _asked(language=Language.ZH_HANT)
    sweep_information_requests(DUE + dt.timedelta(days=1))
    assert sweep_information_requests(_grace_until(3)).lapsed == []
    assert sweep_information_requests(_grace_until(3) + dt.timedelta(days=1)).lapsed == [case_id]
    assert _status(case_id) == CaseStatus.WITHDRAWN
    (message,) = _messages(case_id, MessageKind.LAPSE)
    text = _pdf_text(message.letter_ids[0])
    assert "申請已結束" in text
    assert _request(case_id).resolution == RequestResolution.LAPSED
    assert sweep_information_requests(_grace_until(3) + dt.timedelta(days=2)).lapsed == []
    assert len(_messages(case_id, MessageKind.LAPSE)) == 1
    assert "information.lapsed" in _actions(case_id)


def test_an_unknown_policy_in_permit_yaml_is_refused_with_file_and_line(tmp_path: Path) -> None:
    target = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules" / FOOD, target / FOOD)
    permit_file = target / FOOD / "permit.yaml"
    text = permit_file.read_text(encoding="utf-8")
    permit_file.write_text(text.replace("on_no_answer: refer", "on_no_answer: forget"), "utf-8")
    line = text[: text.index("on_no_answer: refer")].count("\n") + 1
    with catalogue_at(target), pytest.raises(CatalogueError) as caught:
        load_catalogue()
    message = str(caught.value)
    assert f"permit.yaml:{line}" in message
    assert "on_no_answer" in message
