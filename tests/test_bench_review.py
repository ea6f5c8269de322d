"""`permits bench review` plants what it says: each simple planter's problem is found by the
reviewers from the values the documents print, and a clean case has nothing to find."""

from __future__ import annotations

import random

import pytest

from cases.review.consistency import cross_check, document_checks
from tools.bench.review import PLANTERS, _plan, _truth, clean_case


def _codes(values: dict[str, str]) -> set[str]:
    return {f.code for f in cross_check(values) + document_checks(values)}


def test_a_clean_bench_case_has_nothing_to_find() -> None:
    for seed in range(20):
        assert _codes(_truth(clean_case(seed))) == set()


@pytest.mark.parametrize(
    "code",
    [
        "name_mismatch",
        "id_number_mismatch",
        "address_mismatch",
        "business_name_mismatch",
        "date_contradiction",
    ],
)
def test_each_planted_document_problem_is_found(code: str) -> None:
    for seed in range(6):  # a planter may plant its problem in one document or another
        case = clean_case(5)
        PLANTERS[code].plant(case, [], random.Random(seed))
        assert case.expected == {code}
        assert _codes(_truth(case)) == {code}


def test_the_plan_is_a_third_clean_and_starts_clean() -> None:
    plan = _plan(30, sorted(PLANTERS), random.Random(3))
    assert plan[0] is None
    assert plan.count(None) == 10
    assert {p for p in plan if p} == set(PLANTERS)
