"""The applicant answers a request for information on the status page: sees what is asked and
by when (in their language), uploads, and the case flow is started again."""

from __future__ import annotations

import datetime as dt
import io

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import col, select

from cases.access import issue_access_code
from cases.calendar import WorkingCalendar
from cases.db import session_scope
from cases.letters import request_information
from cases.lifecycle import CaseStatus
from cases.models import Document, InformationRequest
from cases.repository import get_case
from tests.factories import SENIOR
from tests.web.test_web import case_at_decision_gate, png, stored_case, token_from

DUE = WorkingCalendar().add_working_days(dt.date.today(), 8)  # a working day: kept as is


def _asked(what: str = "Show the current address on the certificate.") -> tuple[int, str, str]:
    case_id, task_id = case_at_decision_gate()
    with session_scope() as session:
        code = issue_access_code(session, get_case(session, case_id))
    request_information(task_id, what, DUE, actor=SENIOR, document_kinds=["fire_certificate"])
    return case_id, stored_case(case_id).reference, code


def _choose_chinese(client: TestClient) -> None:
    token = token_from(client.get("/status").text)
    client.post("/language", data={"lang": "zh-Hant", "next": "/status", "csrf_token": token})


def _look_up(client: TestClient, reference: str, code: str) -> httpx.Response:
    token = token_from(client.get("/status").text)
    response: httpx.Response = client.post(
        "/status", data={"reference": reference, "access_code": code, "csrf_token": token}
    )
    return response


def _answer(
    client: TestClient,
    reference: str,
    code: str,
    files: dict[str, tuple[str, bytes, str]],
    note: str = "",
    *,
    csrf: bool = True,
) -> httpx.Response:
    data = {"reference": reference, "access_code": code, "note": note}
    if csrf:
        data["csrf_token"] = token_from(client.get("/status").text)
    response: httpx.Response = client.post("/status/answer", data=data, files=files)
    return response


def _answer_documents(case_id: int) -> list[str]:
    with session_scope() as session:
        query = select(Document.filename).where(
            Document.case_id == case_id, col(Document.information_request_id).is_not(None)
        )
        return list(session.exec(query))


@pytest.mark.usefixtures("db")
def test_a_chinese_applicant_sees_the_request_and_answers_it(
    client: TestClient, calls: list[tuple[int, str]]
) -> None:
    case_id, reference, code = _asked()
    _choose_chinese(client)
    page = _look_up(client, reference, code)
    assert page.status_code == 200
    assert "我們需要您提供的資料" in page.text
    assert "消防裝置及設備證書（FS 251）" in page.text  # the document asked for, in Chinese
    assert "Show the current address on the certificate." in page.text  # the caseworker's words
    # the date as a Chinese letter writes it
    assert f"請於{DUE.year}年{DUE.month}月{DUE.day}日或之前回覆。" in page.text
    assert DUE.isoformat() not in page.text
    # what happens without an answer: the permit refers the case back, after a reminder
    assert (
        "如屆時仍未收到您的回覆，我們會向您發出一次提示。"
        "如提示發出後 7 日內仍未收到回覆，牌照主任將根據現有資料作出決定。"
    ) in page.text
    assert 'action="/status/answer"' in page.text
    assert page.text.count('accept="application/pdf,image/png,image/jpeg,image/tiff"') == 2

    files = {"document_fire_certificate": ("cert.png", png(), "image/png")}
    answered = _answer(client, reference, code, files, "證書已更新")
    assert answered.status_code == 200
    assert "謝謝：我們已收到您的回覆" in answered.text
    assert 'action="/status/answer"' not in answered.text  # nothing more is asked
    assert calls == [(case_id, "answered")]
    assert stored_case(case_id).status == CaseStatus.EXTRACTING
    assert _answer_documents(case_id) == ["cert.png"]


@pytest.mark.usefixtures("db")
def test_an_english_applicant_reads_the_dates_as_a_letter_writes_them(client: TestClient) -> None:
    case_id, reference, code = _asked()
    page = _look_up(client, reference, code).text
    assert f"Please answer by {DUE.day} {DUE:%B %Y}." in page
    submitted = stored_case(case_id).submitted_at
    assert f"<dd>{submitted.day} {submitted:%B %Y}</dd>" in page
    assert DUE.isoformat() not in page
    assert "If we do not hear from you by then, we will send you one reminder." in page


@pytest.mark.usefixtures("db")
def test_after_the_reminder_the_page_gives_the_last_day_and_what_follows(
    client: TestClient,
) -> None:
    case_id, reference, code = _asked()
    last_day = DUE + dt.timedelta(days=7)
    with session_scope() as session:
        request = session.exec(
            select(InformationRequest).where(InformationRequest.case_id == case_id)
        ).one()
        request.grace_until = last_day
        session.add(request)
    page = _look_up(client, reference, code).text
    assert f"the last day to answer is now {last_day.day} {last_day:%B %Y}." in page
    assert "If we have no answer by then, a licensing officer will decide on the evidence" in page
    assert "we will send you one reminder" not in page


@pytest.mark.usefixtures("db")
def test_a_bad_file_is_refused_with_its_reason_and_nothing_is_stored(
    client: TestClient, calls: list[tuple[int, str]]
) -> None:
    case_id, reference, code = _asked()
    files = {
        "document_fire_certificate": ("cert.png", png(), "image/png"),
        "document_other": ("broken.pdf", b"%PDF-1.4 not really", "application/pdf"),
    }
    refused = _answer(client, reference, code, files)
    assert refused.status_code == 422
    assert "broken.pdf was not accepted" in refused.text
    assert "Nothing was stored" in refused.text
    assert 'action="/status/answer"' in refused.text  # the applicant can try again
    assert _answer_documents(case_id) == []
    assert stored_case(case_id).status == CaseStatus.AWAITING_APPLICANT
    assert calls == []


@pytest.mark.usefixtures("db")
def test_the_answer_needs_the_csrf_token_and_the_cases_own_code(client: TestClient) -> None:
    case_id, reference, code = _asked()
    _other, _other_reference, other_code = _asked()
    files = {"document_fire_certificate": ("cert.png", png(), "image/png")}
    assert _answer(client, reference, code, files, csrf=False).status_code == 403
    wrong = _answer(client, reference, other_code, files)
    assert wrong.status_code == 404
    assert "No application matches this reference and access code" in wrong.text
    assert _answer_documents(case_id) == []
    for _ in range(10):
        _answer(client, reference, "WRONG-CODE-XXXX", files)
    limited = _answer(client, reference, code, files)
    assert limited.status_code == 429  # the same limit as looking the status up
    assert _answer_documents(case_id) == []


@pytest.mark.usefixtures("db")
def test_answering_twice_is_refused_the_second_time(client: TestClient) -> None:
    case_id, reference, code = _asked()
    files = {"document_fire_certificate": ("cert.png", png(), "image/png")}
    assert _answer(client, reference, code, files).status_code == 200
    again = _answer(client, reference, code, {"document_other": ("more.png", png(), "image/png")})
    assert again.status_code == 409
    assert "There is no open request for information" in again.text
    assert _answer_documents(case_id) == ["cert.png"]


@pytest.mark.usefixtures("db")
def test_a_chinese_applicant_is_told_in_chinese_why_a_file_was_refused(
    client: TestClient, calls: list[tuple[int, str]]
) -> None:
    """The refusal's reason is rendered from its fact in the page's language, as when applying."""
    case_id, reference, code = _asked()
    _choose_chinese(client)
    oversized = io.BytesIO()
    Image.new("1", (12000, 6000)).save(oversized, format="PNG")  # 72 megapixels, 60 accepted
    files = {"document_fire_certificate": ("cert.png", oversized.getvalue(), "image/png")}
    refused = _answer(client, reference, code, files)
    assert refused.status_code == 422
    assert "cert.png" in refused.text
    assert "圖像為 12000x6000 像素（72 百萬像素），超過接受上限 60 百萬像素" in refused.text
    assert "megapixels" not in refused.text
    assert _answer_documents(case_id) == []
    assert calls == []
