"""OCR on synthetic scans: zonal form reading, ID card reading, image loading, sample generation.

The reader is built once per session (``ocr_reader``); every test that runs the networks asks for
it so the seconds of construction are paid once.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from pydantic import ValidationError

from cases.catalogue import FormField, FormLayout, Permit, load_catalogue
from cases.documents import PageContent, TextLine, load_image
from cases.extraction import comparable
from cases.ocr import ENGINE_VERSION, read_form, read_id_card
from cases.ocr.forms import FULL_PAGE_ENGINE, read_form_page
from cases.ocr.idcard import hkid_candidates
from cases.ocr.pairing import merge_rows, pair_labels
from cases.ocr.reader import HANDWRITING_ENGINE
from cases.ocr.register import register_page
from cases.ocr.zonal import tidy_spacing
from cases.values import is_valid_hkid
from tools.samples.applications import generate_application, random_truth

pytest_plugins = ["tests.ocr_fixtures"]  # ocr_reader, food_form, food_permit, food_labels


@pytest.mark.usefixtures("ocr_reader")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_form_field_is_read_exactly(
    food_form: FormLayout, food_labels: dict[str, str], seed: int
) -> None:
    app = generate_application(food_form, seed, labels=food_labels)
    readings = read_form(load_image(app.form_png), food_form)
    assert {r.name: r.text for r in readings} == {
        f.field: app.truth[f.field] for f in food_form.fields
    }


@pytest.mark.usefixtures("ocr_reader")
def test_a_form_filled_in_by_hand_is_read_in_capitals_and_unsure_fields_read_twice(
    food_form: FormLayout, food_permit: Permit, food_labels: dict[str, str]
) -> None:
    app = generate_application(food_form, 7, labels=food_labels, hand="handwriting")
    readings = read_form(load_image(app.form_png), food_form)
    written = [r for r, f in zip(readings, food_form.fields, strict=True) if f.kind == "text"]
    right = sum(
        comparable(food_permit.field(r.name), r.text)
        == comparable(food_permit.field(r.name), app.truth[r.name])
        for r in written
    )
    assert right >= len(written) - 2
    assert all(not any(ch.islower() for ch in r.text) for r in written)
    # the audit trail names the model that read each field: handwriting has its own recogniser
    assert {r.engine for r in written} == {HANDWRITING_ENGINE}
    assert {r.engine for r in readings if r not in written} == {ENGINE_VERSION}
    for reading in written:  # a second reading is kept for every field it was not sure of
        assert (reading.second_text is None) == (reading.confidence >= 0.95), reading


@pytest.mark.usefixtures("ocr_reader")
def test_a_typed_form_is_read_once(food_form: FormLayout, food_labels: dict[str, str]) -> None:
    app = generate_application(food_form, 8, labels=food_labels)
    readings = read_form(load_image(app.form_png), food_form)
    assert [r.second_text for r in readings] == [None] * len(readings)


@pytest.mark.usefixtures("ocr_reader")
def test_readings_carry_page_box_and_engine(food_form: FormLayout) -> None:
    app = generate_application(food_form, 3)
    image = load_image(app.form_png)
    readings = read_form(image, food_form, page=2)
    px_per_mm = image.width / food_form.page_size(1)[0]
    for reading, field in zip(readings, food_form.fields, strict=True):
        x, y, w, h = (v * px_per_mm for v in field.box_mm)
        x0, y0, x1, y1 = reading.bbox
        assert (reading.name, reading.page, reading.engine) == (field.field, 2, ENGINE_VERSION)
        assert x - 10 <= x0 < x1 <= x + w + 10
        assert y - 10 <= y0 < y1 <= y + h + 10
        assert 0.0 < reading.confidence <= 1.0


@pytest.mark.usefixtures("ocr_reader")
def test_an_empty_box_reads_empty_with_no_confidence(food_form: FormLayout) -> None:
    app = generate_application(food_form, 4, overrides={"phone": "", "fire_certificate_no": ""})
    readings = {r.name: r for r in read_form(load_image(app.form_png), food_form)}
    assert (readings["phone"].text, readings["phone"].confidence) == ("", 0.0)
    assert (readings["fire_certificate_no"].text, readings["fire_certificate_no"].confidence) == (
        "",
        0.0,
    )
    assert readings["hkid"].text == app.truth["hkid"]


@pytest.mark.usefixtures("ocr_reader")
def test_a_blurred_field_falls_below_its_confidence_threshold(
    food_form: FormLayout, food_permit: Permit
) -> None:
    blurred = frozenset({"hkid", "floor_area_m2", "business_name"})
    app = generate_application(food_form, 5, blur_fields=blurred)
    readings = {r.name: r for r in read_form(load_image(app.form_png), food_form)}
    for name in blurred:
        assert readings[name].confidence < food_permit.field(name).confidence_threshold, name
    assert readings["applicant_name"].text == app.truth["applicant_name"]


@pytest.mark.usefixtures("ocr_reader")
@pytest.mark.parametrize("seed", [0, 1])
def test_id_card_name_and_number_are_read(food_form: FormLayout, seed: int) -> None:
    app = generate_application(food_form, seed)
    readings = {r.name: r for r in read_id_card(load_image(app.id_card_png))}
    assert readings["id_card_name"].text == app.truth["applicant_name"]
    assert readings["id_card_number"].text == app.truth["hkid"]
    assert readings["id_card_number"].confidence > 0.4


@pytest.mark.usefixtures("ocr_reader")
def test_id_card_of_someone_else_is_read_as_written(food_form: FormLayout) -> None:
    overrides = {"id_card_name": "NG Siu Ming", "id_card_number": "A123456(3)"}
    app = generate_application(food_form, 6, overrides=overrides)
    readings = {r.name: r.text for r in read_id_card(load_image(app.id_card_png))}
    assert readings == overrides
    assert app.truth["applicant_name"] != "NG Siu Ming"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P162500(8)", ["P162500(8)"]),
        ("P162500l8)", ["P162500(8)"]),
        ("P16250O(8)", ["P162500(8)"]),
        ("2988230(9)", ["Z988230(9)"]),
        ("Date of Issue (01-79) 15-09-18", []),
    ],
)
def test_hkid_candidates_repair_ocr_confusions(text: str, expected: list[str]) -> None:
    assert hkid_candidates(text) == expected


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("FSD - 2026-18316", "FSD-2026-18316"),
        ("Road , Wan Chai", "Road, Wan Chai"),
        ("P1((8)", "P1(8)"),
        ("Shop 3, I/F, 2 Nathan Road", "Shop 3, 1/F, 2 Nathan Road"),
        ("Shop 3, l / F, 2 Nathan Road", "Shop 3, 1/F, 2 Nathan Road"),
        ("Shop 3, G/F, FLAT I/FLOOR", "Shop 3, G/F, FLAT I/FLOOR"),
        ("30, 921", "30,921"),
        ("1, 250, 000.50", "1,250,000.50"),
        ("Flat 2, 123 Main Street", "Flat 2, 123 Main Street"),
        ("FL _", "FL"),
        ("A_B", "A_B"),
    ],
)
def test_tidy_spacing(raw: str, tidy: str) -> None:
    assert tidy_spacing(raw) == tidy


def test_samples_are_deterministic_and_complete(food_form: FormLayout, food_permit: Permit) -> None:
    first, again = generate_application(food_form, 11), generate_application(food_form, 11)
    assert first == again
    assert set(first.truth) >= {spec.name for spec in food_permit.fields}
    for permit_type in load_catalogue().values():  # one truth fills in any permit's form
        assert set(first.truth) >= {spec.name for spec in permit_type.permit.fields}
    assert is_valid_hkid(first.truth["hkid"])
    assert first.truth["id_card_number"] == first.truth["hkid"]
    assert random_truth(12) != random_truth(11)
    with Image.open(io.BytesIO(first.form_png)) as form:
        assert form.size == (1240, 1754)  # A4 at 150 dpi


def test_load_image_applies_exif_orientation() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise: the upright image is taller than wide
    Image.new("RGB", (40, 20), "white").save(buffer, format="JPEG", exif=exif)
    image = load_image(buffer.getvalue())
    assert (image.size, image.mode) == ((20, 40), "RGB")


@pytest.mark.parametrize(
    ("data", "reason"), [(b"", "empty"), (b"%PDF-1.7 nonsense", "not an image")]
)
def test_load_image_rejects_what_it_cannot_decode(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        load_image(data)


# --- Registration: a page placed askew on the glass still reads zonally --------------------------


@pytest.mark.usefixtures("ocr_reader")
@pytest.mark.parametrize(
    ("seed", "skew_deg", "shift_mm"),
    [(20, 3.0, (5.0, -5.0)), (21, -3.0, (-5.0, 5.0)), (22, 2.0, (5.0, 5.0))],
)
def test_a_rotated_and_shifted_scan_reads_every_field(
    food_form: FormLayout,
    food_labels: dict[str, str],
    food_blank: Path,
    seed: int,
    skew_deg: float,
    shift_mm: tuple[float, float],
) -> None:
    app = generate_application(
        food_form, seed, labels=food_labels, skew_deg=skew_deg, shift_mm=shift_mm
    )
    readings = read_form_page(
        PageContent(1, image=load_image(app.form_png)), food_form, food_labels, food_blank
    )
    assert {r.name: r.text for r in readings} == {
        f.field: app.truth[f.field] for f in food_form.fields
    }
    assert {r.engine for r in readings} == {ENGINE_VERSION}


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size)


@pytest.mark.usefixtures("ocr_reader")
def test_a_hint_printed_inside_a_box_is_taken_out_before_the_box_is_read(tmp_path: Path) -> None:
    """An office's form prints "dd/mm/yyyy" inside the date box; only the applicant's date is
    read, not the hint, even when the scan is turned and shifted."""
    layout = FormLayout(
        form_code="H-1",
        title="Hint test",
        fields=[
            FormField(field="name", box_mm=(20, 50, 170, 12)),
            FormField(field="start_date", box_mm=(20, 80, 100, 12), allowlist="0123456789/"),
        ],
    )
    px = 200 / 25.4
    blank = Image.new("L", (round(210 * px), round(297 * px)), 255)
    draw = ImageDraw.Draw(blank)
    draw.text((20 * px, 20 * px), "Application for a street stall permit", font=_font(56))
    for label, (x, y, w, h) in (("Name", (20, 50, 170, 12)), ("Start date", (20, 80, 100, 12))):
        draw.text((x * px, (y - 6) * px), label, font=_font(32))
        draw.rectangle((x * px, y * px, (x + w) * px, (y + h) * px), outline=0, width=3)
    draw.text((23 * px, 83 * px), "dd/mm/yyyy", fill=110, font=_font(36))
    blank.save(tmp_path / "form.pdf", resolution=200)
    filled = blank.copy()
    draw = ImageDraw.Draw(filled)
    draw.text((25 * px, 52.5 * px), "CHAN TAI MAN", font=_font(50))
    draw.text((68 * px, 82.5 * px), "12/03/2026", font=_font(50))
    scan = filled.rotate(0.8, fillcolor=255, translate=(12, -9))

    readings = read_form_page(PageContent(1, image=scan), layout, {}, tmp_path / "form.pdf")

    assert {r.name: r.text for r in readings} == {
        "name": "CHAN TAI MAN",
        "start_date": "12/03/2026",
    }


def test_registration_recovers_the_rotation_and_maps_boxes_back_to_the_scan(
    food_form: FormLayout, food_labels: dict[str, str], food_blank: Path
) -> None:
    app = generate_application(food_form, 23, labels=food_labels, skew_deg=-3.0, shift_mm=(5, 0))
    registration = register_page(load_image(app.form_png), food_blank)
    assert registration is not None
    assert registration.rotation_deg == pytest.approx(3.0, abs=0.2)
    px_per_mm = 150 / 25.4
    x0, y0, x1, y1 = registration.scan_box((610, 867, 630, 887))  # the page's centre
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((620 + 5 * px_per_mm, 877), abs=3)


def test_a_page_that_is_not_the_form_is_not_registered(
    food_form: FormLayout, food_blank: Path
) -> None:
    app = generate_application(food_form, 24)
    assert register_page(load_image(app.id_card_png), food_blank) is None
    assert register_page(Image.new("RGB", (1240, 1754), "white"), food_blank) is None


# --- Label/value pairing: the fallback when there is no layout to read by -------------------------


def _line(text: str, x: int, y: int, confidence: float = 0.9) -> TextLine:
    return TextLine(text, confidence, (x, y, x + 12 * len(text), y + 20))


def test_labels_are_paired_with_the_value_below_them_despite_misreadings() -> None:
    lines = [
        _line("Name of appIicant", 100, 100),  # OCR read l as I
        _line("CHAN", 115, 140),
        _line("Tai Man", 175, 140),  # the detector split the name in two
        _line("Contact telephone", 600, 100),
        _line("91234567", 615, 140, 0.8),
        _line("Date of application: 2026-11-02", 100, 300),
    ]
    labels = {
        "applicant_name": "Name of applicant",
        "phone": "Contact telephone",
        "application_date": "Date of application",
        "business_name": "Name of the food business",
    }
    readings = {r.name: r for r in pair_labels(merge_rows(lines), labels, page=2, engine="t")}
    assert {name: r.text for name, r in readings.items()} == {
        "applicant_name": "CHAN Tai Man",
        "phone": "91234567",
        "application_date": "2026-11-02",
    }
    assert readings["phone"].confidence == 0.8
    assert readings["applicant_name"].bbox == (115, 140, 175 + 12 * 7, 160)
    assert {r.page for r in readings.values()} == {2}


def test_a_label_with_nothing_under_it_reads_empty() -> None:
    lines = [_line("Contact telephone", 600, 100), _line("Part 3 Declaration", 100, 600)]
    (reading,) = pair_labels(lines, {"phone": "Contact telephone"}, page=1, engine="t")
    assert (reading.text, reading.confidence) == ("", 0.0)


@pytest.mark.slow
@pytest.mark.usefixtures("ocr_reader")
def test_a_form_without_a_layout_is_read_by_label_and_value(
    food_form: FormLayout, food_labels: dict[str, str]
) -> None:
    """The whole page through the text detector (tens of seconds on two cores)."""
    app = generate_application(food_form, 25, labels=food_labels)
    readings = read_form_page(PageContent(1, image=load_image(app.form_png)), None, food_labels)
    right = [r.name for r in readings if r.text == app.truth[r.name]]
    assert {r.engine for r in readings} == {FULL_PAGE_ENGINE}
    # the fallback is the degraded path: most, not all, fields (7-8 of 13 measured)
    assert len(right) >= 7, [(r.name, r.text) for r in readings]


# --- Checkboxes and comb fields ------------------------------------------------------------------


@pytest.mark.usefixtures("ocr_reader")
@pytest.mark.parametrize(("fire", "inspection"), [("yes", "no"), ("no", "yes")])
def test_checkboxes_read_ticked_or_not_with_confidence(
    food_form: FormLayout, food_labels: dict[str, str], fire: str, inspection: str
) -> None:
    overrides = {"has_fire_certificate": fire, "agrees_to_inspection": inspection}
    app = generate_application(food_form, 26, labels=food_labels, overrides=overrides)
    readings = {r.name: r for r in read_form(load_image(app.form_png), food_form)}
    assert (readings["has_fire_certificate"].text, readings["agrees_to_inspection"].text) == (
        fire,
        inspection,
    )
    assert readings["has_fire_certificate"].confidence >= 0.9
    assert readings["hkid"].text == app.truth["hkid"]  # a comb field, read without its dividers
    assert readings["application_date"].text == app.truth["application_date"]


def _checkbox_page(mark_mm: float, *, off_mm: float = 0.0, filled: bool = False) -> Image.Image:
    """A white A4 page at 150 dpi with a 5 mm box at (20, 20) mm (or ``off_mm`` further right and
    down) and a stroke ``mark_mm`` long in it, or the box ``filled`` in solid."""
    px = 150 / 25.4
    page = Image.new("L", (1240, 1754), 235)
    draw = ImageDraw.Draw(page)
    x0 = y0 = round((20 + off_mm) * px)
    x1 = y1 = round((25 + off_mm) * px)
    draw.rectangle((x0, y0, x1, y1), outline=20, fill=20 if filled else None)
    if mark_mm:
        start = 22.5 - mark_mm / 2
        draw.line(
            (round(start * px), round(22.5 * px), round((start + mark_mm) * px), round(22.5 * px)),
            20,
            2,
        )
    return page


@pytest.mark.parametrize(
    ("mark_mm", "text", "sure"), [(0, "no", True), (3.0, "yes", True), (0.9, None, False)]
)
def test_a_faint_mark_in_a_checkbox_is_read_with_low_confidence(
    mark_mm: float, text: str | None, sure: bool
) -> None:
    layout = FormLayout(
        form_code="T",
        title="T",
        fields=[FormField(field="agrees", box_mm=(20, 20, 5, 5), kind="checkbox")],
    )
    (reading,) = read_form(_checkbox_page(mark_mm), layout)
    assert reading.text == (text or reading.text)
    assert reading.text in {"yes", "no"}
    assert (reading.confidence >= 0.9) is sure


@pytest.mark.parametrize(
    ("page", "text"),
    [
        (_checkbox_page(0, off_mm=0.8), "no"),  # the frame reaches into the box read
        (_checkbox_page(0, off_mm=-1.1), "no"),  # the other edges
        (_checkbox_page(0, off_mm=0.8, filled=True), "yes"),
        (_checkbox_page(0, filled=True), "yes"),
    ],
)
def test_a_checkbox_printed_a_millimetre_off_reads_by_its_mark_not_its_frame(
    page: Image.Image, text: str
) -> None:
    layout = FormLayout(
        form_code="T",
        title="T",
        fields=[FormField(field="agrees", box_mm=(20, 20, 5, 5), kind="checkbox")],
    )
    (reading,) = read_form(page, layout)
    assert (reading.text, reading.confidence) == (text, 1.0)


def test_a_comb_field_must_say_how_many_cells_it_has() -> None:
    with pytest.raises(ValidationError, match="cells is given for, and only for"):
        FormField(field="hkid", box_mm=(0, 0, 70, 10), kind="comb")
    with pytest.raises(ValidationError, match="cells is given for, and only for"):
        FormField(field="name", box_mm=(0, 0, 70, 10), cells=8)
