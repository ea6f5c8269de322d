"""The case page shows the most similar decided cases (linked, with outcome and similarity) and
an unusual value with its distribution, in English and in Traditional Chinese."""

from __future__ import annotations

from cases.review import review_case
from tests.factories import checked_case
from tests.precedent_cases import decided, past_cases
from tests.web.test_web import TestClient


def test_the_case_page_shows_similar_cases_and_an_unusual_value(caseworker: TestClient) -> None:
    past_cases("Restaurant", [50.0 + i for i in range(40)])
    refused = [decided({"business_type": "Light refreshment"}, "refuse") for _ in range(2)]
    case_id = checked_case({"floor_area_m2": "600"})
    review_case(case_id)
    page = caseworker.get(f"/cases/{case_id}").text
    assert "The most similar decided cases: PREC-" in page
    assert f'href="/cases/{refused[0]}"' in page
    assert "(refuse, similarity" in page
    assert "Floor area (square metres) is 600, far from the 40 decided cases" in page
    assert "median 69.5, MAD 10.0" in page
    caseworker.cookies.set("lang", "zh-Hant")
    chinese = caseworker.get(f"/cases/{case_id}").text
    assert "最相似的已決定個案：PREC-" in chinese
    assert "（拒絕，相似度" in chinese
    assert "樓面面積（平方米）為 600" in chinese
    assert "中位數 69.5" in chinese
