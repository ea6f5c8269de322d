"""Service levels in Chromium, in both languages and WCAG AA (axe-core): the holder of an
escalated task finds the notice in their inbox, a senior sees the task overdue by working days
and marked escalated (inbox and case page), and an admin opens the working-days page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cases.access import create_user, get_user
from cases.db import session_scope
from cases.models import ApprovalTask, Case, Role
from cases.service_levels import sweep_service_levels
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility import assert_accessible, log_in_in, switch_language
from tests.web.test_web import PASSWORD, case_at_decision_gate

pytestmark = pytest.mark.browser


@pytest.fixture
def page(axe_page: Page) -> Page:
    return axe_page


def _as(page: Page, server: LiveServer, username: str, language: str) -> None:
    page.context.clear_cookies()
    if language != "English":
        page.goto(server.url + "/login")
        switch_language(page, language)
    log_in_in(page, server, username, language)


def _escalated_case(holder: str) -> int:
    case_id, task_id = case_at_decision_gate()
    with session_scope() as session:
        task, case = session.get(ApprovalTask, task_id), session.get(Case, case_id)
        assert task is not None
        assert case is not None
        task.due_at = case.due_at = dt.datetime(2026, 1, 5, 15, 59, 59, tzinfo=dt.UTC)
        task.claimed_by = holder
        session.add_all([task, case])
    assert sweep_service_levels().escalated == [task_id]
    return case_id


@pytest.mark.parametrize("language", ["English", "繁體中文"])
def test_service_level_pages_in_both_languages_meet_wcag_aa(
    page: Page, server: LiveServer, artifacts: Path, language: str
) -> None:
    with session_scope() as session:
        if get_user(session, "ada") is None:
            create_user(
                session,
                username="ada",
                password=PASSWORD,
                role=Role.ADMIN,
                display_name="Ada Admin",
                actor="test",
            )
    case_id = _escalated_case("casey")
    suffix = "en" if language == "English" else "zh"
    english = language == "English"

    _as(page, server, "casey", language)
    notices = page.get_by_role("region", name="Notices for you" if english else "給您的通知")
    expect(notices).to_be_visible()
    assert_accessible(page, "the inbox with a notice")
    page.screenshot(path=artifacts / f"sla-notice-{suffix}.png", full_page=True)

    _as(page, server, "sam", language)
    expect(page.get_by_text("Escalated" if english else "已轉交上級").first).to_be_visible()
    assert_accessible(page, "the senior's inbox with an escalated task")
    page.screenshot(path=artifacts / f"sla-inbox-{suffix}.png", full_page=True)
    page.goto(f"{server.url}/cases/{case_id}")
    expect(page.locator("#case-due")).to_contain_text("2026-01-05")
    assert_accessible(page, "a case overdue and escalated")

    _as(page, server, "ada", language)
    page.goto(server.url + "/admin/calendar")
    assert_accessible(page, "the working-days page")
    page.screenshot(path=artifacts / f"sla-calendar-{suffix}.png", full_page=True)
