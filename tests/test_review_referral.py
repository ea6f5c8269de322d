"""A reviewer's proposal to refer the case to a senior officer routes the decision to the senior
queue: the task needs a senior caseworker, its reason says why (English and Chinese), and the
audit trail records which findings asked for it. Whatever the rules propose, and whatever the
reviewers say, the case waits for a person at the decision gate."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from sqlmodel import select

from cases.access import Actor
from cases.db import session_scope
from cases.errors import PermissionDenied
from cases.facts import render
from cases.gates import decide
from cases.intake import Upload
from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, AuditEvent, Case, EligibilityResult, Role, TaskKind
from cases.review import Finding, ReviewContext, review_case
from cases.review import service as review_service
from cases.stages import propose
from cases.vocabulary import Decision, Outcome, Severity
from tests.factories import FOOD, said, sample_application
from tests.review_cases import GOOD_FIELDS, case_at_review
from tools.samples.applications import SampleApplication
from web.i18n import glossary_in

pytestmark = pytest.mark.usefixtures("db")

#: Fields that make the rules propose each outcome (the rule file's own tests show the values).
FIELDS_FOR = {
    Outcome.APPROVE: GOOD_FIELDS,
    Outcome.REFUSE: {**GOOD_FIELDS, "floor_area_m2": "3"},
    Outcome.REQUEST_INFO: {**GOOD_FIELDS, "hygiene_staff": "0"},
    Outcome.REFER: {**GOOD_FIELDS, "floor_area_m2": "20", "seating_capacity": "19"},
}
ADVERSE = (Outcome.REFUSE, Outcome.REQUEST_INFO, Outcome.REFER)
NOTE = {"code": "missing_evidence", "field": "business_name"}


@dataclass
class _Referring:
    """A reviewer that asks for a senior officer on every case (as the language model may)."""

    name: str = "referring"
    version: str = "1.0"
    model_name: str | None = None
    weights_hash: str | None = None
    on_by_default: bool = False

    def review(self, ctx: ReviewContext) -> list[Finding]:
        return [Finding(NOTE, Severity.WARNING, ctx.evidence("business_name"), True)]


@pytest.fixture
def referring(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = review_service.reviewers_for
    monkeypatch.setattr(review_service, "reviewers_for", lambda p: [_Referring(), *chosen(p)])


@cache
def _sample() -> SampleApplication:
    return sample_application(41)


def _proposed(outcome: Outcome) -> tuple[int, ApprovalTask]:
    """A case whose rules propose ``outcome``, reviewed and at the decision gate."""
    sample = _sample()
    uploads = [Upload("form.png", sample.form_png), Upload("id-card.png", sample.id_card_png)]
    case_id = case_at_review(uploads, FIELDS_FOR[outcome])
    with session_scope() as session:
        result = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).one()
    assert result.outcome == outcome
    review_case(case_id)
    task = propose(case_id)
    assert task is not None
    return case_id, task


def _waits_for_a_person(case_id: int, task: ApprovalTask) -> None:
    with session_scope() as session:
        case = session.get(Case, case_id)
        open_tasks = session.exec(
            select(ApprovalTask).where(
                ApprovalTask.case_id == case_id, ApprovalTask.kind == TaskKind.DECIDE
            )
        ).all()
    assert case is not None
    assert case.status == CaseStatus.AWAITING_DECISION
    assert case.decided_outcome is None
    assert [t.id for t in open_tasks] == [task.id]


@pytest.mark.parametrize("outcome", ADVERSE, ids=str)
def test_every_adverse_proposal_waits_at_the_gate_for_a_caseworker(outcome: Outcome) -> None:
    case_id, task = _proposed(outcome)
    _waits_for_a_person(case_id, task)
    assert task.required_role == Role.CASEWORKER


@pytest.mark.usefixtures("referring")
@pytest.mark.parametrize("outcome", [*ADVERSE, Outcome.APPROVE], ids=str)
def test_a_proposed_referral_sends_the_decision_to_the_senior_queue(outcome: Outcome) -> None:
    case_id, task = _proposed(outcome)
    _waits_for_a_person(case_id, task)
    assert task.required_role == Role.SENIOR_CASEWORKER
    with session_scope() as session:
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case_id, AuditEvent.action == "decision.referred_to_senior"
            )
        ).one()
    assert event.payload == {
        "role": "senior_caseworker",
        "policy_role": "caseworker",
        "findings": ["missing_evidence"],
        "reviewers": ["referring"],
    }


@pytest.mark.usefixtures("referring")
def test_the_task_says_why_in_both_languages_and_only_a_senior_may_decide() -> None:
    _case_id, task = _proposed(Outcome.REFUSE)
    english = said(task.reason)
    assert "sent to a senior officer because the review proposes it" in english
    assert "proposes it (Name of the food business is empty; not cross-checked.)." in english
    chinese = render(task.reason, glossary_in(FOOD, "zh-Hant"))  # type: ignore[arg-type]
    assert "因覆核建議轉交高級個案主任處理" in chinese
    assert task.id is not None
    with pytest.raises(PermissionDenied):
        decide(task.id, Decision.REFUSE, "too small", actor=Actor("cw", Role.CASEWORKER))
    senior = Actor("senior", Role.SENIOR_CASEWORKER)
    case = decide(task.id, Decision.REFUSE, "too small", actor=senior)
    assert case.decided_outcome == Decision.REFUSE


def test_without_a_proposed_referral_the_policy_role_stands(monkeypatch: Any) -> None:
    case_id, task = _proposed(Outcome.REFUSE)
    assert task.required_role == Role.CASEWORKER
    assert "senior" not in said(task.reason)
    with session_scope() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.case_id == case_id)).all()
    assert "decision.referred_to_senior" not in actions
