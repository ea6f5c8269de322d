"""End to end on a real Prefect test server, real OCR, real rules, real letters.

The services are started the way `permits up` starts them (a local Prefect server on SQLite, the
process serving the case-flow deployment, the warm OCR task worker), and every run goes through the
deployment, as an upload or a decision starts it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlmodel import func, select

from cases.audit import readable_payload, values_beside
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.gates import decide, open_task, verify_fields
from cases.lifecycle import CaseStatus
from cases.models import AuditEvent, EligibilityResult, ExtractedField, Letter, TaskKind
from cases.processing_failures import failures_since_last_move
from cases.repository import get_case
from cases.settings import get_settings
from cli.demo import wait_until_settled
from flows.deployments import start_case_flow
from tests.factories import (
    CASEWORKER,
    FOOD,
    letter_pdf,
    said,
    sample_application,
    submit_sample,
)
from tests.services import embedded_services

pytestmark = pytest.mark.slow

# Values that pass every rule, so the test's outcome does not depend on the random sample.
ELIGIBLE = {"business_type": "Restaurant", "floor_area_m2": "60.5", "seating_capacity": "40"}


@pytest.fixture(scope="module")
def services(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The services `permits up` runs: a local Prefect server, the case-flow runner, OCR worker."""
    with embedded_services(tmp_path_factory.mktemp("e2e")):
        yield


def run_flow(case_id: int) -> None:
    """Start the case flow through its deployment, as an upload or a decision does."""
    start_case_flow(case_id, reason="test")
    wait_until_settled([case_id], timeout=300)


def decision_task_id(case_id: int) -> int:
    with session_scope() as session:
        task = open_task(session, case_id, TaskKind.DECIDE)
    assert task is not None
    assert task.id is not None
    return task.id


def letter_text(case_id: int) -> str:
    with session_scope() as session:
        letters = session.exec(select(Letter).where(Letter.case_id == case_id)).all()
    assert len(letters) == 1
    pdf = pdfium.PdfDocument(letter_pdf(letters[0]))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def confirm_fields_if_flagged(case_id: int) -> None:
    """Act as the caseworker at the verification gate when OCR doubted a field (as read)."""
    with session_scope() as session:
        task = open_task(session, case_id, TaskKind.VERIFY_FIELDS)
    if task is not None and task.id is not None:
        verify_fields(task.id, {}, actor=CASEWORKER)
        run_flow(case_id)


def status(case_id: int) -> CaseStatus:
    with session_scope() as session:
        return CaseStatus(get_case(session, case_id).status)


@pytest.mark.usefixtures("services")
def test_application_is_read_checked_approved_and_a_letter_issued() -> None:
    sample = sample_application(11, overrides=ELIGIBLE)
    case = submit_sample(sample)
    assert case.id is not None

    run_flow(case.id)
    confirm_fields_if_flagged(case.id)
    assert status(case.id) == CaseStatus.AWAITING_DECISION
    with session_scope() as session:
        eligibility = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case.id)
        ).one()
    assert eligibility.outcome == "approve"
    assert eligibility.ruleset_version == "2026.1"

    decide(decision_task_id(case.id), "approve", "", actor=CASEWORKER)
    run_flow(case.id)
    run_flow(case.id)  # a second run finds nothing to do: still one letter

    assert status(case.id) == CaseStatus.LETTER_ISSUED
    text = letter_text(case.id)
    assert sample.truth["applicant_name"] in text
    assert case.reference in text
    assert "approved in principle" in text


@pytest.mark.usefixtures("services")
def test_refusal_letter_quotes_the_reason_and_the_failed_rule() -> None:
    case = submit_sample(sample_application(12, overrides={"floor_area_m2": "8.5"}))
    assert case.id is not None

    run_flow(case.id)
    confirm_fields_if_flagged(case.id)
    with session_scope() as session:
        assert get_case(session, case.id).proposed_outcome == "refuse"
    decide(
        decision_task_id(case.id),
        "refuse",
        "The premises are too small for a food business.",
        actor=CASEWORKER,
    )
    run_flow(case.id)

    text = letter_text(case.id)
    assert "refused" in text
    assert "The premises are too small for a food business." in text
    assert "8.5 m²" in text  # FBL-1's reason, with the value it read
    assert "Cap. 132X" in text


@pytest.mark.usefixtures("services")
def test_blurred_field_waits_for_a_person_and_the_correction_is_used() -> None:
    sample = sample_application(13, overrides=ELIGIBLE, blur_fields=frozenset({"floor_area_m2"}))
    case = submit_sample(sample)
    assert case.id is not None

    run_flow(case.id)
    assert status(case.id) == CaseStatus.AWAITING_VERIFICATION
    with session_scope() as session:
        task = open_task(session, case.id, TaskKind.VERIFY_FIELDS)
        assert task is not None
        assert task.id is not None
        assert "Floor area (square metres)" in said(task.reason)

    verify_fields(task.id, {"floor_area_m2": "45"}, actor=CASEWORKER)
    run_flow(case.id)

    assert status(case.id) == CaseStatus.AWAITING_DECISION
    with session_scope() as session:
        field = session.exec(
            select(ExtractedField).where(
                ExtractedField.case_id == case.id, ExtractedField.name == "floor_area_m2"
            )
        ).one()
        eligibility = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case.id)
        ).one()
        field_count = session.exec(
            select(func.count()).where(ExtractedField.case_id == case.id)
        ).one()
        corrections = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "fields.verified"
            )
        ).all()
        beside = values_beside(session, corrections)  # field values are kept beside the event
    assert field.value == "45"
    assert field.verified_by == CASEWORKER.username
    assert field.original_value is not None
    assert field.original_value != "45"
    assert eligibility.trace["rules"][0]["values_read"] == {"floor_area_m2": 45.0}
    fields = len(get_permit_type(FOOD).permit.fields)
    assert field_count == fields  # one set of fields, however often the flow ran
    assert len(corrections) == 1
    assert "floor_area_m2" in corrections[0].payload["corrected"]
    values = readable_payload(corrections[0], beside.get(corrections[0].id or 0))
    assert values["values"]["floor_area_m2"]["to"] == "45"


@pytest.mark.usefixtures("services")
def test_a_case_whose_trigger_was_lost_is_resumed() -> None:
    from flows.resume import resume_stalled_cases

    case = submit_sample(sample_application(14, overrides=ELIGIBLE))  # no flow started
    assert case.id is not None
    assert status(case.id) == CaseStatus.SUBMITTED

    resumed = resume_stalled_cases.fn(older_than_s=0)
    wait_until_settled([case.id], timeout=300)

    assert case.id in resumed
    assert status(case.id) in {CaseStatus.AWAITING_DECISION, CaseStatus.AWAITING_VERIFICATION}
    assert resume_stalled_cases.fn(older_than_s=0) == []  # nothing stalled any more


@pytest.mark.usefixtures("services")
def test_a_failing_run_is_recorded_on_the_case_and_not_retried_forever() -> None:
    from cases.documents import document_path
    from cases.models import Document
    from cases.stages import stalled_cases

    case = submit_sample(sample_application(15, overrides=ELIGIBLE))
    assert case.id is not None
    with session_scope() as session:
        form = session.exec(select(Document).where(Document.case_id == case.id)).first()
        assert form is not None
    document_path(form.sha256).unlink()  # the document store lost the file

    for attempt in range(1, get_settings().max_failed_runs + 1):
        start_case_flow(case.id, reason="test")
        wait_for(lambda n=attempt: failure_count(case.id) == n, timeout=180)

    with session_scope() as session:
        failure = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "processing.failed"
            )
        ).first()
        assert failure is not None
        kept = values_beside(session, [failure]).get(failure.id or 0)
    assert form.sha256 in readable_payload(failure, kept)["error"]
    assert status(case.id) == CaseStatus.EXTRACTING  # nothing half-done: no fields, no task
    assert case.id not in stalled_cases(dt.timedelta(seconds=0))


def failure_count(case_id: int) -> int:
    with session_scope() as session:
        return failures_since_last_move(session, case_id)


def wait_for(condition: Callable[[], bool], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(1)
