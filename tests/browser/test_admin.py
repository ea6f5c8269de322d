"""The admin pages in Chromium: the catalogue with its checks, a permit's policy, a letter preview
and its PDF, adding and deactivating a colleague, WCAG AA (axe-core); caseworkers are turned away.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.catalogue import get_permit_type
from cases.models import Role
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_console import log_in
from tests.catalogues import FOOD
from tests.web.test_web import PASSWORD, add_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def admin_server(server: LiveServer) -> LiveServer:
    """The live app with its caseworkers (casey, sam) and an admin (ada)."""
    add_user("ada", Role.ADMIN)
    return server


def test_an_admin_reads_the_catalogue_and_previews_a_letter(
    page: Page, admin_server: LiveServer, artifacts: Path
) -> None:
    permit = get_permit_type(FOOD)
    tests = sum(len(r.tests) for r in permit.rulesets)
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, admin_server, "ada")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()

    expect(page.get_by_role("heading", name="Permit catalogue", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("No problems")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=permit.permit.name.en))
    expect(row).to_contain_text("in force today")
    expect(row).to_contain_text(f"{tests} of {tests} passed")
    page.screenshot(path=artifacts / "admin-catalogue.png", full_page=True)

    row.get_by_role("link", name=permit.permit.name.en).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(permit.permit.name.en)
    rule = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(r"^FBL-1 "))
    )
    expect(rule).to_contain_text("Minimum floor area")
    expect(rule).to_contain_text("floor_area_m2 >= 10")
    expect(page.get_by_role("table").filter(has_text="then fee").first).to_contain_text("3340")
    page.screenshot(path=artifacts / "admin-permit.png", full_page=True)

    page.get_by_role("link", name="approve (en)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Letter preview: approve")
    letter = page.get_by_role("article", name="Letter text")
    expect(letter).to_contain_text("approved in principle")
    expect(letter).to_contain_text("Dear <applicant_name>,")
    page.screenshot(path=artifacts / "admin-letter.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert download.value.suggested_filename == f"{FOOD}-approve.en.sample.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def test_a_caseworker_is_refused_the_admin_pages(page: Page, admin_server: LiveServer) -> None:
    log_in(page, admin_server, "casey")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")
    ).to_have_count(0)
    for path in ("/admin", "/admin/users", f"/admin/permits/{FOOD}/letters/approve"):
        response = page.goto(admin_server.url + path)
        assert response is not None
        assert response.status == 403
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("Only administrators")


def test_an_admin_adds_a_colleague_then_deactivates_them(
    page: Page, admin_server: LiveServer, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, admin_server, "ada")
    page.goto(admin_server.url + "/admin/users")
    page.get_by_label("Username").fill("bea")
    page.get_by_label("Display name").fill("Bea Ho")
    page.get_by_label("Role", exact=True).select_option("senior_caseworker")
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status").first).to_have_text("User bea added as senior caseworker.")
    accounts = page.get_by_role("region", name="Staff accounts")
    row = accounts.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="bea", exact=True)
    )
    expect(row).to_contain_text("Bea Ho")
    expect(page.get_by_label("Role of bea")).to_have_value("senior_caseworker")

    row.get_by_role("button", name="Deactivate bea").click()
    expect(page.get_by_role("status").first).to_have_text("bea deactivated: they cannot log in.")
    expect(row).to_contain_text("deactivated")
    expect(page.get_by_role("button", name="Reactivate bea")).to_be_visible()
    expect(page.get_by_role("button", name="Deactivate ada")).to_have_count(0)  # not oneself
    changes = page.get_by_role("region", name="Recent changes to accounts")
    latest = changes.get_by_role("row").nth(1)  # newest first, with who did it
    expect(latest).to_have_accessible_name(re.compile(r" deactivated bea ada$"))
    page.screenshot(path=artifacts / "admin-users.png", full_page=True)


def test_the_admin_pages_meet_wcag_aa(browser: Browser, admin_server: LiveServer) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()  # the CSP is bypassed only so that the test can inject axe
    try:
        log_in(page, admin_server, "ada")
        for path, what in (
            ("/admin", "the catalogue"),
            (f"/admin/permits/{FOOD}", "a permit type's policy"),
            (f"/admin/permits/{FOOD}/letters/refuse", "a letter preview"),
            (f"/admin/permits/{FOOD}/letters/refuse?language=zh-Hant", "a letter that fails"),
            ("/admin/users", "the users"),
        ):
            page.goto(admin_server.url + path)
            assert_accessible(page, what)
    finally:
        context.close()
