"""The bench's precedent and unusual-value planters plant what they say: among seeded decided
cases made precedents, the reviewers find the planted conflict and the planted size, and a clean
application has neither."""

from __future__ import annotations

import random

import pytest
from sqlmodel import select

from cases.db import get_engine, session_scope
from cases.lifecycle import CaseStatus
from cases.models import Case, Precedent, Review
from cases.review import review_case
from tests.factories import checked_case
from tools.bench.review import PLANTERS, clean_case
from tools.bench.review_models import seed_precedents

pytestmark = pytest.mark.usefixtures("db")


def _seeded(count: int) -> None:
    with session_scope() as session:
        for n in range(count):
            session.add(
                Case(
                    reference=f"SEED-{n:05d}",
                    permit_type="food-business-licence",
                    status=CaseStatus.CLOSED,
                    decided_outcome="approve",
                )
            )
    assert seed_precedents(get_engine()) == count


def _found(form: dict[str, str]) -> set[str]:
    case_id = checked_case(form)
    review_case(case_id)
    with session_scope() as session:
        review = session.exec(select(Review).where(Review.case_id == case_id)).one()
    return {f["fact"]["code"] for f in review.findings["findings"]}


def test_planted_conflicts_and_sizes_are_found_and_clean_cases_have_neither() -> None:
    _seeded(120)
    with session_scope() as session:
        outcomes = {p.outcome for p in session.exec(select(Precedent))}
    assert outcomes <= {"approve", "refuse"}
    for code in ("precedent_conflict", "unusual_value"):
        case = clean_case(11)
        PLANTERS[code].plant(case, [], random.Random(2))
        assert code in case.expected
        assert code in _found(case.form)
    for seed in range(3):
        assert not _found(clean_case(20 + seed).form) & {"precedent_conflict", "unusual_value"}
