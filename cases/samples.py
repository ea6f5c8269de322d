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
from cases.validators import hkid_check_digit

__all__ = ["FONT_DIR", "SampleApplication", "font_path", "generate_application", "random_truth"]

FONT_DIR = Path("/usr/share/fonts/truetype")
_FONT_FILES = {
    "sans": "dejavu/DejaVuSans.ttf",
    "sans-bold": "dejavu/DejaVuSans-Bold.ttf",
    "mono": "liberation/LiberationMono-Regular.ttf",
    "mono-bold": "liberation/LiberationMono-Bold.ttf",
    "dejavu-mono": "dejavu/DejaVuSansMono.ttf",
    "liberation-sans": "liberation/LiberationSans-Regular.ttf",
}
_VALUE_FONT = "mono"  # typewriter-like: what a filled-in form looks like
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
            f"font {path} is missing: install the Debian packages fonts-dejavu-core and "
            "fonts-liberation (apt-get install fonts-dejavu-core fonts-liberation)"
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
    truth["id_card_name"] = truth["applicant_name"]
    truth["id_card_number"] = truth["hkid"]
    return truth


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
    x, y, w, h = box_mm
    draw, px = page.draw, page.px
    draw.text((px(x), px(y - 1.2)), label, 0, _font("sans", px(3.0)), anchor="ld")
    draw.rectangle((px(x), px(y), px(x + w), px(y + h)), outline=0, width=max(1, px(0.25)))


def _draw_footer(page: _Page, layout: FormLayout) -> None:
    draw, px = page.draw, page.px
    width_mm = page.image.width / page.px_per_mm
    height_mm = page.image.height / page.px_per_mm
    draw.text((px(20), px(height_mm - 52)), "Part 3  Declaration", 0, _font("sans-bold", px(4)))
    text = "I declare that the information given in this application is true and complete."
    draw.text((px(20), px(height_mm - 44)), text, 0, _font("sans", px(3)))
    draw.line((px(20), px(height_mm - 28), px(90), px(height_mm - 28)), 0, max(1, px(0.2)))
    draw.text((px(20), px(height_mm - 26)), "Signature of applicant", 0, _font("sans", px(2.6)))
    footer = f"{layout.form_code} (rev. 2026)          page 1 of 1"
    draw.text(
        (px(width_mm / 2), px(height_mm - 12)), footer, 0, _font("sans", px(2.6)), anchor="ma"
    )


def _write_value(
    page: _Page, box_mm: tuple[float, float, float, float], value: str, blur: bool
) -> None:
    """Type the value in the box; a blurred value is faint and smeared, as a bad fax leaves it."""
    x, y, _, h = box_mm
    px = page.px
    font = _font(_VALUE_FONT, px(min(4.6, h * 0.45)))
    layer = Image.new("L", page.image.size, 0)
    ImageDraw.Draw(layer).text((px(x + 2.5), px(y + h / 2)), value, 255, font, anchor="lm")
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
) -> Image.Image:
    page = _new_page(layout.page_size_mm, dpi)
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
        _draw_field(page, form_field.box_mm, label)
        value = values.get(form_field.field, "")
        if value:
            _write_value(page, form_field.box_mm, value, form_field.field in blur_fields)
    _draw_footer(page, layout)
    return page.image


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


# --- Scanning ------------------------------------------------------------------------------------


def _scan(image: Image.Image, rng: random.Random, *, max_angle: float = 0.8) -> Image.Image:
    """What a flatbed does to a page: grey paper, a slight skew, a soft focus and sensor noise."""
    paper = rng.randint(226, 242)
    toned = image.point(lambda v: round(v * paper / 255))
    angle = rng.uniform(-max_angle, max_angle)
    rotated = toned.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=paper)
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


def generate_application(
    layout: FormLayout,
    seed: int,
    *,
    dpi: int = 150,
    blur_fields: frozenset[str] = frozenset(),
    overrides: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> SampleApplication:
    """A scanned application form and ID card copy for one synthetic applicant.

    ``overrides`` replaces chosen values (a tiny floor area to force a refusal, a different name on
    the ID card); ``blur_fields`` makes those values faint and smeared so OCR confidence falls and a
    person has to verify them; ``labels`` gives the printed label of each field (default: the field
    name in words). The truth holds every permit field, including ``id_card_name`` and
    ``id_card_number``, exactly as written on the documents.
    """
    rng = random.Random(seed)
    truth = random_truth(seed)
    truth.update(overrides or {})
    form = _render_form(layout, truth, labels or {}, dpi, blur_fields)
    card = _render_id_card(truth["id_card_name"], truth["id_card_number"], _date_of_birth(seed))
    form_png = _png(_scan(form, rng))
    card_png = _png(_scan(card, rng, max_angle=1.5))
    return SampleApplication(truth=truth, form_png=form_png, id_card_png=card_png)
