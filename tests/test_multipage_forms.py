"""A multi-page office form is read page by page: each scanned page is identified among the form's
pages (out of order, upside down, sideways), read against its own blank page, and only for the
fields placed on it; a missing page is named, a page of another document is kept apart (a real
two-page form, the IRS 1040, with its checkboxes, and the six-page CDC form)."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from cases.authoring.widgets import read_blank_form
from cases.catalogue import FormField, FormLayout, FormPage
from cases.documents import PageContent
from cases.ocr.forms import read_form_page, read_form_pages
from cases.ocr.pages import MIN_SCORE, identify_pages
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


# --- identifying the scanned pages ------------------------------------------------------------


def _letter(size: tuple[int, int]) -> Image.Image:
    """A page of another document scanned with the form: a typed covering letter."""
    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=round(DPI / 6))  # 12 pt
    for y in range(size[1] // 10, size[1] * 9 // 10, size[1] // 40):
        draw.text(
            (size[0] // 10, y),
            "Dear Sir or Madam, please find my application.",
            fill="black",
            font=font,
        )
    return page


def _pages(*images: Image.Image) -> list[PageContent]:
    return [PageContent(number=i, image=image) for i, image in enumerate(images, start=1)]


def test_shuffled_pages_of_a_six_page_form_are_each_identified() -> None:
    blank = FORMS / "cdc_icar_section1.pdf"
    document = pdfium.PdfDocument(blank)
    try:
        scans = [document[i].render(scale=DPI / 72).to_pil().convert("RGB") for i in range(6)]
    finally:
        document.close()
    order = [4, 1, 6, 3, 5, 2]  # form page of each scanned page
    assignment = identify_pages([scans[page - 1] for page in order], blank)
    assert [(m.scan_page, m.form_page, m.turn) for m in assignment.matches] == [
        (i, page, 0) for i, page in enumerate(order, start=1)
    ]
    assert all(m.score > MIN_SCORE for m in assignment.matches)
    assert assignment.missing == []
    assert assignment.strays == []


def test_a_page_turned_upside_down_is_read_upright(layout: FormLayout) -> None:
    second = layout.fields_on(2)[0]
    upside_down = _scan(2, tick=second).rotate(180)
    read = read_form_pages(_pages(_scan(1), upside_down), layout, {}, BLANK)
    assert read.assignment is not None
    assert [(m.form_page, m.turn) for m in read.assignment.matches] == [(1, 0), (2, 180)]
    readings = {r.name: r for r in read.readings}
    assert (readings["tick_2"].text, readings["tick_2"].page) == ("yes", 2)
    # the box is where the field is on the page stood upright (as the case page shows it)
    x, y, w, h = (v * DPI / 25.4 for v in second.box_mm)
    x0, y0, x1, y1 = readings["tick_2"].bbox
    assert abs((x0 + x1) / 2 - (x + w / 2)) < 8
    assert abs((y0 + y1) / 2 - (y + h / 2)) < 8


def test_a_page_scanned_sideways_is_turned_upright(layout: FormLayout) -> None:
    first = layout.fields_on(1)[0]
    sideways = _scan(1, tick=first).rotate(90, expand=True)  # landscape, a quarter turn left
    read = read_form_pages(_pages(sideways), layout, {}, BLANK)
    assert read.assignment is not None
    assert [(m.form_page, m.turn) for m in read.assignment.matches] == [(1, 90)]
    assert {r.name: r.text for r in read.readings} == {"tick_1": "yes"}


def test_a_missing_page_is_named_and_its_fields_are_not_read(layout: FormLayout) -> None:
    second = layout.fields_on(2)[0]
    read = read_form_pages(_pages(_scan(2, tick=second)), layout, {}, BLANK)
    assert read.assignment is not None
    assert read.assignment.missing == [1]
    assert {r.name: (r.text, r.page) for r in read.readings} == {"tick_2": ("yes", 1)}


def test_a_page_that_is_no_form_page_is_kept_apart_not_read(layout: FormLayout) -> None:
    first = _scan(1)
    read = read_form_pages(_pages(first, _letter(first.size), _scan(2)), layout, {}, BLANK)
    assert read.assignment is not None
    assert read.assignment.strays == [2]
    assert read.assignment.missing == []
    stray = read.assignment.for_scan_page(2)
    assert stray is not None
    assert stray.why == "below_threshold"
    assert {r.name: r.page for r in read.readings} == {"tick_1": 1, "tick_2": 3}


def test_the_blank_back_of_a_sheet_is_not_a_stray_page(layout: FormLayout) -> None:
    back = Image.new("RGB", _scan(1).size, "white")
    read = read_form_pages(_pages(_scan(1), back, _scan(2)), layout, {}, BLANK)
    assert read.assignment is not None
    assert read.assignment.strays == []
    blank_back = read.assignment.for_scan_page(2)
    assert blank_back is not None
    assert blank_back.why == "blank"


def test_a_page_copied_shrunk_to_fit_is_placed_by_registration(layout: FormLayout) -> None:
    """At 90% the thumbnails no longer agree (score ~0.67), but registration finds the scale."""
    second = layout.fields_on(2)[0]
    scan = _scan(2, tick=second)
    shrunk = Image.new("RGB", scan.size, "white")
    shrunk.paste(scan.resize((round(scan.width * 0.9), round(scan.height * 0.9))), (0, 0))
    read = read_form_pages(_pages(_scan(1), shrunk), layout, {}, BLANK)
    assert read.assignment is not None
    placed = read.assignment.for_scan_page(2)
    assert placed is not None
    assert (placed.form_page, placed.why) == (2, "registered")
    assert read.assignment.strays == read.assignment.missing == []
    assert {r.name: r.text for r in read.readings} == {"tick_1": "no", "tick_2": "yes"}
