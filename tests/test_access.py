"""Applicants' access codes: issued once, stored hashed, open only their own case's status."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.access import ApplicantStatus, WrongAccessCode, applicant_status, issue_access_code
from cases.db import session_scope
from cases.letters import request_information
from cases.lifecycle import CaseStatus
from cases.repository import get_case
from tests.factories import CASEWORKER
from tests.web.test_web import case_at_decision_gate, submitted_case

pytestmark = pytest.mark.usefixtures("db")


def _issue(case_id: int) -> str:
    with session_scope() as session:
        return issue_access_code(session, get_case(session, case_id))


def _status(reference: str, code: str) -> ApplicantStatus:
    with session_scope() as session:
        return applicant_status(session, reference, code)


def _reference(case_id: int) -> str:
    with session_scope() as session:
        return get_case(session, case_id).reference


def test_code_is_readable_and_only_its_hash_is_stored() -> None:
    case_id = submitted_case()
    code = _issue(case_id)
    assert len(code) == 14
    assert code.count("-") == 2
    assert not set(code) & set("01OIL")
    with session_scope() as session:
        stored = get_case(session, case_id).access_code_hash
    assert stored is not None
    assert stored.startswith("$argon2")
    assert code not in stored


def test_reference_and_code_open_the_status_typed_loosely() -> None:
    case_id = submitted_case()
    code = _issue(case_id)
    found = _status(_reference(case_id).lower(), code.replace("-", " ").lower())
    assert found.status == "Received; the documents are being read"
    assert found.submitted_on == dt.datetime.now(dt.UTC).date()


def test_another_cases_code_or_an_unknown_reference_opens_nothing() -> None:
    first, second = submitted_case(), submitted_case()
    _issue(first)
    other_code = _issue(second)
    with pytest.raises(WrongAccessCode) as caught:
        _status(_reference(first), other_code)
    assert "No application matches this reference and access code" in str(caught.value)
    with pytest.raises(WrongAccessCode):
        _status("FBL-2026-999999", other_code)


def test_reissuing_replaces_the_old_code() -> None:
    case_id = submitted_case()
    old = _issue(case_id)
    new = _issue(case_id)
    with pytest.raises(WrongAccessCode):
        _status(_reference(case_id), old)
    assert _status(_reference(case_id), new)


def test_a_case_without_a_code_cannot_be_opened() -> None:
    case_id = submitted_case()
    with pytest.raises(WrongAccessCode):
        _status(_reference(case_id), "")


def test_status_says_what_the_office_waits_for() -> None:
    case_id, task_id = case_at_decision_gate()
    code = _issue(case_id)
    due = dt.date.today() + dt.timedelta(days=10)
    request_information(task_id, "A copy of the fire certificate", due, actor=CASEWORKER)
    found = _status(_reference(case_id), code)
    assert found.status == "Waiting for information from you"
    assert (found.requested, found.requested_by) == ("A copy of the fire certificate", due)
    with session_scope() as session:
        assert get_case(session, case_id).status == CaseStatus.AWAITING_APPLICANT
