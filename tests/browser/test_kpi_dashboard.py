"""The KPI dashboard in Chromium: reached from the staff navigation, every chart drawn, WCAG AA
clean (axe-core) in both languages, on a desktop and a phone (where the charts' writing stays
readable and the page does not scroll sideways); screenshots in the artifacts folder to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cases.db import session_scope
from cases.reporting import KPI_TABLES
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility import assert_accessible, log_in_in, switch_language
from tests.kpi_cases import seed_kpi_cases

pytestmark = pytest.mark.browser


@pytest.fixture
def page(axe_page: Page) -> Page:
    return axe_page


@pytest.fixture(scope="module")
def seeded(server: LiveServer) -> LiveServer:
    with session_scope() as session:
        seed_kpi_cases(session)
    return server


@pytest.mark.parametrize(
    ("language", "link", "heading"),
    [
        ("English", "KPIs", "KPI dashboard"),
        ("繁體中文", "績效指標", "關鍵績效指標"),
    ],
)
def test_the_dashboard_reads_at_a_glance_and_meets_wcag_aa(
    page: Page, seeded: LiveServer, artifacts: Path, language: str, link: str, heading: str
) -> None:
    page.goto(seeded.url + "/login")
    if language != "English":
        switch_language(page, language)
    log_in_in(page, seeded, "sam", language)
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.locator("svg[role=img]:visible")).to_have_count(len(KPI_TABLES))
    expect(page.locator("table.kpi-table")).to_have_count(len(KPI_TABLES))
    assert_accessible(page, f"the KPI dashboard in {language}")
    name = "kpi-dashboard" + ("" if language == "English" else "-zh")
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    page.get_by_label("Permit" if language == "English" else "牌照").select_option(index=1)
    page.get_by_role("button", name="Show" if language == "English" else "顯示").click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert_accessible(page, f"the filtered KPI dashboard in {language}")


PHONE = {"width": 390, "height": 844}
SMALLEST_TEXT_PX = 12.0  # the charts write at 14 units; shrunk to fit, no smaller than this


@pytest.mark.parametrize(
    ("language", "heading"), [("English", "KPI dashboard"), ("繁體中文", "關鍵績效指標")]
)
def test_the_charts_read_at_a_glance_on_a_phone(
    page: Page, seeded: LiveServer, artifacts: Path, language: str, heading: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(seeded.url + "/login")
    if language != "English":
        switch_language(page, language)
    log_in_in(page, seeded, "sam", language)
    page.goto(seeded.url + "/kpi")
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    charts = page.locator("svg[role=img]:visible")
    expect(charts).to_have_count(len(KPI_TABLES))
    scales = charts.evaluate_all(
        "svgs => svgs.map(s => s.getBoundingClientRect().width / s.viewBox.baseVal.width)"
    )
    assert min(scales) * 14 >= SMALLEST_TEXT_PX, f"chart writing at {min(scales) * 14:.1f} px"
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"the page scrolls {sideways} px sideways on a phone"
    assert_accessible(page, f"the KPI dashboard on a phone in {language}")
    name = "kpi-dashboard-phone" + ("" if language == "English" else "-zh")
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
