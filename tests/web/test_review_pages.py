"""The review on the case page (score with its arithmetic, evidence links, each reviewer's run),
confirming and dismissing findings (CSRF, roles, double clicks, audited, both languages), the
JSON API's review, the inbox sorted by score, and `permits review stats`."""

from __future__ import annotations

import json
import re
from functools import cache

import httpx
import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.intake import Upload
from cases.models import AuditEvent, FindingVerdict, Role
from cases.review import review_case
from tests.conftest import Invoke
from tests.factories import GOOD_FIELDS, sample_application
from tests.review_cases import case_at_review
from tests.web.test_web import TestClient, add_user, csrf, log_in
from tools.samples.applications import SampleApplication

MISMATCH = {
    **GOOD_FIELDS,
    "id_card_name": "LEE Siu Ming",
    "tenancy_premises_address": "G/F, 3 Hennessy Road, Wan Chai",
}


@cache
def _sample() -> SampleApplication:
    return sample_application(41)


def _reviewed_case(fields: dict[str, str] = MISMATCH) -> int:
    sample = _sample()
    uploads = [Upload("form.png", sample.form_png), Upload("id-card.png", sample.id_card_png)]
    case_id = case_at_review(uploads, fields)
    review_case(case_id)
    return case_id


def _mark(
    client: TestClient, case_id: int, index: int, verdict: str, reason: str = ""
) -> httpx.Response:
    response: httpx.Response = client.post(
        f"/cases/{case_id}/findings/{index}",
        data={"verdict": verdict, "reason": reason, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    return response


def test_the_case_page_shows_the_score_its_arithmetic_evidence_and_runs(
    caseworker: TestClient,
) -> None:
    case_id = _reviewed_case()
    page = caseworker.get(f"/cases/{case_id}").text
    assert (
        "Risk score: name mismatch +50, address mismatch +30 = <strong>80</strong> &ge; 50: high"
        in page
    )
    assert 'href="#page-' in page  # each field of the evidence links to the page it was read on
    assert "Reviewer runs" in page
    # the consistency reviewer named in words, and its version
    assert re.search(r"<td>[^<]*onsisten[^<]*</td><td>2\.1</td>", page)
    caseworker.post(
        "/language",
        data={"lang": "zh-Hant", "next": f"/cases/{case_id}", "csrf_token": csrf(caseworker)},
    )
    chinese = caseworker.get(f"/cases/{case_id}").text
    assert "風險分數：" in chinese
    assert "確認此發現" in chinese
    assert "申請表上的處所（Shop 1, G/F, 1 Nathan Road, Tsim Sha Tsui）與" in chinese


def test_a_finding_is_confirmed_once_however_often_the_button_is_pressed(
    caseworker: TestClient,
) -> None:
    case_id = _reviewed_case()
    for _ in range(2):
        assert _mark(caseworker, case_id, 0, "confirmed").status_code == 303
    with session_scope() as session:
        (verdict,) = session.exec(select(FindingVerdict)).all()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "review.finding_marked")
        ).all()
    assert (verdict.code, verdict.verdict, verdict.decided_by) == (
        "name_mismatch",
        "confirmed",
        "casey",
    )
    assert len(events) == 1
    assert "Marked confirmed by casey." in caseworker.get(f"/cases/{case_id}").text


def test_a_dismissal_needs_a_reason_and_a_csrf_token(caseworker: TestClient) -> None:
    case_id = _reviewed_case()
    refused = _mark(caseworker, case_id, 1, "dismissed")
    assert refused.status_code == 422
    assert "Say why the finding is dismissed" in refused.text
    forged = caseworker.post(
        f"/cases/{case_id}/findings/1", data={"verdict": "dismissed", "reason": "ok"}
    )
    assert forged.status_code == 403
    assert (
        _mark(caseworker, case_id, 1, "dismissed", "The lease covers both shops").status_code == 303
    )
    with session_scope() as session:
        (verdict,) = session.exec(select(FindingVerdict)).all()
    assert (verdict.code, verdict.reason) == ("address_mismatch", "The lease covers both shops")


def test_an_auditor_cannot_mark_findings(client: TestClient) -> None:
    case_id = _reviewed_case()
    add_user("audrey", Role.AUDITOR)
    assert log_in(client, "audrey").status_code == 303
    assert "Confirm finding" not in client.get(f"/cases/{case_id}").text
    assert _mark(client, case_id, 0, "confirmed").status_code == 403


def test_the_api_gives_the_review_with_findings_score_and_runs(caseworker: TestClient) -> None:
    case_id = _reviewed_case()
    body = caseworker.get(f"/api/cases/{case_id}").json()
    review = body["review"]
    assert (review["risk"], review["risk_score"]) == ("high", 80)
    assert [f["code"] for f in review["findings"]] == ["name_mismatch", "address_mismatch"]
    assert review["findings"][0]["evidence"]["fields"][0]["name"] == "applicant_name"
    assert {r["reviewer"] for r in review["runs"]} == {
        "consistency",
        "duplicates",
        "precedents",
        "unusual_values",
    }
    assert all(len(r["inputs_hash"]) == 64 for r in review["runs"])


def test_review_stats_count_confirmed_and_dismissed_per_code(
    caseworker: TestClient, cli: Invoke
) -> None:
    case_id = _reviewed_case()
    _mark(caseworker, case_id, 0, "confirmed")
    _mark(caseworker, case_id, 1, "dismissed", "same building")
    result = cli("review", "stats", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "address_mismatch": {"confirmed": 0, "dismissed": 1, "confirmed_share": 0.0},
        "name_mismatch": {"confirmed": 1, "dismissed": 0, "confirmed_share": 1.0},
    }


@pytest.mark.usefixtures("db")
def test_the_inbox_sorts_by_risk_score(caseworker: TestClient) -> None:
    from cases.gates import propose_decision

    quiet, risky = _reviewed_case(GOOD_FIELDS), _reviewed_case()
    for case_id in (quiet, risky):
        propose_decision(case_id)
    page = caseworker.get("/inbox?sort=score").text
    assert page.index(f'/cases/{risky}"') < page.index(f'/cases/{quiet}"')
    assert "<small>(0)</small>" in page
