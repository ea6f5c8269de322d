"""An applicant applies online in Chromium, in the Chinese page: chooses a permit, sees what is
still missing, attaches a form and an ID copy, and gets the reference and access code; every
applicant page meets WCAG AA in both languages."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import select

from cases.db import session_scope
from cases.models import Applicant, Case, Document, OutboxMessage
from cases.vocabulary import Language
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility import assert_accessible, page, switch_language
from tests.factories import sample_application

pytestmark = pytest.mark.browser
__all__ = ["page"]  # the axe-ready page fixture, shared


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _file(name: str, data: bytes) -> dict[str, object]:
    return {"name": name, "mimeType": "image/png", "buffer": data}


def test_an_applicant_applies_in_chinese_with_a_form_and_an_id_copy(
    page: Page, server: LiveServer, artifacts: object
) -> None:
    sample = sample_application(41)
    page.goto(server.url + "/apply")
    switch_language(page, "繁體中文")
    expect(page.get_by_role("heading", name="網上申請", exact=True)).to_be_visible()
    page.get_by_role("link", name="食物業牌照").click()
    expect(page.get_by_role("heading", name="申請食物業牌照")).to_be_visible()

    missing = page.locator("#still-missing")
    expect(missing).to_contain_text("申請人香港身份證副本")
    page.get_by_label("全名（與身份證相同）").fill("陳大文 <b>CHAN</b>")
    page.get_by_label("電郵地址").fill("chan@example.org")
    page.get_by_label("電話（選填）").fill("9123 4567")
    page.get_by_label("我們給您的訊息所用的語言").select_option("zh-Hant")
    page.get_by_label("申請表格 FBL-1").set_input_files(_file("form.png", sample.form_png))
    expect(missing).to_contain_text("申請人香港身份證副本")
    expect(missing).not_to_contain_text("申請表格 FBL-1")
    page.get_by_label("申請人香港身份證副本").set_input_files(_file("id.png", sample.id_card_png))
    expect(missing).to_contain_text("資料已齊全：您可以提交。")
    assert_accessible(page, "the application form, filled")
    page.screenshot(path=str(artifacts / "apply-form-zh.png"), full_page=True)  # type: ignore[operator]

    page.get_by_role("button", name="提交申請").click()
    expect(page.get_by_role("heading", name="已收到申請")).to_be_visible()
    reference = page.locator("#reference").inner_text()
    code = page.locator("#access-code").inner_text()
    assert re.fullmatch(r"FBL-\d{4}-\d{6}", reference)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert_accessible(page, "the application received page")
    page.screenshot(path=str(artifacts / "apply-received-zh.png"), full_page=True)  # type: ignore[operator]

    with session_scope() as session:
        case = session.exec(select(Case).where(Case.reference == reference)).one()
        applicant = session.get(Applicant, case.applicant_id)
        kinds = sorted(session.exec(select(Document.kind).where(Document.case_id == case.id)))
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).one()
    assert applicant is not None
    assert applicant.name == "陳大文 <b>CHAN</b>"
    assert applicant.preferred_language == Language.ZH_HANT
    assert kinds == ["application_form", "id_card"]
    assert queued.language == Language.ZH_HANT

    page.get_by_role("link", name="在申請狀況頁面查閱您的申請").click()
    page.get_by_label("參考編號").fill(reference)
    page.get_by_label("查詢碼").fill(code)
    page.get_by_role("button", name="顯示進度").click()
    expect(page.locator("#applicant-status")).to_be_visible()


@pytest.mark.parametrize("language", ["English", "繁體中文"])
def test_the_applicant_pages_meet_wcag_aa(page: Page, server: LiveServer, language: str) -> None:
    page.goto(server.url + "/apply")
    if language != "English":
        switch_language(page, language)
    assert_accessible(page, "choosing a permit")
    page.goto(server.url + "/apply/food-business-licence")
    assert_accessible(page, "the application form")
    page.locator("#name").fill("Ann")
    page.locator("#email").fill("ann@example.org")
    page.locator("#phone").fill("12")  # the browser lets it through; the server does not
    page.locator("#document_application_form").set_input_files(_file("form.png", _png(80, 60)))
    page.locator("#document_id_card").set_input_files(_file("id.png", _png(60, 40)))
    page.locator("button[type=submit]").last.click()
    expect(page.locator("#problems")).to_be_visible()
    assert_accessible(page, "the application form with a problem")
