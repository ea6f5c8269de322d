"""OCR on synthetic scans: zonal form reading, ID card reading, image loading, sample generation.

The reader is built once per session (``ocr_reader``); every test that runs the networks asks for
it so the seconds of construction are paid once.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cases.catalogue import FormLayout, Permit
from cases.ocr import ENGINE_VERSION, load_image, read_form, read_id_card
from cases.ocr.idcard import hkid_candidates
from cases.ocr.zonal import tidy_spacing
from cases.samples import generate_application, random_truth
from cases.validators import is_valid_hkid

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
def test_readings_carry_page_box_and_engine(food_form: FormLayout) -> None:
    app = generate_application(food_form, 3)
    image = load_image(app.form_png)
    readings = read_form(image, food_form, page=2)
    px_per_mm = image.width / food_form.page_size_mm[0]
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
    ],
)
def test_tidy_spacing(raw: str, tidy: str) -> None:
    assert tidy_spacing(raw) == tidy


def test_samples_are_deterministic_and_complete(food_form: FormLayout, food_permit: Permit) -> None:
    first, again = generate_application(food_form, 11), generate_application(food_form, 11)
    assert first == again
    assert set(first.truth) == {spec.name for spec in food_permit.fields}
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
