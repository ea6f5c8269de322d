"""Unusual values: a number far outside what decided cases of the same permit type and kind of
business show, by median and MAD, with the distribution in the finding."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.facts import render
from cases.models import Review
from cases.review import review_case
from cases.review.unusual_values import Distribution, robust_z, unusual_values
from tests.factories import checked_case, said
from tests.precedent_cases import past_cases
from web.i18n import glossary_in

RESTAURANTS = [50.0 + i for i in range(40)]  # median 69.5, MAD 10
FACTORIES = [1000.0 + 25 * i for i in range(40)]


def _check(area: float, past: list[dict[str, object]], **kwargs: object) -> list[str]:
    settings: dict[str, object] = {
        "fields": ["floor_area_m2"],
        "group_by": "business_type",
        "min_sample": 30,
        "threshold": 3.5,
    }
    current = {"business_type": "Restaurant", "floor_area_m2": area}
    found = unusual_values(current, past, **(settings | kwargs))  # type: ignore[arg-type]
    return [u.field for u in found]


def _past(kind: str, areas: list[float]) -> list[dict[str, object]]:
    return [{"business_type": kind, "floor_area_m2": a} for a in areas]


def test_the_distribution_is_robust_to_the_odd_outlier() -> None:
    values = [*RESTAURANTS, 100_000.0]
    d = Distribution.of(values)
    assert (d.n, d.median, d.mad) == (41, 70.0, 10.0)
    assert d.q05 < d.q25 < d.median < d.q75 < d.q95 < 1000
    assert robust_z(600.0, values, d) == pytest.approx(0.6745 * 530 / 10)


def test_a_value_far_from_its_own_group_is_unusual_one_within_it_is_not() -> None:
    past = _past("Restaurant", RESTAURANTS) + _past("Food factory", FACTORIES)
    assert _check(600, past) == ["floor_area_m2"]
    assert _check(75, past) == []
    assert _check(1200, past) == ["floor_area_m2"]  # usual for a factory, not a restaurant


def test_too_few_past_cases_of_the_group_judge_nothing() -> None:
    assert _check(600, _past("Restaurant", RESTAURANTS[:29])) == []
    assert _check(600, _past("Restaurant", RESTAURANTS[:29]), min_sample=20) == ["floor_area_m2"]


def test_past_values_all_alike_measure_by_their_mean_deviation_or_not_at_all() -> None:
    mostly_one = [1.0] * 25 + [2.0] * 10
    d = Distribution.of(mostly_one)
    assert d.mad == 0
    assert robust_z(9.0, mostly_one, d) == pytest.approx(0.7979 * 8 / (10 / 35))
    same = [3.0] * 40
    assert robust_z(9.0, same, Distribution.of(same)) is None


@pytest.mark.usefixtures("db")
def test_the_review_finds_the_unusual_area_with_its_distribution() -> None:
    past_cases("Restaurant", RESTAURANTS)
    past_cases("Food factory", FACTORIES)
    unusual = checked_case({"floor_area_m2": "600", "seating_capacity": "40"})
    usual = checked_case({"floor_area_m2": "72"})
    review_case(unusual)
    review_case(usual)
    with session_scope() as session:
        found = {
            r.case_id: [f for f in r.findings["findings"] if f["fact"]["code"] == "unusual_value"]
            for r in session.exec(select(Review))
        }
    assert found[usual] == []
    (finding,) = found[unusual]
    fact = finding["fact"]
    assert finding["severity"] == "warning"
    assert (fact["field"], fact["value"], fact["group"], fact["n"]) == (
        "floor_area_m2",
        "600",
        "Restaurant",
        40,
    )
    assert (fact["median"], fact["mad"]) == (69.5, 10.0)
    assert finding["evidence"]["fields"][0]["name"] == "floor_area_m2"
    english = said(fact)
    assert english.startswith("Floor area (square metres) is 600, far from the 40 decided cases")
    assert "median 69.5, MAD 10.0" in english
    chinese = render(fact, glossary_in("food-business-licence", "zh-Hant"))
    assert chinese.startswith("樓面面積（平方米）為 600")
    assert "中位數 69.5" in chinese
