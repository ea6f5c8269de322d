"""Zonal reading of the boxes real offices print: tight boxes, values flush with a side, dividers,
several lines in one box, comb cells. Each page is drawn at 200 dpi with Pillow."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from cases.catalogue import FieldSpec, FormField, FormLayout
from cases.extraction import field_verdicts
from cases.ocr import read_form
from cases.ocr import zonal as zonal_module
from cases.ocr.crops import line_bands
from cases.ocr.zonal import COMB_MISCOUNT_CONFIDENCE

pytest_plugins = ["tests.ocr_fixtures"]  # ocr_reader

PX = 200 / 25.4  # pixels per millimetre


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size)


def _page() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    page = Image.new("L", (round(210 * PX), round(297 * PX)), 255)
    return page, ImageDraw.Draw(page)


def _box(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    draw.rectangle((x * PX, y * PX, (x + w) * PX, (y + h) * PX), outline=0, width=2)


def _layout(*fields: FormField) -> FormLayout:
    return FormLayout(form_code="Z-1", title="Zonal boxes", fields=list(fields))


def _read(page: Image.Image, layout: FormLayout) -> dict[str, str]:
    return {r.name: r.text for r in read_form(page, layout)}


@pytest.mark.usefixtures("ocr_reader")
def test_tall_letters_in_a_tight_box_keep_their_stems() -> None:
    """In a box the writing nearly fills, the stems of l, d and 1 run almost its height: they
    are letters, not the box's ruling (they used to be painted out: "Od Mi ane")."""
    box = (20.0, 40.0, 60.0, 4.6)
    page, draw = _page()
    _box(draw, box)
    draw.text(((box[0] + 2) * PX, (box[1] + box[3] / 2) * PX), "Old Mill 1041", 0, _font(27), "lm")

    assert _read(page, _layout(FormField(field="street", box_mm=box))) == {
        "street": "Old Mill 1041"
    }


@pytest.mark.usefixtures("ocr_reader")
def test_a_value_typed_flush_against_the_side_of_its_box_is_read_whole() -> None:
    """Offices' forms right-align amounts with a hair of margin; the last digit is not cut."""
    box = (120.0, 60.0, 30.0, 5.0)
    page, draw = _page()
    _box(draw, box)
    right = (box[0] + box[2]) * PX + 1  # the ink reaches the frame line
    draw.text((right, (box[1] + box[3] / 2) * PX), "38,289", 0, _font(26), "rm")

    assert _read(page, _layout(FormField(field="amount", box_mm=box))) == {"amount": "38,289"}


@pytest.mark.usefixtures("ocr_reader")
def test_a_divider_ruled_across_a_box_is_not_read_as_a_character() -> None:
    box = (20.0, 80.0, 60.0, 6.0)
    page, draw = _page()
    _box(draw, box)
    middle = (box[0] + 30) * PX
    draw.line((middle, (box[1] - 3) * PX, middle, (box[1] + box[3] + 3) * PX), 0, 2)
    draw.text(((box[0] + 3) * PX, (box[1] + 3) * PX), "CHAN", 0, _font(30), "lm")
    draw.text(((box[0] + 33) * PX, (box[1] + 3) * PX), "LEUNG", 0, _font(30), "lm")

    assert _read(page, _layout(FormField(field="name", box_mm=box))) == {"name": "CHAN LEUNG"}


def _two_lines() -> tuple[Image.Image, tuple[float, float, float, float]]:
    box = (20.0, 100.0, 90.0, 14.0)
    page, draw = _page()
    _box(draw, box)
    draw.text(((box[0] + 2) * PX, (box[1] + 3.5) * PX), "Maria Garcia", 0, _font(32), "lm")
    draw.text(((box[0] + 2) * PX, (box[1] + 10) * PX), "42 Oak Street", 0, _font(32), "lm")
    return page, box


def test_the_lines_of_a_box_are_found_apart() -> None:
    page, box = _two_lines()
    x, y, w, h = (round(v * PX) for v in box)
    crop = np.asarray(page, dtype=np.uint8)[y + 5 : y + h - 5, x + 5 : x + w - 5]
    bands = line_bands(crop)
    assert len(bands) == 2
    assert bands[0][1] <= bands[1][0] + 8  # one above the other, overlapping at most the padding


@pytest.mark.usefixtures("ocr_reader")
def test_a_multi_line_box_is_read_line_by_line() -> None:
    page, box = _two_lines()
    layout = _layout(FormField(field="address", box_mm=box, kind="multiline", lines=2))
    assert _read(page, layout) == {"address": "Maria Garcia 42 Oak Street"}


def _comb(digits: str) -> tuple[Image.Image, FormField]:
    field = FormField(field="ssn", box_mm=(20.0, 130.0, 45.0, 6.0), kind="comb", cells=9)
    page, draw = _page()
    x, y, w, h = field.box_mm
    _box(draw, field.box_mm)
    for i in range(1, 9):
        draw.line(((x + i * w / 9) * PX, (y + h * 0.6) * PX, (x + i * w / 9) * PX, (y + h) * PX))
    for i, digit in enumerate(digits):
        draw.text(((x + (i + 0.5) * w / 9) * PX, (y + h / 2) * PX), digit, 0, _font(30), "mm")
    return page, field


@pytest.mark.usefixtures("ocr_reader")
def test_a_comb_read_with_one_character_a_cell_keeps_its_confidence() -> None:
    page, field = _comb("123456789")
    (reading,) = read_form(page, _layout(field))
    assert reading.text == "123456789"
    assert reading.confidence > COMB_MISCOUNT_CONFIDENCE


def test_a_comb_read_with_a_character_lost_goes_to_a_person(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The recogniser reads eight characters where nine cells are written in: whatever it says
    of its confidence, the field is sent to a person."""
    page, field = _comb("123456789")
    monkeypatch.setattr(zonal_module, "_recognise", lambda *_, **__: ("12345689", 0.97))
    (reading,) = read_form(page, _layout(field))
    spec = FieldSpec.model_validate(
        {"name": "ssn", "label": {"en": "SSN", "zh_hant": "社會安全號碼"}}
    )
    (verdict,) = field_verdicts([spec], {"ssn": reading})

    assert reading.confidence <= COMB_MISCOUNT_CONFIDENCE
    assert verdict.reason is not None
    assert verdict.reason["code"] == "low_confidence"


@pytest.mark.usefixtures("ocr_reader")
def test_a_piece_of_frame_beside_the_box_is_not_read_as_a_character() -> None:
    """A box is cut a little wider than drawn; what lies wholly in that margin (the end of a
    rule, a corner of the next box's frame) is not part of the value: no trailing ``_``."""
    box = (20.0, 150.0, 60.0, 6.0)
    page, draw = _page()
    _box(draw, box)
    right, bottom = (box[0] + box[2]) * PX, (box[1] + box[3]) * PX
    draw.line((right + 2, bottom + 3, right + 7, bottom + 3), 0, 3)  # a rule's end, outside
    draw.line((right + 5, bottom - 20, right + 5, bottom + 5), 0, 2)  # the next frame's corner
    draw.text(((box[0] + 2) * PX, (box[1] + 3) * PX), "FBL-2025-360422", 0, _font(30), "lm")

    assert _read(page, _layout(FormField(field="licence", box_mm=box))) == {
        "licence": "FBL-2025-360422"
    }
