"""Guardrails: a reviewer adds findings and may propose referral; it never changes the rules'
outcome or the proposal, and the adverse proposal still goes to a person. Proved for every
registered reviewer, and against reviewers that try. Each run is recorded, failures included."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from cases.db import session_scope
from cases.gates import propose_decision
from cases.intake import Upload
from cases.lifecycle import CaseStatus
from cases.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    EligibilityResult,
    Review,
    ReviewRun,
    TaskKind,
    TaskStatus,
)
from cases.review import Finding, ReviewContext, all_reviewers, review_case
from cases.review import service as review_service
from cases.vocabulary import Outcome, Severity
from tests.factories import GOOD_FIELDS, sample_application
from tests.review_cases import case_at_review
from tools.samples.applications import SampleApplication

pytestmark = pytest.mark.usefixtures("db")

REFUSED = {**GOOD_FIELDS, "floor_area_m2": "3"}


@cache
def _sample() -> SampleApplication:
    return sample_application(31)


def _refused_case() -> int:
    sample = _sample()
    uploads = [Upload("form.png", sample.form_png), Upload("id-card.png", sample.id_card_png)]
    case_id = case_at_review(uploads, REFUSED)
    with session_scope() as session:
        outcome = session.exec(
            select(EligibilityResult.outcome).where(EligibilityResult.case_id == case_id)
        ).one()
    assert outcome == Outcome.REFUSE
    return case_id


@dataclass
class _Trying:
    """A reviewer that tries to turn the refusal into an approval, one way or another."""

    attempt: str
    name: str = "malicious"
    version: str = "6.6.6"
    model_name: str | None = None
    weights_hash: str | None = None
    on_by_default: bool = False

    def review(self, ctx: ReviewContext) -> Any:
        private = ctx.session._ReadOnlySession__session  # type: ignore[attr-defined]
        if self.attempt == "orm":  # change the rows it can reach
            case = ctx.session.get(Case, ctx.case.id)
            assert case is not None
            case.proposed_outcome = Outcome.APPROVE
            result = ctx.session.exec(select(EligibilityResult)).first()
            result.outcome = Outcome.APPROVE
        elif self.attempt == "update":  # an UPDATE through the session it was given
            ctx.session.exec(update(Case).values(proposed_outcome=Outcome.APPROVE))
        elif self.attempt == "private":  # reach behind the read-only view
            private.execute(update(EligibilityResult).values(outcome=Outcome.APPROVE))
            private.execute(update(Case).values(proposed_outcome=Outcome.APPROVE))
        elif self.attempt == "answer":  # return a decision instead of findings
            return [{"outcome": "approve"}]
        elif self.attempt == "crash":
            raise RuntimeError("model server unreachable")
        return [Finding({"code": "missing_evidence", "field": "hkid"}, Severity.INFO)]


@pytest.fixture
def with_reviewer(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    extra: list[Any] = []
    chosen = review_service.reviewers_for
    monkeypatch.setattr(review_service, "reviewers_for", lambda p: [*extra, *chosen(p)])
    return extra


def _state(case_id: int) -> tuple[Any, ...]:
    with session_scope() as session:
        case = session.get(Case, case_id)
        result = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).one()
        assert case is not None
        return case.proposed_outcome, case.decided_outcome, result.outcome, result.trace


def _runs(case_id: int) -> dict[str, ReviewRun]:
    with session_scope() as session:
        return {
            r.reviewer: r
            for r in session.exec(select(ReviewRun).where(ReviewRun.case_id == case_id))
        }


def _assert_goes_to_a_person(case_id: int) -> None:
    propose_decision(case_id)
    with session_scope() as session:
        case = session.get(Case, case_id)
        task = session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case_id)).one()
    assert case is not None
    assert case.status == CaseStatus.AWAITING_DECISION
    assert case.proposed_outcome == Outcome.REFUSE
    assert case.decided_outcome is None
    assert (task.kind, task.status) == (TaskKind.DECIDE, TaskStatus.OPEN)


@pytest.mark.parametrize("reviewer", all_reviewers(), ids=lambda r: r.name)
def test_every_registered_reviewer_leaves_the_refusal_to_a_person(
    reviewer: Any, with_reviewer: list[Any]
) -> None:
    with_reviewer.append(reviewer)
    case_id = _refused_case()
    before = _state(case_id)
    review_case(case_id)
    assert _state(case_id) == before
    assert _runs(case_id)[reviewer.name].error is None
    _assert_goes_to_a_person(case_id)


@pytest.mark.parametrize("attempt", ["orm", "update", "private", "answer"])
def test_a_reviewer_that_tries_to_decide_changes_nothing_and_is_recorded(
    attempt: str, with_reviewer: list[Any]
) -> None:
    with_reviewer.append(_Trying(attempt))
    case_id = _refused_case()
    before = _state(case_id)
    review_case(case_id)
    assert _state(case_id) == before
    run = _runs(case_id)["malicious"]
    if attempt != "private":  # a raw write behind its back is undone rather than detected
        assert run.error is not None
        assert run.error.startswith("guardrail:")
        assert run.findings == []
    assert _runs(case_id)["consistency"].error is None  # the others ran on
    _assert_goes_to_a_person(case_id)


def test_a_failing_reviewer_is_recorded_and_the_review_goes_on(with_reviewer: list[Any]) -> None:
    with_reviewer.append(_Trying("crash"))
    case_id = _refused_case()
    assert review_case(case_id) is not None
    runs = _runs(case_id)
    assert runs["malicious"].error == "RuntimeError: model server unreachable"
    assert runs["malicious"].version == "6.6.6"
    with session_scope() as session:
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case_id, AuditEvent.action == "review.completed"
            )
        ).one()
    summaries = {run["reviewer"]: run for run in event.payload["runs"]}
    assert summaries["malicious"]["error"] == "RuntimeError: model server unreachable"
    assert set(summaries) == {
        "malicious",
        "consistency",
        "duplicates",
        "precedents",
        "unusual_values",
    }


def test_each_run_records_its_reviewer_version_input_hash_findings_and_time() -> None:
    case_id = _refused_case()
    review_case(case_id)
    runs = _runs(case_id)
    assert set(runs) == {"consistency", "duplicates", "precedents", "unusual_values"}
    consistency = runs["consistency"]
    assert (consistency.version, consistency.model_name) == ("2.1", None)
    assert len(consistency.inputs_hash) == 64
    assert consistency.duration_ms > 0
    with session_scope() as session:
        review = session.exec(select(Review).where(Review.case_id == case_id)).one()
    stored = review.findings["findings"]
    assert [f["reviewer"] for f in stored] == [
        f["reviewer"] for r in runs.values() for f in r.findings
    ]
