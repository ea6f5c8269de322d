"""The admin box editor in Chromium: draw a box with the mouse, name it, save, reload and find it;
the same without a mouse (add, move and resize with the arrow keys, save); WCAG AA (axe-core)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.models import Role
from cases.settings import get_settings
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_console import log_in
from tests.catalogues import FOOD
from tests.web.test_web import add_user

pytestmark = pytest.mark.browser

EDITOR = f"/admin/forms/{FOOD}"
TAKEN_OFF = ("fire_certificate_no", "hygiene_staff")  # boxes the tests draw again


def form_yaml() -> Path:
    return get_settings().catalogue_dir / FOOD / "form.yaml"


@pytest.fixture(scope="module")
def editor_server(server: LiveServer) -> LiveServer:
    """The live app with an admin (ada), its food form missing two boxes for the tests to draw."""
    add_user("ada", Role.ADMIN)
    path = form_yaml()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not any(f"{{field: {n}," in line for n in TAKEN_OFF)]
    assert len(kept) == len(lines) - len(TAKEN_OFF)
    path.write_text("".join(kept), encoding="utf-8")
    return server


def open_editor(page: Page, server: LiveServer) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, server, "ada")
    page.goto(server.url + EDITOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Form boxes: FBL-1")
    expect(page.locator(".fe-sheet img")).to_be_visible()


def drag_on_page(page: Page, start_mm: tuple[float, float], end_mm: tuple[float, float]) -> None:
    sheet = page.locator('.fe-sheet[data-page="1"]')
    sheet.scroll_into_view_if_needed()
    box = sheet.bounding_box()
    assert box is not None
    scale = box["width"] / 210

    def at(mm: tuple[float, float]) -> tuple[float, float]:
        return box["x"] + mm[0] * scale, box["y"] + mm[1] * scale

    page.mouse.move(*at(start_mm))
    page.mouse.down()
    page.mouse.move(*at(end_mm), steps=8)
    page.mouse.up()


def test_an_admin_draws_names_and_saves_a_box_that_is_there_after_a_reload(
    page: Page, editor_server: LiveServer, artifacts: Path
) -> None:
    open_editor(page, editor_server)
    boxes = page.locator(".fe-box")
    expect(boxes).to_have_count(11)
    unplaced = page.get_by_role("list").filter(has_text="hygiene_staff")
    expect(unplaced).to_contain_text("Staff holding a hygiene manager certificate")

    drag_on_page(page, (120, 20), (180, 31))
    expect(boxes).to_have_count(12)
    expect(page.get_by_label("Field", exact=True)).to_be_focused()
    page.get_by_label("Field", exact=True).select_option("fire_certificate_no")
    page.get_by_label("Kind").select_option("comb")
    page.get_by_label("Cells (characters)").fill("8")
    page.get_by_label("Cells (characters)").press("Tab")
    drawn = page.get_by_role("button", name=re.compile(r"^fire_certificate_no, Comb"))
    expect(drawn).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("x (mm)")).to_have_value("120")
    expect(page.get_by_label("Width (mm)")).to_have_value("60")
    page.screenshot(path=artifacts / "form-editor.png", full_page=True)

    page.get_by_role("button", name="Save form.yaml").click()
    expect(page.get_by_role("status")).to_have_text("Saved 12 boxes to form.yaml.")
    expect(page.get_by_role("alert")).to_contain_text("required field hygiene_staff")
    text = form_yaml().read_text(encoding="utf-8")
    assert (
        "{field: fire_certificate_no, page: 1, box_mm: [120, 20, 60, 11], kind: comb, cells: 8}"
        in text
    )

    page.reload()
    expect(boxes).to_have_count(12)
    saved = page.get_by_role("button", name=re.compile(r"^fire_certificate_no, Comb"))
    expect(saved).to_have_attribute("aria-label", re.compile(r"x 120, y 20, 60 × 11 mm$"))
    saved.click()
    expect(page.get_by_label("Cells (characters)")).to_have_value("8")


def test_the_keyboard_alone_adds_moves_resizes_names_and_saves_a_box(
    page: Page, editor_server: LiveServer, artifacts: Path
) -> None:
    open_editor(page, editor_server)
    count = page.locator(".fe-box").count()
    page.get_by_role("button", name="Add box").focus()
    page.keyboard.press("Enter")
    added = page.locator(".fe-box").nth(count)
    expect(added).to_be_focused()
    expect(page.get_by_role("status")).to_contain_text("Box added on page 1")
    for key in ("ArrowRight",) * 4 + ("ArrowDown",) * 2 + ("Shift+ArrowRight",) * 3:
        page.keyboard.press(key)
    expect(added).to_have_attribute("aria-label", re.compile(r"x 24, y 22, 63 × 10 mm$"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Field", exact=True)).to_be_focused()
    page.keyboard.type("hygiene")
    expect(page.get_by_label("Field", exact=True)).to_have_value("hygiene_staff")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Save form.yaml")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Saved \d+ boxes to form.yaml.$"))
    page.screenshot(path=artifacts / "form-editor-keyboard.png", full_page=True)
    text = form_yaml().read_text(encoding="utf-8")
    assert "{field: hygiene_staff, page: 1, box_mm: [24, 22, 63, 10]}" in text

    page.reload()
    expect(page.get_by_role("button", name=re.compile(r"^hygiene_staff, Text"))).to_have_count(1)
    added = page.get_by_role("button", name=re.compile(r"^hygiene_staff, Text"))
    added.focus()
    page.keyboard.press("Delete")
    expect(page.get_by_role("button", name=re.compile(r"^hygiene_staff,"))).to_have_count(0)


def test_the_editor_meets_wcag_aa(browser: Browser, editor_server: LiveServer) -> None:
    """Under the app's own CSP the other tests run the script; here axe needs it lifted."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        open_editor(page, editor_server)
        page.locator(".fe-box").first.focus()  # a box selected: the panel's controls enabled
        assert_accessible(page, "the box editor")
    finally:
        context.close()
