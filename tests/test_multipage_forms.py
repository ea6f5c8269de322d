"""A multi-page office form is read page by page: scan page N against blank page N, and only the
fields placed on page N; a page scanned out of its place is read as the page it is (a real
two-page form, the IRS 1040, with its checkboxes)."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from cases.authoring.widgets import read_blank_form
from cases.catalogue import FormField, FormLayout, FormPage
from cases.documents import PageContent
from cases.ocr.forms import read_form_page
from tests.forms_pdf import FORMS

BLANK = FORMS / "irs_1040_2024.pdf"
DPI = 150


@pytest.fixture(scope="module")
def layout() -> FormLayout:
    """The first checkbox of each page of the 1040, as two fields of a two-page form."""
    blank = read_blank_form(BLANK.read_bytes(), BLANK.name)
    first = {w.page: w for w in reversed(blank.widgets) if w.kind == "checkbox"}
    return FormLayout(
        form_code="1040",
        title="1040",
        pages=[FormPage(size_mm=size) for size in blank.page_sizes_mm],
        blank_pdf=BLANK.name,
        blank_sha256=blank.sha256,
        fields=[
            FormField(field=f"tick_{page}", page=page, box_mm=first[page].box_mm, kind="checkbox")
            for page in (1, 2)
        ],
    )


def _scan(page: int, tick: FormField | None = None) -> Image.Image:
    """Page ``page`` of the blank as a scan at 150 dpi, with a cross drawn in ``tick``'s box."""
    document = pdfium.PdfDocument(BLANK)
    try:
        image = document[page - 1].render(scale=DPI / 72).to_pil().convert("RGB")
    finally:
        document.close()
    if tick is not None:
        x, y, w, h = (v * DPI / 25.4 for v in tick.box_mm)
        draw = ImageDraw.Draw(image)
        draw.line((x + 3, y + 3, x + w - 3, y + h - 3), fill="black", width=4)
        draw.line((x + 3, y + h - 3, x + w - 3, y + 3), fill="black", width=4)
    return image


def _read(number: int, image: Image.Image, layout: FormLayout) -> dict[str, tuple[str, int]]:
    readings = read_form_page(PageContent(number=number, image=image), layout, {}, BLANK)
    return {r.name: (r.text, r.page) for r in readings}


def test_each_scanned_page_reads_the_fields_of_its_own_page(layout: FormLayout) -> None:
    second = layout.fields_on(2)[0]
    assert _read(1, _scan(1), layout) == {"tick_1": ("no", 1)}
    assert _read(2, _scan(2, tick=second), layout) == {"tick_2": ("yes", 2)}


def test_a_tick_on_page_one_is_not_read_as_page_two_s_field(layout: FormLayout) -> None:
    first = layout.fields_on(1)[0]
    ticked_first = _scan(1, tick=first)
    assert _read(1, ticked_first, layout) == {"tick_1": ("yes", 1)}
    assert _read(2, _scan(2), layout) == {"tick_2": ("no", 2)}


def test_a_scan_page_beyond_the_form_is_not_read_as_one_of_its_pages(layout: FormLayout) -> None:
    blank_back = Image.new("RGB", _scan(1).size, "white")  # the empty back of the last sheet
    assert _read(3, blank_back, layout) == {}


def test_a_form_page_after_a_cover_sheet_is_found_on_the_page_it_is(layout: FormLayout) -> None:
    second = layout.fields_on(2)[0]
    assert _read(3, _scan(2, tick=second), layout) == {"tick_2": ("yes", 3)}


def test_pages_scanned_in_the_wrong_order_are_each_read_as_the_page_they_are(
    layout: FormLayout,
) -> None:
    first, second = layout.fields_on(1)[0], layout.fields_on(2)[0]
    assert _read(1, _scan(2, tick=second), layout) == {"tick_2": ("yes", 1)}
    assert _read(2, _scan(1, tick=first), layout) == {"tick_1": ("yes", 2)}
