"""The caseworker console in Chromium: log in, find the case, check a flagged field against the
scan, approve with a second person (four-eyes), refused forgeries, the applicants' status page."""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import select

from cases.access import issue_access_code
from cases.authoring.widgets import read_blank_form
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.extraction.reasons import LOW_CONFIDENCE, verification_reason
from cases.gates import create_task
from cases.intake import Upload, submit_application
from cases.letters import issue_letters
from cases.lifecycle import CaseStatus
from cases.models import Document, ExtractedField, FieldStatus, Role, TaskKind
from cases.repository import get_case, transition
from tests.browser.conftest import LiveServer
from tests.factories import FOOD, propose_from_checking, sample_application, submit_sample
from tests.forms_pdf import FORMS
from tests.web.test_web import PASSWORD
from tools.samples.applications import SampleApplication

pytestmark = pytest.mark.browser


@cache
def _sample() -> SampleApplication:
    return sample_application(7)


def misread() -> str:
    """The business name as a poor scan might read it: last letter taken for a digit."""
    return _sample().truth["business_name"][:-1] + "3"


def _boxes(form: Document) -> dict[str, list[int]]:
    """Where each field sits on the form scan, from the form layout (as zonal OCR reads it)."""
    layout = get_permit_type(FOOD).form
    assert form.width_px
    assert form.height_px
    sx, sy = form.width_px / layout.page_size(1)[0], form.height_px / layout.page_size(1)[1]
    return {
        f.field: [
            round(f.box_mm[0] * sx),
            round(f.box_mm[1] * sy),
            round((f.box_mm[0] + f.box_mm[2]) * sx),
            round((f.box_mm[1] + f.box_mm[3]) * sy),
        ]
        for f in layout.fields
    }


def case_awaiting_verification() -> tuple[int, str]:
    """A real sample application whose business name OCR misread (flagged); (id, reference)."""
    case = submit_sample(_sample())
    assert case.id is not None
    with session_scope() as session:
        form = session.exec(
            select(Document).where(Document.case_id == case.id, Document.kind == "application_form")
        ).one()
        boxes = _boxes(form)
        fields = {spec.name for spec in get_permit_type(FOOD).permit.fields}
        for name, value in _sample().truth.items():
            if name not in fields:  # the sample's truth also fills in the other permits' forms
                continue
            doubtful = name == "business_name"
            session.add(
                ExtractedField(
                    case_id=case.id,
                    document_id=form.id if name in boxes else None,
                    name=name,
                    value=misread() if doubtful else value,
                    confidence=0.41 if doubtful else 0.97,
                    bbox=boxes.get(name, []),
                    status=FieldStatus.FLAGGED if doubtful else FieldStatus.ACCEPTED,
                    flag=LOW_CONFIDENCE(confidence=0.41, threshold=0.8) if doubtful else None,
                )
            )
        stored = get_case(session, case.id, for_update=True)
        transition(session, stored, CaseStatus.EXTRACTING, actor="test", why="test")
        transition(session, stored, CaseStatus.AWAITING_VERIFICATION, actor="test", why="test")
        create_task(
            session,
            stored,
            TaskKind.VERIFY_FIELDS,
            reason=verification_reason(
                [("business_name", LOW_CONFIDENCE(confidence=0.41, threshold=0.8))], total=11
            ),
            role=Role.CASEWORKER,
            actor="system:extraction",
        )
        return case.id, stored.reference


def log_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_verify_a_flagged_field_then_two_people_approve(
    page: Page, server: LiveServer, artifacts: Path
) -> None:
    case_id, reference = case_awaiting_verification()
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, server, "casey")
    tasks = page.get_by_role("region", name=re.compile("My team"))
    row = tasks.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text("Verify fields")
    page.screenshot(path=artifacts / "inbox.png", full_page=True)
    row.get_by_role("link", name=reference).click()

    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    scan = page.get_by_role("img", name="form.png, page 1 of 1")
    expect(scan).to_be_visible()
    assert page.evaluate("document.querySelector('.page-frame img').naturalWidth") > 0
    field = page.get_by_label("Name of the food business")
    expect(field).to_have_value(misread())
    field.click()  # selecting the row highlights where OCR read it
    box = page.locator('svg.boxes rect[data-field="business_name"]')
    expect(box).to_have_class(re.compile("selected"))
    page.screenshot(path=artifacts / "case-verify.png", full_page=False)
    field.fill(_sample().truth["business_name"])
    page.get_by_role("button", name="Confirm fields").click()
    expect(page.get_by_text("Fields confirmed")).to_be_visible()

    propose_from_checking(case_id)  # what the resumed case flow does next
    page.reload()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("First approval recorded: approve")).to_be_visible()
    expect(page.get_by_text("You made the first decision (approve)")).to_be_visible()
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    page.screenshot(path=artifacts / "case-first-approval.png", full_page=True)

    log_out(page)
    log_in(page, server, "sam")
    page.get_by_role("link", name="My team").click()
    tasks = page.get_by_role("region", name=re.compile("My team"))
    tasks.get_by_role("row").filter(has_text=reference).get_by_role("link").click()
    page.get_by_role("button", name="Confirm approval").click()
    expect(page.get_by_text("Decision recorded: approve")).to_be_visible()
    expect(page.locator("dl.facts").first).to_contain_text("decided")

    assert issue_letters(case_id)  # what the resumed case flow does next
    page.reload()
    letter = page.get_by_role("link", name=re.compile(r"letter \(English, version 1, PDF\)"))
    expect(letter).to_be_visible()
    pdf = page.request.get(server.url + (letter.get_attribute("href") or ""))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    page.screenshot(path=artifacts / "case-letter.png", full_page=False)


def _two_page_scan() -> tuple[bytes, list[tuple[float, float, float, float]]]:
    """The sample's form, then the 1040's second page (as a form's page 2), as one TIFF; and
    the boxes (pixels) of that page's first two checkboxes."""
    document = pdfium.PdfDocument(FORMS / "irs_1040_2024.pdf")
    try:
        second = document[1].render(scale=150 / 72).to_pil().convert("L")
    finally:
        document.close()
    widgets = read_blank_form((FORMS / "irs_1040_2024.pdf").read_bytes(), "1040.pdf").widgets
    ticks = [w.box_mm for w in widgets if w.page == 2 and w.kind == "checkbox"][:2]
    with Image.open(io.BytesIO(_sample().form_png)) as first:
        buffer = io.BytesIO()
        first.convert("L").save(buffer, format="TIFF", save_all=True, append_images=[second])
    k = 150 / 25.4
    return buffer.getvalue(), [(x * k, y * k, w * k, h * k) for x, y, w, h in ticks]


def case_with_a_two_page_form() -> int:
    """A case whose form scan has two pages, each with fields read on it; one flagged on page 2."""
    data, ticks = _two_page_scan()
    case = submit_application(
        [Upload("form.tif", data)], permit_type_id=FOOD, actor="test", channel="test"
    )
    assert case.id is not None
    with session_scope() as session:
        form = session.exec(select(Document).where(Document.case_id == case.id)).one()
        boxes = {**_boxes(form), "has_fire_certificate": [], "agrees_to_inspection": []}
        for name, page, bbox in (
            ("business_name", 1, boxes["business_name"]),
            ("applicant_name", 1, boxes["applicant_name"]),
            *(
                (name, 2, [round(x), round(y), round(x + w), round(y + h)])
                for name, (x, y, w, h) in zip(
                    ("has_fire_certificate", "agrees_to_inspection"), ticks, strict=True
                )
            ),
        ):
            doubtful = name == "agrees_to_inspection"
            session.add(
                ExtractedField(
                    case_id=case.id,
                    document_id=form.id,
                    name=name,
                    value="no" if page == 2 else _sample().truth[name],
                    confidence=0.41 if doubtful else 0.97,
                    page=page,
                    bbox=bbox,
                    status=FieldStatus.FLAGGED if doubtful else FieldStatus.ACCEPTED,
                    flag=LOW_CONFIDENCE(confidence=0.41, threshold=0.6) if doubtful else None,
                )
            )
        stored = get_case(session, case.id, for_update=True)
        transition(session, stored, CaseStatus.EXTRACTING, actor="test", why="test")
        transition(session, stored, CaseStatus.AWAITING_VERIFICATION, actor="test", why="test")
        create_task(
            session,
            stored,
            TaskKind.VERIFY_FIELDS,
            reason=verification_reason(
                [("agrees_to_inspection", LOW_CONFIDENCE(confidence=0.41, threshold=0.6))],
                total=4,
            ),
            role=Role.CASEWORKER,
            actor="system:extraction",
        )
        return case.id


def test_the_verification_screen_shows_both_pages_of_a_two_page_form(
    page: Page, server: LiveServer, artifacts: Path
) -> None:
    case_id = case_with_a_two_page_form()
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, server, "casey")
    page.goto(f"{server.url}/cases/{case_id}")
    for number in (1, 2):
        scan = page.get_by_role("img", name=f"form.tif, page {number} of 2")
        scan.scroll_into_view_if_needed()
        expect(scan).to_be_visible()
        assert scan.evaluate("img => img.naturalWidth") > 0
    page.get_by_role("link", name="see it on page 2").click()
    box = page.locator('svg.boxes rect[data-field="agrees_to_inspection"]')
    expect(box).to_have_class(re.compile("selected"))
    expect(box).to_be_in_viewport()
    page.screenshot(path=artifacts / "case-two-pages.png", full_page=False)


def test_a_post_without_the_csrf_token_is_refused(page: Page, server: LiveServer) -> None:
    case_id, _reference = case_awaiting_verification()
    log_in(page, server, "casey")
    response = page.request.post(
        f"{server.url}/tasks/1/claim", form={"next": "/inbox"}, max_redirects=0
    )
    assert response.status == 403
    assert "did not come from this site" in response.text()
    with session_scope() as session:
        assert get_case(session, case_id).status == CaseStatus.AWAITING_VERIFICATION


def test_another_applicants_code_does_not_open_a_case(
    page: Page, server: LiveServer, artifacts: Path
) -> None:
    first_id, first_reference = case_awaiting_verification()
    second_id, _ = case_awaiting_verification()
    with session_scope() as session:
        first_code = issue_access_code(session, get_case(session, first_id))
        second_code = issue_access_code(session, get_case(session, second_id))
    page.goto(server.url + "/status")
    page.get_by_label("Case reference").fill(first_reference)
    page.get_by_label("Access code").fill(second_code)
    page.get_by_role("button", name="Show status").click()
    expect(page.get_by_role("alert")).to_contain_text("No application matches")
    page.get_by_label("Access code").fill(first_code)
    page.get_by_role("button", name="Show status").click()
    expect(page.locator("#applicant-status")).to_have_text("Being checked by the licensing office")
    for private in ("applicant_name", "hkid", "business_name", "premises_address"):
        expect(page.locator("main")).not_to_contain_text(_sample().truth[private])

    page.get_by_role("button", name="繁體中文").click()  # the applicant reads Chinese
    page.get_by_label("參考編號").fill(first_reference)
    page.get_by_label("查詢碼").fill(first_code.lower())
    page.get_by_role("button", name="顯示進度").click()
    expect(page.locator("#applicant-status")).to_have_text("牌照事務處正在審核")
    page.screenshot(path=artifacts / "status-zh.png")
