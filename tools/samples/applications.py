"""Synthetic scanned applications: a filled-in form page and an ID card copy, with known truth.

Tests, demos and OCR measurements need applications whose every value is known, that look like
what arrives at a licensing counter (a printed government form filled in on a typewriter, then
scanned: slightly rotated, grey paper, noise, a little blur) and that are the same for a seed.
Everything is drawn with Pillow from the form layout in the catalogue, so a change to ``form.yaml``
changes the generated forms and the zonal OCR together.
"""

from __future__ import annotations

import io
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from cases.catalogue import FormLayout
from cases.letters import print_pdf
from cases.values import hkid_check_digit

__all__ = [
    "FONT_DIR",
    "SampleApplication",
    "blank_form",
    "font_path",
    "generate_application",
    "id_card_scan",
    "random_truth",
    "typed_form_pdf",
]

FONT_DIR = Path("/usr/share/fonts/truetype")
_FONT_FILES = {
    "sans": "dejavu/DejaVuSans.ttf",
    "sans-bold": "dejavu/DejaVuSans-Bold.ttf",
    "mono": "liberation/LiberationMono-Regular.ttf",
    "mono-bold": "liberation/LiberationMono-Bold.ttf",
    "dejavu-mono": "dejavu/DejaVuSansMono.ttf",
    "liberation-sans": "liberation/LiberationSans-Regular.ttf",
    "handwriting": "humor-sans/Humor-Sans.ttf",  # a pen's block capitals (fonts-humor-sans)
}
# How the applicant filled the form in: typed, or by hand in the BLOCK CAPITALS forms ask for.
HANDS = {"typewriter": "mono", "handwriting": "handwriting"}
_MM_PER_INCH = 25.4
_CARD_MM = (85.6, 54.0)
_CARD_DPI = 300

_SURNAMES = ("CHAN", "WONG", "LEE", "CHEUNG", "LAU", "NG", "LEUNG", "HO", "CHOW", "LAM", "YEUNG")
_GIVEN = ("Tai Man", "Siu Ming", "Ka Yan", "Wing Sze", "Chi Keung", "Mei Ling", "Ho Yin", "Wai Kit")
_BIZ_FIRST = (
    "Golden Dragon",
    "Lucky Star",
    "Harbour View",
    "Jade Garden",
    "Happy Valley",
    "Red Lantern",
)
_BIZ_LAST = ("Noodle House", "Cafe", "Restaurant", "Dim Sum Kitchen", "Bakery", "Roast Meat Shop")
_STREETS = (
    ("Nathan Road", "Kowloon"),
    ("Hennessy Road", "Wan Chai"),
    ("Des Voeux Road Central", "Central"),
    ("Castle Peak Road", "Tsuen Wan"),
    ("Sai Yeung Choi Street South", "Mong Kok"),
    ("Shau Kei Wan Road", "Sai Wan Ho"),
)
_FLOORS = ("G/F", "1/F", "2/F")
_BUSINESS_TYPES = ("Restaurant", "Light refreshment", "Food factory")
_HKID_LETTERS = "ACDEGHKPRVYZ"
_SECTIONS = {
    "applicant_name": "Part 1  Particulars of the applicant",
    "business_name": "Part 2  Particulars of the food business and the premises",
}


@dataclass(frozen=True)
class SampleApplication:
    """One generated application: the truth and the two scanned documents."""

    truth: dict[str, str]
    form_png: bytes
    id_card_png: bytes


def font_path(kind: str) -> Path:
    """Path of a bundled system font; a clear error naming the Debian package when it is missing."""
    path = FONT_DIR / _FONT_FILES[kind]
    if not path.is_file():
        raise FileNotFoundError(
            f"font {path} is missing: install the Debian packages fonts-dejavu-core, "
            "fonts-liberation and fonts-humor-sans (scripts/install-system-packages)"
        )
    return path


def _font(kind: str, size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(kind)), max(6, round(size_px)))


# --- Truth ---------------------------------------------------------------------------------------


def _hkid(rng: random.Random) -> str:
    body = rng.choice(_HKID_LETTERS) + f"{rng.randrange(10**6):06d}"
    return f"{body}({hkid_check_digit(body)})"


def _address(rng: random.Random) -> str:
    street, district = rng.choice(_STREETS)
    shop, floor, number = rng.randint(1, 12), rng.choice(_FLOORS), rng.randint(2, 388)
    return f"Shop {shop}, {floor}, {number} {street}, {district}"


def random_truth(seed: int) -> dict[str, str]:
    """Realistic Hong Kong values for every permit field, the same for the same seed."""
    rng = random.Random(seed)
    business_type = rng.choice(_BUSINESS_TYPES)
    seats = 0 if business_type == "Food factory" else rng.randint(8, 120)
    truth = {
        "applicant_name": f"{rng.choice(_SURNAMES)} {rng.choice(_GIVEN)}",
        "hkid": _hkid(rng),
        "phone": rng.choice("2356789") + f"{rng.randrange(10**7):07d}",
        "business_name": f"{rng.choice(_BIZ_FIRST)} {rng.choice(_BIZ_LAST)}",
        "premises_address": _address(rng),
        "business_type": business_type,
        "floor_area_m2": f"{rng.randint(150, 2500) / 10:.1f}",
        "seating_capacity": str(seats),
        "hygiene_staff": str(rng.randint(1, 2)),
        "fire_certificate_no": f"FSD-2026-{rng.randrange(10**5):05d}",
        "application_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
    ticks = random.Random(f"checkboxes-{seed}")  # its own stream: the fields above stay as they are
    truth["has_fire_certificate"] = "yes" if ticks.random() < 0.8 else "no"
    truth["agrees_to_inspection"] = "yes" if ticks.random() < 0.9 else "no"
    truth["id_card_name"] = truth["applicant_name"]
    truth["id_card_number"] = truth["hkid"]
    truth.update(_other_permits_truth(seed))
    return truth


_EVENT_TYPES = ("Concert", "Exhibition", "Carnival", "Sports event", "Food fair")
_ORGANISERS = ("Harbour Arts Society", "Kowloon Sports Association", "Lantau Community Centre")
_PREMISES_TYPES = ("Bar", "Restaurant", "Hotel", "Club")


def _other_permits_truth(seed: int) -> dict[str, str]:
    """The liquor licence's and temporary event permit's own fields, from a stream of their own
    (so a seed's food licence values never change when these are added to)."""
    rng = random.Random(f"other-permits-{seed}")
    attendance = rng.randrange(200, 20000, 50)
    return {
        "applicant_age": str(rng.randint(18, 75)),
        "premises_type": rng.choice(_PREMISES_TYPES),
        "food_licence_no": f"FBL-2025-{rng.randrange(10**6):06d}",
        "closing_hour": str(rng.randint(22, 26)),
        "residential_building": rng.choice(("yes", "no")),
        "distance_to_school_m": str(rng.randrange(30, 900, 10)),
        "liquor_conviction": "yes" if rng.random() < 0.1 else "no",
        "organisation_name": rng.choice(_ORGANISERS),
        "event_name": f"{rng.choice(_BIZ_FIRST)} {rng.choice(_EVENT_TYPES)} 2026",
        "event_type": rng.choice(_EVENT_TYPES),
        "event_start_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "event_days": str(rng.randint(1, 14)),
        "expected_attendance": f"{attendance:,}",
        "venue_capacity": f"{round(attendance * rng.uniform(1.0, 1.6), -2):,.0f}",
        "structure_height_m": f"{rng.randint(20, 150) / 10:.1f}",
        "first_aid_staff": str(rng.randint(1, 12)),
        "insurance_cover_hkd": f"{rng.choice((5, 10, 20, 50)) * 1_000_000:,}",
        "serves_food": rng.choice(("yes", "no")),
    }


def _date_of_birth(seed: int) -> str:
    """Printed on the card only; drawn from its own stream so the permit fields stay as they are."""
    rng = random.Random(f"date-of-birth-{seed}")
    return f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(1960, 2000)}"


# --- The form page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    """A blank page in pixels with a millimetre-to-pixel scale, so drawing code reads in mm."""

    image: Image.Image
    px_per_mm: float

    def px(self, mm: float) -> int:
        return round(mm * self.px_per_mm)

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.image)


def _new_page(size_mm: tuple[float, float], dpi: int) -> _Page:
    px_per_mm = dpi / _MM_PER_INCH
    size = (round(size_mm[0] * px_per_mm), round(size_mm[1] * px_per_mm))
    return _Page(Image.new("L", size, 255), px_per_mm)


def _draw_header(page: _Page, layout: FormLayout) -> None:
    draw, px = page.draw, page.px
    width_mm = page.image.width / page.px_per_mm
    draw.text(
        (px(20), px(14)), "HONG KONG SPECIAL ADMINISTRATIVE REGION", 0, _font("sans", px(3.2))
    )
    draw.text((px(20), px(19)), "Licensing Office", 0, _font("sans", px(3.2)))
    draw.text(
        (px(width_mm - 20), px(14)), layout.form_code, 0, _font("sans-bold", px(6)), anchor="ra"
    )
    draw.text((px(20), px(28)), layout.title, 0, _font("sans-bold", px(6)))
    draw.line((px(20), px(37), px(width_mm - 20), px(37)), 0, max(1, px(0.5)))
    note = (
        "Please type or write in BLOCK LETTERS inside the boxes. Incomplete forms will be returned."
    )
    draw.text((px(20), px(40)), note, 0, _font("sans", px(2.6)))


def _draw_field(page: _Page, box_mm: tuple[float, float, float, float], label: str) -> None:
    """The box, and its printed label above it, wrapped to the box's width as a form designer
    would set it (a long label beside a narrow box never runs into its neighbour's)."""
    x, y, w, h = box_mm
    draw, px = page.draw, page.px
    font = _font("sans", px(3.0))
    for i, line in enumerate(reversed(_wrap(label, font, px(w)))):
        draw.text((px(x), px(y - 1.2 - i * 3.6)), line, 0, font, anchor="ld")
    draw.rectangle((px(x), px(y), px(x + w), px(y + h)), outline=0, width=max(1, px(0.25)))


def _wrap(text: str, font: ImageFont.FreeTypeFont, width_px: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width_px:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _draw_footer(page: _Page, layout: FormLayout) -> None:
    draw, px = page.draw, page.px
    width_mm = page.image.width / page.px_per_mm
    height_mm = page.image.height / page.px_per_mm
    last_box = max(f.box_mm[1] + f.box_mm[3] for f in layout.fields)
    top = max(height_mm - 52, last_box + 6)  # below the last box, however long the form
    draw.text((px(20), px(top)), "Part 3  Declaration", 0, _font("sans-bold", px(4)))
    text = "I declare that the information given in this application is true and complete."
    draw.text((px(20), px(top + 7)), text, 0, _font("sans", px(3)))
    line_y = min(top + 22, height_mm - 20)
    draw.line((px(20), px(line_y), px(90), px(line_y)), 0, max(1, px(0.2)))
    draw.text((px(20), px(line_y + 2)), "Signature of applicant", 0, _font("sans", px(2.6)))
    footer = f"{layout.form_code} (rev. 2026)          page 1 of 1"
    draw.text(
        (px(width_mm / 2), px(height_mm - 12)), footer, 0, _font("sans", px(2.6)), anchor="ma"
    )


def _write_value(
    page: _Page,
    box_mm: tuple[float, float, float, float],
    value: str,
    blur: bool,
    *,
    hand: str,
    centred: bool = False,
) -> None:
    """Write the value in the box; a blurred value is faint and smeared, as a bad fax leaves it."""
    x, y, w, h = box_mm
    px = page.px
    font = _font(HANDS[hand], px(min(4.6, h * 0.45)))
    layer = Image.new("L", page.image.size, 0)
    where, anchor = (x + w / 2, "mm") if centred else (x + 2.5, "lm")
    ImageDraw.Draw(layer).text((px(where), px(y + h / 2)), value, 255, font, anchor=anchor)
    if blur:
        layer = layer.filter(ImageFilter.GaussianBlur(page.px_per_mm * 0.6))
        layer = layer.point(lambda v: v * 55 // 100)
    ink = Image.new("L", page.image.size, 20)
    page.image.paste(ink, (0, 0), layer)


def _render_form(
    layout: FormLayout,
    values: Mapping[str, str],
    labels: Mapping[str, str],
    dpi: int,
    blur_fields: frozenset[str],
    hand: str,
) -> Image.Image:
    page = _new_page(layout.page_size(1), dpi)
    _draw_header(page, layout)
    for form_field in layout.fields:
        x, y, _, _ = form_field.box_mm
        if form_field.field in _SECTIONS:
            page.draw.text(
                (page.px(x), page.px(y - 14)),
                _SECTIONS[form_field.field],
                0,
                _font("sans-bold", page.px(4)),
            )
        label = labels.get(form_field.field, form_field.field.replace("_", " ").capitalize())
        value = values.get(form_field.field, "")
        blur = form_field.field in blur_fields
        if form_field.kind == "checkbox":
            _draw_checkbox(page, form_field.box_mm, label, ticked=value == "yes")
            continue
        _draw_field(page, form_field.box_mm, label)
        if form_field.kind == "comb":
            _draw_comb(page, form_field.box_mm, form_field.cells or 1, value, blur, hand)
        elif value:
            _write_value(page, form_field.box_mm, value, blur, hand=hand)
    _draw_footer(page, layout)
    return page.image


def _draw_checkbox(
    page: _Page, box_mm: tuple[float, float, float, float], label: str, *, ticked: bool
) -> None:
    """A square with its label on the right; ticked with a pen's cross."""
    x, y, w, h = box_mm
    draw, px = page.draw, page.px
    draw.rectangle((px(x), px(y), px(x + w), px(y + h)), outline=0, width=max(1, px(0.25)))
    draw.text((px(x + w + 2), px(y + h / 2)), label, 0, _font("sans", px(3.0)), anchor="lm")
    if ticked:
        pen = max(2, px(0.45))
        draw.line((px(x + 1), px(y + 1), px(x + w - 1), px(y + h - 1)), 20, pen)
        draw.line((px(x + 1), px(y + h - 1), px(x + w - 1), px(y + 1)), 20, pen)


def _draw_comb(
    page: _Page,
    box_mm: tuple[float, float, float, float],
    cells: int,
    value: str,
    blur: bool,
    hand: str,
) -> None:
    """Dividers between the character cells, and each character centred in its own cell."""
    x, y, w, h = box_mm
    cell = w / cells
    for i in range(1, cells):
        line_x = page.px(x + i * cell)
        page.draw.line((line_x, page.px(y), line_x, page.px(y + h)), 0, max(1, page.px(0.2)))
    for i, char in enumerate(value[:cells]):
        _write_value(page, (x + i * cell, y, cell, h), char, blur, hand=hand, centred=True)


def blank_form(layout: FormLayout, labels: Mapping[str, str], *, dpi: int) -> Image.Image:
    """The printed form before anyone writes on it: the reference a scan is registered against."""
    return _render_form(layout, {}, labels, dpi, frozenset(), "typewriter")


# --- The ID card ---------------------------------------------------------------------------------


def _render_id_card(name: str, number: str, date_of_birth: str) -> Image.Image:
    page = _new_page(_CARD_MM, _CARD_DPI)
    draw, px = page.draw, page.px
    w, h = page.image.size
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=px(3), fill=228)
    draw.rounded_rectangle(
        (0, 0, w - 1, px(11)), radius=px(3), fill=200, corners=(True, True, False, False)
    )
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=px(3), outline=120, width=2)
    draw.text((px(4), px(3)), "HONG KONG PERMANENT IDENTITY CARD", 0, _font("sans-bold", px(3.2)))
    draw.text((px(4), px(16)), "Name", 60, _font("sans", px(2.4)))
    draw.text((px(4), px(19.5)), name, 0, _font("sans-bold", px(3.8)))
    draw.text((px(4), px(28)), "Date of Birth", 60, _font("sans", px(2.4)))
    draw.text((px(4), px(31.5)), date_of_birth, 0, _font("sans", px(3.4)))
    draw.text((px(4), px(38)), "Date of Issue  (01-79)  15-09-18", 40, _font("sans", px(2.6)))
    draw.text((px(4), px(44)), "***AZ", 0, _font("sans", px(3.2)))
    draw.rectangle((px(57), px(14), px(81), px(42)), fill=175, outline=110)
    draw.ellipse((px(64), px(17), px(74), px(29)), fill=130)
    draw.pieslice((px(60), px(28), px(78), px(48)), 180, 360, fill=130)
    draw.text((px(81), px(46)), number, 0, _font("sans-bold", px(4.2)), anchor="rm")
    return page.image


def id_card_scan(seed: int, truth: Mapping[str, str]) -> bytes:
    """The scanned copy of the identity card alone, for ``truth``'s name and number (no form
    drawn: a bench that types its forms needs only the card)."""
    card = _render_id_card(truth["id_card_name"], truth["id_card_number"], _date_of_birth(seed))
    return _png(_scan(card, random.Random(f"id-card-{seed}"), max_angle=1.5))


# --- Scanning ------------------------------------------------------------------------------------


def _scan(
    image: Image.Image,
    rng: random.Random,
    *,
    max_angle: float = 0.8,
    angle: float | None = None,
    shift_px: tuple[int, int] = (0, 0),
) -> Image.Image:
    """What a flatbed does to a page: grey paper, a slight skew, a soft focus and sensor noise."""
    paper = rng.randint(226, 242)
    toned = image.point(lambda v: round(v * paper / 255))
    drawn = rng.uniform(-max_angle, max_angle)  # drawn even when given: the same noise follows
    rotated = toned.rotate(
        drawn if angle is None else angle,
        resample=Image.Resampling.BICUBIC,
        fillcolor=paper,
        translate=shift_px,
    )
    soft = rotated.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.7)))
    noise = np.random.default_rng(rng.randrange(2**32)).normal(
        0, rng.uniform(3, 6), soft.size[::-1]
    )
    pixels = np.clip(np.asarray(soft, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, mode="L")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def typed_form_pdf(
    layout: FormLayout, values: Mapping[str, str], labels: Mapping[str, str]
) -> bytes:
    """The form filled in on a computer and saved as PDF: every label and value in its text layer.

    Laid out from the same ``form.yaml`` as the scans (labels above their boxes, values inside),
    so the layout and the pairing of labels with values are exercised on a real text layer.
    """
    from html import escape

    width, height = layout.page_size(1)
    parts = [
        f"<style>@page {{ size: {width}mm {height}mm; margin: 0 }} body {{ margin: 0 }}"
        " div { position: absolute; font-family: 'DejaVu Sans'; white-space: nowrap }"
        " .v { font-family: 'Liberation Mono'; font-size: 12pt; border: 0.25mm solid black;"
        " padding-left: 2.5mm; box-sizing: border-box; display: flex; align-items: center }"
        " .l { font-size: 8.5pt }</style>",
        f"<div style='left: 20mm; top: 26mm; font-size: 16pt'>{escape(layout.title)}</div>",
    ]
    for form_field in layout.fields:
        x, y, w, h = form_field.box_mm
        label = labels.get(form_field.field, form_field.field.replace("_", " ").capitalize())
        value = escape(values.get(form_field.field, ""))
        if form_field.kind == "checkbox":
            mark = "X" if value == "yes" else ""
            parts.append(
                f"<div class='v' style='left: {x}mm; top: {y}mm; width: {w}mm; height: {h}mm;"
                f" padding-left: 1mm; font-size: 9pt'>{mark}</div>"
                f"<div class='l' style='left: {x + w + 2}mm; top: {y + 1}mm'>{escape(label)}</div>"
            )
            continue
        parts.append(f"<div class='l' style='left: {x}mm; top: {y - 5}mm'>{escape(label)}</div>")
        parts.append(
            f"<div class='v' style='left: {x}mm; top: {y}mm; width: {w}mm; height: {h}mm'>"
            f"{value}</div>"
        )
    return print_pdf("".join(parts), "a typed sample form")


def generate_application(
    layout: FormLayout,
    seed: int,
    *,
    dpi: int = 150,
    blur_fields: frozenset[str] = frozenset(),
    overrides: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    skew_deg: float | None = None,
    shift_mm: tuple[float, float] = (0.0, 0.0),
    hand: str = "typewriter",
) -> SampleApplication:
    """A scanned application form and ID card copy for one synthetic applicant.

    ``overrides`` replaces chosen values (a tiny floor area to force a refusal, a different name on
    the ID card); ``blur_fields`` makes those values faint and smeared so OCR confidence falls and a
    person has to verify them; ``labels`` gives the printed label of each field (default: the field
    name in words); ``skew_deg`` and ``shift_mm`` place the form page on the scanner glass (by
    default a random skew within ±0.8° and no shift); ``hand`` is how the values were written
    (see ``HANDS``: handwriting is in block capitals, as forms ask). The truth holds every permit
    field, including ``id_card_name`` and ``id_card_number``, exactly as written on the documents.
    """
    rng = random.Random(seed)
    truth = random_truth(seed)
    truth.update(overrides or {})
    if hand == "handwriting":
        truth.update(
            {f.field: truth[f.field].upper() for f in layout.fields if f.kind != "checkbox"}
        )
    form = _render_form(layout, truth, labels or {}, dpi, blur_fields, hand)
    card = _render_id_card(truth["id_card_name"], truth["id_card_number"], _date_of_birth(seed))
    shift_px = (round(shift_mm[0] * dpi / _MM_PER_INCH), round(shift_mm[1] * dpi / _MM_PER_INCH))
    form_png = _png(_scan(form, rng, angle=skew_deg, shift_px=shift_px))
    card_png = _png(_scan(card, rng, max_angle=1.5))
    return SampleApplication(truth=truth, form_png=form_png, id_card_png=card_png)
