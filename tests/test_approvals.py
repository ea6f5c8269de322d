"""Human gates without OCR: fields are stored directly, then real rules, review and gates run."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import pytest
from sqlmodel import SQLModel, col, func, select

from cases.access import Actor
from cases.calendar import WorkingCalendar
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.eligibility import check_case_eligibility
from cases.errors import AlreadyDecided, InvalidInput, PermissionDenied
from cases.extraction.reasons import verification_reason
from cases.facts import LEGACY_TEXT
from cases.gates import (
    claim_task,
    create_task,
    decide,
    open_task,
    propose_decision,
    release_task,
    verify_fields,
)
from cases.letters import request_information
from cases.lifecycle import CaseStatus
from cases.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    EligibilityResult,
    ExtractedField,
    FieldStatus,
    InformationRequest,
    Review,
    Role,
    TaskKind,
    TaskStatus,
)
from cases.repository import get_case, transition
from cases.review import review_case
from cases.vocabulary import Outcome
from tests.catalogues import catalogue_at, four_eyes_catalogue
from tests.factories import (
    CASEWORKER,
    FOOD,
    GOOD_FIELDS,
    propose_from_checking,
    said,
    sample_application,
    store_extraction,
    submit_sample,
)
from tools.samples.applications import SampleApplication

pytestmark = pytest.mark.usefixtures("db")

AUDITOR = Actor("test.auditor", Role.AUDITOR)


@cache
def _sample() -> SampleApplication:
    return sample_application(21)


def _submitted_with_fields(
    overrides: Mapping[str, str] | None = None, flagged: Mapping[str, str] | None = None
) -> int:
    """Submit a sample and store its fields as if extraction had read them; return the case id."""
    case = submit_sample(_sample())
    assert case.id is not None

    def read(name: str) -> dict[str, object]:
        reason = (flagged or {}).get(name)
        if not reason:
            return {}
        return {"confidence": 0.3, "status": FieldStatus.FLAGGED, "flag": LEGACY_TEXT(text=reason)}

    with session_scope() as session:
        store_extraction(session, case.id, {**GOOD_FIELDS, **(overrides or {})}, read)
    return case.id


def _case_at_checking(overrides: Mapping[str, str] | None = None) -> int:
    case_id = _submitted_with_fields(overrides)
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        transition(session, case, CaseStatus.CHECKING, actor="test", why="fields stored")
    return case_id


def _case_at_decision(overrides: Mapping[str, str] | None = None) -> tuple[int, int]:
    """A case waiting at the decision gate; returns (case id, decide task id)."""
    case_id = _case_at_checking(overrides)
    return case_id, propose_from_checking(case_id)


def _case_awaiting_verification(stored_hkid: str) -> tuple[int, int]:
    """A case whose form HKID was flagged; returns (case id, verify task id)."""
    case_id = _submitted_with_fields(
        {"hkid": stored_hkid}, flagged={"hkid": "value does not validate"}
    )
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        task = create_task(
            session,
            case,
            TaskKind.VERIFY_FIELDS,
            reason=verification_reason(
                [("hkid", LEGACY_TEXT(text="value does not validate"))], total=11
            ),
            role=Role.CASEWORKER,
            actor="test",
        )
        transition(session, case, CaseStatus.AWAITING_VERIFICATION, actor="test", why="flagged")
        assert task.id is not None
        return case_id, task.id


def _case(case_id: int) -> Case:
    with session_scope() as session:
        return get_case(session, case_id)


def _task(task_id: int) -> ApprovalTask:
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        assert task is not None
        return task


def _count(table: type[SQLModel], *conditions: object) -> int:
    with session_scope() as session:
        statement = select(func.count()).select_from(table)
        for condition in conditions:
            statement = statement.where(condition)  # type: ignore[arg-type]
        return session.exec(statement).one()


def test_good_values_reach_the_decision_gate_with_an_approval_proposal() -> None:
    assert set(GOOD_FIELDS) == {f.name for f in get_permit_type(FOOD).permit.fields}
    case_id, task_id = _case_at_decision()
    case = _case(case_id)
    assert case.status == CaseStatus.AWAITING_DECISION
    assert case.proposed_outcome == Outcome.APPROVE
    task = _task(task_id)
    assert task.kind == TaskKind.DECIDE
    assert task.status == TaskStatus.OPEN
    assert task.required_role == Role.CASEWORKER
    # The numbers follow the rule file (its author adds rules); the wording is ours.
    counted = re.fullmatch(
        r"Rule set 2026\.1: (\d+) passed, (\d+) not applicable; review risk low\.",
        said(task.reason),
    )
    assert counted, said(task.reason)
    statuses = _rule_statuses(case_id)
    assert int(counted[1]) == statuses.count("passed")
    assert int(counted[2]) == statuses.count("not_applicable") > 0  # counted apart, not as passed


def _rule_statuses(case_id: int) -> list[str]:
    with session_scope() as session:
        result = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).one()
        return [rule["status"] for rule in result.trace["rules"]]


def test_proposal_reason_names_the_failed_rules_and_counts_the_rest() -> None:
    # 8 m² fails the minimum floor area (refuse); 40 seats in it are too dense (refer).
    case_id, task_id = _case_at_decision({"floor_area_m2": "8"})
    statuses = _rule_statuses(case_id)
    reason = said(_task(task_id).reason)
    assert reason.startswith(
        f"Rule set 2026.1: {statuses.count('passed')} passed, "
        f"{statuses.count('not_applicable')} not applicable, "
        "2 failed (FBL-1 refuse, FBL-4 refer); review risk "
    ), reason


def test_second_decision_is_refused_and_the_first_stands() -> None:
    case_id, task_id = _case_at_decision()
    decided = decide(task_id, "approve", "", actor=CASEWORKER)
    assert decided.status == CaseStatus.DECIDED
    with pytest.raises(AlreadyDecided) as caught:
        decide(task_id, "refuse", "second thoughts", actor=CASEWORKER)
    message = str(caught.value)
    assert "already decided 'approve'" in message
    assert CASEWORKER.username in message
    assert "nothing was changed" in message
    case = _case(case_id)
    assert (case.status, case.decided_outcome) == (CaseStatus.DECIDED, "approve")
    assert _count(AuditEvent, AuditEvent.action == "decision.recorded") == 1


def test_refusal_without_a_reason_is_refused_and_the_task_stays_open() -> None:
    case_id, task_id = _case_at_decision()
    with pytest.raises(InvalidInput, match="A refusal needs a reason"):
        decide(task_id, "refuse", "   ", actor=CASEWORKER)
    assert _task(task_id).status == TaskStatus.OPEN
    assert _case(case_id).status == CaseStatus.AWAITING_DECISION
    assert _count(AuditEvent, AuditEvent.action == "decision.recorded") == 0
    decide(task_id, "refuse", "The premises were inspected and found unsuitable.", actor=CASEWORKER)
    assert _case(case_id).decided_outcome == "refuse"


def test_auditor_cannot_decide() -> None:
    case_id, task_id = _case_at_decision()
    with pytest.raises(PermissionDenied) as caught:
        decide(task_id, "approve", "", actor=AUDITOR)
    assert "needs the role 'caseworker'" in str(caught.value)
    assert "your role is 'auditor'" in str(caught.value)
    assert _task(task_id).status == TaskStatus.OPEN
    assert _case(case_id).status == CaseStatus.AWAITING_DECISION


def test_invalid_hkid_correction_is_refused_naming_the_field() -> None:
    case_id, task_id = _case_awaiting_verification("A123456(8)")
    with pytest.raises(InvalidInput) as caught:
        verify_fields(task_id, {"hkid": "A123456(4)"}, actor=CASEWORKER)
    assert "Hong Kong identity card number: check digit is wrong: expected 3, read 4" in str(
        caught.value
    )
    assert _task(task_id).status == TaskStatus.OPEN
    assert _case(case_id).status == CaseStatus.AWAITING_VERIFICATION
    with session_scope() as session:
        field = session.exec(
            select(ExtractedField).where(
                ExtractedField.case_id == case_id, ExtractedField.name == "hkid"
            )
        ).one()
    assert (field.value, field.status) == ("A123456(8)", FieldStatus.FLAGGED)


def test_valid_hkid_correction_is_recorded_and_the_case_moves_on() -> None:
    case_id, task_id = _case_awaiting_verification("A123456(8)")
    verify_fields(task_id, {"hkid": "a123456 3"}, actor=CASEWORKER)
    assert _task(task_id).status == TaskStatus.DONE
    assert _case(case_id).status == CaseStatus.CHECKING
    with session_scope() as session:
        field = session.exec(
            select(ExtractedField).where(
                ExtractedField.case_id == case_id, ExtractedField.name == "hkid"
            )
        ).one()
    assert (field.value, field.original_value) == ("A123456(3)", "A123456(8)")
    assert (field.status, field.verified_by) == (FieldStatus.VERIFIED, CASEWORKER.username)


def test_name_mismatch_between_form_and_id_card_is_a_high_finding() -> None:
    case_id = _case_at_checking({"id_card_name": "LEE Siu Ming"})
    check_case_eligibility(case_id)
    assert review_case(case_id) == "high"
    with session_scope() as session:
        review = session.exec(select(Review).where(Review.case_id == case_id)).one()
    findings = {f["fact"]["code"]: f for f in review.findings["findings"]}
    assert findings["name_mismatch"]["severity"] == "high"
    assert "CHAN Tai Man" in said(findings["name_mismatch"]["fact"])
    assert "LEE Siu Ming" in said(findings["name_mismatch"]["fact"])


def test_each_stage_run_twice_records_once() -> None:
    case_id = _case_at_checking()
    assert check_case_eligibility(case_id) == Outcome.APPROVE
    assert check_case_eligibility(case_id) == Outcome.APPROVE
    assert review_case(case_id) == "low"
    assert review_case(case_id) == "low"
    first = propose_decision(case_id)
    second = propose_decision(case_id)
    assert first is not None
    assert second is not None
    assert first.id == second.id
    assert _count(EligibilityResult, EligibilityResult.case_id == case_id) == 1
    assert _count(Review, Review.case_id == case_id) == 1
    assert _count(ApprovalTask, ApprovalTask.case_id == case_id) == 1
    with session_scope() as session:
        assert open_task(session, case_id, TaskKind.DECIDE) is not None
    assert _count(AuditEvent, AuditEvent.action == "eligibility.evaluated") == 1
    assert _count(AuditEvent, AuditEvent.action == "review.completed") == 1
    assert _count(AuditEvent, AuditEvent.action == "task.created") == 1


# --- four-eyes, claims, requests for information -----------------------------------------------

SENIOR = Actor("test.senior", Role.SENIOR_CASEWORKER)
OTHER_SENIOR = Actor("test.senior2", Role.SENIOR_CASEWORKER)
COLLEAGUE = Actor("test.colleague", Role.CASEWORKER)
REASON = "The premises were inspected and found unsuitable."


@pytest.fixture
def four_eyes_on_refusal(tmp_path: Path) -> Iterator[None]:
    """The food licence with ``refuse: {role: senior_caseworker, four_eyes: true}``."""
    with catalogue_at(four_eyes_catalogue(tmp_path)):
        yield


def _open_decide_tasks(case_id: int) -> list[ApprovalTask]:
    with session_scope() as session:
        return list(
            session.exec(
                select(ApprovalTask).where(
                    ApprovalTask.case_id == case_id,
                    ApprovalTask.kind == TaskKind.DECIDE,
                    ApprovalTask.status == TaskStatus.OPEN,
                )
            )
        )


@pytest.mark.usefixtures("four_eyes_on_refusal")
def test_four_eyes_refusal_needs_a_second_senior_who_is_not_the_first() -> None:
    case_id, task_id = _case_at_decision()
    case = decide(task_id, "refuse", REASON, actor=SENIOR)
    assert case.status == CaseStatus.AWAITING_DECISION  # not decided yet
    assert _case(case_id).decided_outcome is None
    (second,) = _open_decide_tasks(case_id)
    assert (second.step, second.required_role) == (2, Role.SENIOR_CASEWORKER)
    assert (second.first_decision, second.first_decision_by) == ("refuse", SENIOR.username)
    assert second.id is not None

    with pytest.raises(PermissionDenied) as caught:
        decide(second.id, "refuse", "", actor=SENIOR)
    assert "Four-eyes rule: you made the first decision ('refuse')" in str(caught.value)
    assert "a different senior caseworker must give the second approval" in str(caught.value)
    with pytest.raises(PermissionDenied, match="needs the role 'senior_caseworker'"):
        decide(second.id, "refuse", "", actor=CASEWORKER)
    assert _case(case_id).status == CaseStatus.AWAITING_DECISION

    decided = decide(second.id, "refuse", "", actor=OTHER_SENIOR)
    assert decided.status == CaseStatus.DECIDED
    stored = _case(case_id)
    assert (stored.decided_outcome, stored.decision_reason) == ("refuse", REASON)
    with session_scope() as session:
        recorded = session.exec(
            select(AuditEvent).where(AuditEvent.action == "decision.recorded")
        ).one()
    assert recorded.payload["second_approval_of"] == SENIOR.username
    assert _count(AuditEvent, AuditEvent.action == "decision.first_approval") == 1


@pytest.mark.usefixtures("four_eyes_on_refusal")
def test_four_eyes_first_decision_submitted_twice_opens_one_second_task() -> None:
    case_id, task_id = _case_at_decision()
    decide(task_id, "refuse", REASON, actor=CASEWORKER)
    with pytest.raises(AlreadyDecided):
        decide(task_id, "refuse", REASON, actor=CASEWORKER)
    assert len(_open_decide_tasks(case_id)) == 1


@pytest.mark.usefixtures("four_eyes_on_refusal")
def test_second_person_who_disagrees_decides_when_their_outcome_needs_no_four_eyes() -> None:
    case_id, task_id = _case_at_decision()
    decide(task_id, "refuse", REASON, actor=CASEWORKER)
    (second,) = _open_decide_tasks(case_id)
    assert second.id is not None
    decide(second.id, "approve", "Unsuitable premises were fixed; photos on file.", actor=SENIOR)
    assert _case(case_id).decided_outcome == "approve"
    assert _case(case_id).status == CaseStatus.DECIDED


def test_without_four_eyes_one_decision_decides() -> None:
    case_id, task_id = _case_at_decision()
    assert decide(task_id, "refuse", REASON, actor=CASEWORKER).status == CaseStatus.DECIDED
    assert _open_decide_tasks(case_id) == []


def test_a_claimed_task_can_only_be_completed_by_its_holder_until_released() -> None:
    case_id, task_id = _case_at_decision()
    assert claim_task(task_id, actor=CASEWORKER).claimed_by == CASEWORKER.username
    with pytest.raises(PermissionDenied) as caught:
        claim_task(task_id, actor=COLLEAGUE)
    assert f"{CASEWORKER.username} has claimed this task" in str(caught.value)
    with pytest.raises(PermissionDenied, match="has claimed this task"):
        decide(task_id, "approve", "", actor=COLLEAGUE)
    with pytest.raises(PermissionDenied, match="or a senior caseworker can release it"):
        release_task(task_id, actor=COLLEAGUE)
    assert _case(case_id).status == CaseStatus.AWAITING_DECISION

    release_task(task_id, actor=SENIOR)  # the holder is away: a senior frees the task
    assert _task(task_id).claimed_by is None
    decide(task_id, "approve", "", actor=COLLEAGUE)
    assert _case(case_id).status == CaseStatus.DECIDED
    actions = {"task.claimed", "task.released"}
    assert _count(AuditEvent, col(AuditEvent.action).in_(actions)) == 2


def test_holder_decides_a_claimed_task() -> None:
    case_id, task_id = _case_at_decision()
    claim_task(task_id, actor=CASEWORKER)
    claim_task(task_id, actor=CASEWORKER)  # claiming again changes nothing
    decide(task_id, "approve", "", actor=CASEWORKER)
    assert _case(case_id).status == CaseStatus.DECIDED


def test_requesting_information_waits_for_the_applicant() -> None:
    case_id, task_id = _case_at_decision()
    due = WorkingCalendar().add_working_days(dt.date.today(), 10)  # a working day: kept as is
    case = request_information(task_id, "A copy of the tenancy agreement", due, actor=CASEWORKER)
    assert case.status == CaseStatus.AWAITING_APPLICANT
    assert _task(task_id).status == TaskStatus.CANCELLED
    with session_scope() as session:
        asked = session.exec(select(InformationRequest)).one()
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "information.requested")
        ).one()
    assert (asked.what, asked.due_on, asked.case_id) == (
        "A copy of the tenancy agreement",
        due,
        case_id,
    )
    assert event.payload["due_on"] == due.isoformat()
    with pytest.raises(AlreadyDecided):
        decide(task_id, "approve", "", actor=CASEWORKER)


def test_request_for_information_needs_what_and_a_future_date() -> None:
    case_id, task_id = _case_at_decision()
    with pytest.raises(
        InvalidInput, match="Say what the applicant should send, or tick the documents"
    ):
        request_information(task_id, "  ", dt.date.today() + dt.timedelta(days=3), actor=CASEWORKER)
    with pytest.raises(InvalidInput, match="must be in the future"):
        request_information(task_id, "Floor plan", dt.date.today(), actor=CASEWORKER)
    assert _case(case_id).status == CaseStatus.AWAITING_DECISION
    assert _task(task_id).status == TaskStatus.OPEN
