"""The pages as their users meet them, in Chromium: on a phone (390 px) nothing scrolls sideways
and the inbox reads as cards; staff read the office's clock (Hong Kong time), not UTC; a Chinese
page names the office in Chinese, error pages included; an applicant sees what they applied for;
a computed value is shown as a person reads it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.access import issue_access_code
from cases.calendar import OFFICE_TZ
from cases.db import session_scope
from cases.models import Role
from cases.repository import get_case
from tests.browser.conftest import LiveServer
from tests.browser.test_console import _sample, case_awaiting_verification, log_in, log_out
from tests.web.test_web import add_user, case_at_decision_gate

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()


def assert_fits(page: Page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} scrolls sideways on a phone: {width} px wide"


def test_on_a_phone_nothing_scrolls_sideways_and_the_inbox_reads_as_cards(
    phone: Page, server: LiveServer
) -> None:
    _, reference = case_awaiting_verification()
    decide_id, _ = case_at_decision_gate()
    phone.goto(server.url + "/apply/food-business-licence")
    assert_fits(phone, "the application form")
    log_in(phone, server, "casey")
    phone.goto(server.url + "/inbox?queue=all")
    assert_fits(phone, "the inbox")
    card = phone.locator("table.inbox tr", has_text=reference)
    # each value under its column's name: the card says which text is the due date
    due = card.locator("td[data-label='Due']")
    expect(due).to_be_visible()
    label = due.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Due"'
    phone.goto(f"{server.url}/cases/{decide_id}")
    expect(phone.get_by_role("heading", name="Eligibility")).to_be_visible()
    assert_fits(phone, "the case page")
    log_out(phone)
    add_user("ada", Role.ADMIN)
    log_in(phone, server, "ada")
    for path, heading in (("/admin/users", "Users"), ("/kpi", "KPI dashboard")):
        phone.goto(server.url + path)  # hidden labels in a scrolling table once widened these
        expect(phone.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert_fits(phone, path)


def test_staff_read_hong_kong_time_and_computed_values_as_people_write_them(
    page: Page, server: LiveServer
) -> None:
    case_id, _ = case_at_decision_gate()
    with session_scope() as session:
        submitted = get_case(session, case_id).submitted_at
    assert submitted is not None
    local = submitted.replace(tzinfo=submitted.tzinfo or dt.UTC).astimezone(OFFICE_TZ)
    log_in(page, server, "casey")
    page.goto(f"{server.url}/cases/{case_id}")
    expect(page.locator("dl.facts").first).to_contain_text(
        local.strftime("Submitted%Y-%m-%d %H:%M HKT")
    )
    expect(page.locator("main")).not_to_contain_text("UTC")
    computed = page.locator("table.computed")
    expect(computed).to_be_visible()
    assert not re.search(r"\d\.\d{4,}", computed.inner_text()), computed.inner_text()

    verify_id, _ = case_awaiting_verification()
    page.goto(f"{server.url}/cases/{verify_id}")
    address = page.get_by_label("Address of the premises")
    expect(address).to_have_value(_sample().truth["premises_address"])
    hidden = address.evaluate("box => box.scrollHeight - box.clientHeight")
    assert hidden <= 2, f"the address is cut off: {hidden} px of it hidden"  # wraps, shown whole


def test_a_chinese_page_names_the_office_in_chinese_and_its_errors_lead_somewhere(
    page: Page, server: LiveServer
) -> None:
    case_id, _ = case_at_decision_gate()
    with session_scope() as session:
        case = get_case(session, case_id)
        reference, code = case.reference, issue_access_code(session, case)
    page.goto(server.url + "/status")
    page.get_by_role("button", name="繁體中文").click()
    page.get_by_label("參考編號").fill(reference)
    page.get_by_label("查詢碼").fill(code)
    page.get_by_role("button", name="顯示進度").click()
    expect(page.locator("#applied-for")).to_have_text("食物業牌照")  # what this case is about

    page.goto(server.url + "/no-such-page")
    expect(page).to_have_title("找不到 · 牌照事務處")
    expect(page.get_by_role("alert")).to_have_text("此網址沒有頁面。請檢查連結，或從下方重新開始。")
    expect(page.get_by_role("link", name="網上申請").last).to_be_visible()
    expect(page.get_by_role("link", name="返回收件匣")).to_have_count(0)  # not staff: no inbox

    page.get_by_role("button", name="English").click()
    log_in(page, server, "casey")  # in English, then the staff pages in Chinese
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("header .brand")).to_have_text("牌照事務處")
    expect(page).to_have_title("收件匣 · 牌照事務處")
