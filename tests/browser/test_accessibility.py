"""Usable by everyone: keyboard-only work, labelled controls and WCAG AA contrast, in Chromium.

The WCAG checks run Deque's axe-core (vendored from the npm package ``axe-core``, MPL-2.0, in
``tests/browser/vendor``) inside the real pages, in both languages. A violation names the rule, the
element and how to fix it, so a failure here says what a screen-reader or low-vision user would
meet.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from cases.access import Actor
from cases.db import session_scope
from cases.gates import verify_fields
from cases.letters import issue_letters, reissue_letter
from cases.models import ApprovalTask, Role, TaskKind, TaskStatus
from tests.browser.conftest import LiveServer
from tests.browser.test_console import (
    _sample,
    case_awaiting_verification,
    log_in,
    misread,
)
from tests.factories import decided_case, propose_from_checking
from tests.web.test_web import PASSWORD

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def page(axe_page: Page) -> Page:
    """The pages here inject axe (``axe_page`` in conftest.py)."""
    return axe_page


def violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.x A/AA violations on the page as it is now, one line per element."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']} — {node['failureSummary']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def assert_accessible(page: Page, what: str) -> None:
    found = violations(page)
    assert not found, f"{what} ({page.url}) fails WCAG AA:\n" + "\n".join(found)


def switch_language(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["English", "繁體中文"])
def test_every_console_page_meets_wcag_aa(page: Page, server: LiveServer, language: str) -> None:
    verify_id, _ = case_awaiting_verification()
    decide_id, _ = case_awaiting_verification()
    page.goto(server.url + "/status")
    if language != "English":
        switch_language(page, language)
    assert_accessible(page, "the applicants' status page")
    page.goto(server.url + "/login")
    assert_accessible(page, "the log-in page")

    log_in_in(page, server, "casey", language)
    assert_accessible(page, "the inbox")
    page.goto(f"{server.url}/cases/{verify_id}")
    assert_accessible(page, "a case awaiting verification")
    page.goto(f"{server.url}/upload")
    assert_accessible(page, "the upload page")

    propose_from_checking_after_verification(decide_id)
    page.goto(f"{server.url}/cases/{decide_id}")
    assert_accessible(page, "a case at the decision gate")

    letters_id = decided_case("approve")
    issue_letters(letters_id)
    casey = Actor("casey", Role.CASEWORKER)
    reissue_letter(letters_id, "en", "Corrected.", actor=casey)
    reissue_letter(letters_id, "zh-Hant", "Asked for Chinese.", actor=casey)
    page.goto(f"{server.url}/cases/{letters_id}")
    assert_accessible(page, "a case with its letters (one superseded) and the reissue form")


def log_in_in(page: Page, server: LiveServer, username: str, language: str) -> None:
    """Log in; in Chinese the labels are Chinese, so the English helper cannot be used."""
    if language == "English":
        log_in(page, server, username)
        return
    page.goto(server.url + "/login")
    page.get_by_label("用戶名稱").fill(username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("heading", name="收件匣")).to_be_visible()


def propose_from_checking_after_verification(case_id: int) -> None:
    """Take a case awaiting verification on to the decision gate, as the flow would."""
    with session_scope() as session:
        task = session.exec(
            select(ApprovalTask).where(
                ApprovalTask.case_id == case_id,
                ApprovalTask.kind == TaskKind.VERIFY_FIELDS,
                ApprovalTask.status == TaskStatus.OPEN,
            )
        ).one()
    verify_fields(task.id or 0, {}, actor=Actor("casey", Role.CASEWORKER))
    propose_from_checking(case_id)


def test_a_caseworker_verifies_a_field_with_the_keyboard_alone(
    page: Page, server: LiveServer
) -> None:
    case_id, reference = case_awaiting_verification()
    log_in(page, server, "casey")

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text(re.compile("Skip to main content"))
    assert _has_visible_focus(page), "the focused skip link shows no focus indicator"

    _tab_to(page, f"a:text-is('{reference}')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()

    _tab_to(page, "[name=field_business_name]")
    assert _has_visible_focus(page), "the focused field shows no focus indicator"
    expect(page.locator(":focus")).to_have_value(misread())
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(_sample().truth["business_name"])
    _tab_to(page, "button:text-is('Confirm fields')")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Fields confirmed")).to_be_visible()
    assert case_id


def _tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key ({limit} presses)")


def _has_visible_focus(page: Page) -> bool:
    style: dict[str, str] = page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            return {outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow};
        }"""
    )
    outlined = style["outline"] != "none" and style["width"] not in ("0px", "")
    return outlined or style["shadow"] not in ("none", "")


def _open_case(page: Page, server: LiveServer, language: str, case_id: int) -> None:
    """Log in as casey in ``language`` and open the case's page."""
    page.goto(server.url + "/login")
    if language != "English":
        switch_language(page, language)
    log_in_in(page, server, "casey", language)
    page.goto(f"{server.url}/cases/{case_id}")


@pytest.mark.parametrize("language", ["English", "繁體中文"])
def test_a_case_with_messages_needing_action_meets_wcag_aa(
    page: Page, server: LiveServer, language: str
) -> None:
    from tests.web.test_case_messages import _case_with_messages

    case_id = _case_with_messages()
    _open_case(page, server, language, case_id)
    heading = "Messages to the applicant" if language == "English" else "致申請人的訊息"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    assert page.locator("tr.needs-action").count() == 2
    assert_accessible(page, "a case whose messages need action")


@pytest.mark.parametrize("language", ["English", "繁體中文"])
def test_a_purged_case_meets_wcag_aa(page: Page, server: LiveServer, language: str) -> None:
    from cases.retention import run_retention
    from tests.factories import closed_case

    case_id = closed_case(b"a scan for the accessibility check", years_ago=8)
    assert [c.case_id for c in run_retention().cases] == [case_id]
    _open_case(page, server, language, case_id)
    notice = "retention period has ended" if language == "English" else "保存期限已屆滿"
    expect(page.locator("#purged-notice")).to_contain_text(notice)
    assert_accessible(page, "a case retention purged")
