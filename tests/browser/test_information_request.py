"""A request for information end to end in Chromium: a caseworker asks for a document, the
applicant (reading Chinese) sees the request on the status page and uploads it, and the case comes
back to the caseworker with the new document's fields marked new."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from cases.access import issue_access_code
from cases.db import session_scope
from cases.eligibility import check_case_eligibility
from cases.extraction import extract_case
from cases.gates import propose_decision
from cases.lifecycle import CaseStatus
from cases.models import Applicant
from cases.repository import get_case
from cases.review import review_case
from cases.vocabulary import Language
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_console import log_in, log_out
from tests.test_information_requests import certificate_reader
from tests.web.test_web import case_at_decision_gate, png

pytestmark = pytest.mark.browser


def _case_of_a_chinese_applicant() -> tuple[int, str, str]:
    case_id, _task_id = case_at_decision_gate()
    with session_scope() as session:
        case = get_case(session, case_id)
        applicant = session.get(Applicant, case.applicant_id)
        assert applicant is not None
        applicant.preferred_language = Language.ZH_HANT
        session.add(applicant)
        return case_id, case.reference, issue_access_code(session, case)


def ask_for_the_fire_certificate(
    page: Page, server: LiveServer, case_id: int, reference: str, what: str
) -> None:
    """As caseworker casey, on the case page: ask for the fire certificate, saying ``what``."""
    log_in(page, server, "casey")
    page.goto(f"{server.url}/cases/{case_id}")
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    page.get_by_label("Fire services certificate (FS 251)").check()
    page.get_by_label("What the applicant should send (shown to them)").fill(what)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(re.compile("Information requested from the applicant"))).to_be_visible()
    log_out(page)


def open_the_request_in_chinese(
    page: Page, server: LiveServer, reference: str, code: str, what: str
) -> Locator:
    """As the applicant, on the status page in Chinese: the request, naming the certificate and
    the caseworker's words."""
    page.goto(server.url + "/status")
    page.get_by_role("button", name="繁體中文").click()
    page.get_by_label("參考編號").fill(reference)
    page.get_by_label("查詢碼").fill(code)
    page.get_by_role("button", name="顯示進度").click()
    request = page.get_by_role("region", name="我們需要您提供的資料")
    expect(request).to_contain_text("消防裝置及設備證書（FS 251）")
    expect(request).to_contain_text(what)
    return request


def test_staff_request_applicant_answers_in_chinese_case_returns_with_new_evidence(
    axe_page: Page,
    server: LiveServer,
    artifacts: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = axe_page  # the status page is checked for WCAG AA with axe
    case_id, reference, code = _case_of_a_chinese_applicant()

    what = "The certificate must show the shop's current address."
    ask_for_the_fire_certificate(page, server, case_id, reference, what)
    request = open_the_request_in_chinese(page, server, reference, code, what)
    assert_accessible(page, "the status page with a request, in Chinese")
    certificate = tmp_path / "certificate.png"
    certificate.write_bytes(png())
    request.get_by_label("消防裝置及設備證書（FS 251）").set_input_files(certificate)
    request.get_by_label("給牌照事務處的備註（可選）").fill("已附上新的證書。")
    request.get_by_role("button", name="提交回覆").click()
    expect(page.get_by_role("status")).to_contain_text("謝謝：我們已收到您的回覆")
    page.screenshot(path=artifacts / "status-answered-zh.png", full_page=True)
    with session_scope() as session:
        assert get_case(session, case_id).status == CaseStatus.EXTRACTING

    # what the case flow, started by the answer, does next (no OCR here: the reader is replaced)
    seen: list[list[int]] = []
    monkeypatch.setattr("cases.extraction.service.read_documents", certificate_reader(seen))
    extract_case(case_id)
    check_case_eligibility(case_id)
    review_case(case_id)
    assert propose_decision(case_id) is not None
    (read,) = seen
    assert len(read) == 1  # only the new document was read, not the form and the ID card

    page.get_by_role("button", name="English").click()
    log_in(page, server, "casey")
    page.goto(f"{server.url}/cases/{case_id}")
    row = page.locator("#field-row-fire_cert_number")
    expect(row).to_contain_text("FSD-2026-01234")
    expect(row).to_contain_text("new since the request")
    expect(page.locator("#field-row-applicant_name")).not_to_contain_text("new since the request")
    documents = page.get_by_role("region", name="Documents")
    expect(documents.get_by_role("listitem").filter(has_text="certificate.png")).to_contain_text(
        "new since the request"
    )
    expect(page.get_by_role("button", name="Approve", exact=True)).to_be_visible()
    page.screenshot(path=artifacts / "case-new-evidence.png", full_page=True)
