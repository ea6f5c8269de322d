"""A case whose form scan lacks a page and holds a page of something else: extraction reads the
pages it has (one scanned upside down), flags the missing page's fields ``missing_page`` and the
stray page ``not_a_form_page``, records how each page was identified, and the case goes to a
person. The food licence's form made two pages for it: its own page, then page 2 of the 1040."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml
from PIL import Image, ImageDraw, ImageFont
from sqlmodel import select

from cases.audit import readable_payload, values_beside
from cases.authoring.widgets import read_blank_form
from cases.db import session_scope
from cases.extraction import extract_case
from cases.extraction.service import PAGES_IDENTIFIED
from cases.intake import Upload, submit_application
from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, AuditEvent, Case, ExtractedField, FieldStatus
from cases.settings import PROJECT_ROOT
from tests.catalogues import FOOD, catalogue_at
from tests.factories import said, sample_application
from tests.forms_pdf import FORMS

pytest_plugins = ["tests.ocr_fixtures"]

ON_PAGE_TWO = ("has_fire_certificate", "agrees_to_inspection")


def _two_page_blank(target: Path) -> list[tuple[float, float, float, float]]:
    """The food form's page, then page 2 of the 1040, as one blank PDF; the boxes of the 1040
    page's first two checkboxes."""
    merged = pdfium.PdfDocument.new()
    food = pdfium.PdfDocument(PROJECT_ROOT / "rules" / FOOD / "form.pdf")
    irs = pdfium.PdfDocument(FORMS / "irs_1040_2024.pdf")
    try:
        merged.import_pages(food)
        merged.import_pages(irs, [1])
        merged.save(target)
    finally:
        for document in (merged, food, irs):
            document.close()
    boxes = read_blank_form((FORMS / "irs_1040_2024.pdf").read_bytes(), "1040.pdf").widgets
    return [w.box_mm for w in boxes if w.page == 2 and w.kind == "checkbox"][:2]


@pytest.fixture(scope="module")
def two_page_food(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    rules = tmp_path_factory.mktemp("two-page") / "rules"
    folder = rules / FOOD
    shutil.copytree(PROJECT_ROOT / "rules" / FOOD, folder)
    boxes = _two_page_blank(folder / "form.pdf")
    form_yaml = folder / "form.yaml"
    layout = yaml.safe_load(form_yaml.read_text(encoding="utf-8"))
    layout["pages"].append({"size_mm": [215.9, 279.4]})
    layout["blank_sha256"] = hashlib.sha256((folder / "form.pdf").read_bytes()).hexdigest()
    moved = dict(zip(ON_PAGE_TWO, boxes, strict=True))
    for placed in layout["fields"]:
        if placed["field"] in moved:
            placed.update(page=2, box_mm=[round(v, 2) for v in moved[placed["field"]]])
    form_yaml.write_text(yaml.safe_dump(layout, sort_keys=False), encoding="utf-8")
    with catalogue_at(rules):
        yield rules


def _letter(size: tuple[int, int]) -> Image.Image:
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=size[0] // 50)
    for y in range(size[1] // 10, size[1] * 8 // 10, size[1] // 40):
        draw.text((size[0] // 10, y), "To the Licensing Office: my application.", 0, font=font)
    return page


def _tiff(*pages: Image.Image) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=list(pages[1:]))
    return buffer.getvalue()


@pytest.mark.usefixtures("db", "ocr_reader", "two_page_food")
def test_a_missing_page_and_a_stray_page_go_to_a_person() -> None:
    sample = sample_application(21)
    with Image.open(io.BytesIO(sample.form_png)) as scan:
        form = scan.convert("L")
    data = _tiff(_letter(form.size), form.rotate(180))  # no page 2; page 1 upside down
    case = submit_application(
        [Upload("scan.tif", data)], permit_type_id=FOOD, actor="t", channel="t"
    )
    assert case.id is not None
    extract_case(case.id)
    with session_scope() as session:
        stored = session.get(Case, case.id)
        fields = {
            f.name: f
            for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id))
        }
        task = session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case.id)).one()
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.action == PAGES_IDENTIFIED
            )
        ).one()
    assert stored is not None
    assert stored.status == CaseStatus.AWAITING_VERIFICATION
    # the upside-down page was read upright, as the form's page 1, on the scan's page 2
    business = fields["business_name"]
    assert (business.raw_text, business.page) == (sample.truth["business_name"], 2)
    for name in ON_PAGE_TWO:
        assert fields[name].status == FieldStatus.FLAGGED
        assert fields[name].flag == {"code": "missing_page", "page": 2}
    assert said(fields["has_fire_certificate"].flag).startswith("page 2 of the form is not in")
    stray = {"code": "not_a_form_page", "page": 1, "file": "scan.tif"}
    assert stray in task.reason["pages"]
    assert "page 1 of 'scan.tif' is no page of the form" in said(task.reason)
    pages = event.payload["pages"]
    assert [(p["scan_page"], p["form_page"], p["why"]) for p in pages] == [
        (1, None, "below_threshold"),
        (2, 1, "matched"),
    ]
    assert pages[1]["turn"] == 180
    assert event.payload["missing_form_pages"] == [2]
    with session_scope() as session:  # the file's name is kept beside the event
        kept = values_beside(session, [event]).get(event.id or 0)
    assert "file" not in event.payload
    assert readable_payload(event, kept)["flags"] == {"1": stray}
