"""Synthetic supporting documents: fire services certificates (FS 251) and tenancy agreements.

Supporting documents come from many issuers, so unlike the application form they follow no layout
the office controls. Each is drawn in one of several layouts seen at a licensing counter:
label-colon-value lines under a letterhead, a two-column ruled table, labels with the value on the
line below; with English or bilingual (Chinese and English) labels, paragraphs of legal text that
use the same words as the labels, signature lines that do too, and then scanned like the forms.
Where a value also appears on the application (the premises address, the applicant as tenant, the
certificate number) it is taken from :func:`tools.samples.applications.random_truth` for the
same seed, so a case built from one seed is consistent across its documents. Everything is the
same for a seed.

(A module of its own because ``applications.py``, which draws the application form and ID card,
is past the size this project splits a module at; only its fonts and truth are shared.)
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tools.samples.applications import font_path, random_truth

__all__ = [
    "FIRE_CERTIFICATE_LAYOUTS",
    "TENANCY_AGREEMENT_LAYOUTS",
    "SampleDocument",
    "generate_fire_certificate",
    "generate_tenancy_agreement",
    "phone_photo",
]

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_CJK_TC_INDEX = 3  # the Traditional Chinese face of the collection
_A4_MM = (210.0, 297.0)
_MM_PER_INCH = 25.4
_LEFT, _RIGHT = 20.0, 190.0

FIRE_CERTIFICATE_LAYOUTS = ("lines", "table", "below")
TENANCY_AGREEMENT_LAYOUTS = ("lines", "table", "below")

# Printed labels vary between issuers; each is the catalogue's label or one of its synonyms, some
# slightly reworded, as the label/value reader has to cope with.
_FIRE_LABELS: dict[str, tuple[tuple[str, ...], str]] = {
    "fire_cert_number": (("Certificate No.", "Certificate Number", "Cert. No."), "證書編號"),
    "fire_cert_premises_address": (
        ("Address of premises", "Premises address", "Address of the premises"),
        "處所地址",
    ),
    "fire_cert_inspection_date": (
        ("Date of inspection", "Inspection date", "Date of installation or inspection"),
        "檢查日期",
    ),
    "fire_cert_expiry_date": (("Expiry date", "Valid until", "Next inspection due"), "有效期至"),
    "fire_cert_contractor_name": (
        ("Registered contractor", "Name of registered contractor", "Registered FSI contractor"),
        "註冊承辦商",
    ),
    "fire_cert_contractor_reg_no": (
        ("Registration No.", "Contractor registration No.", "Reg. No."),
        "註冊編號",
    ),
}
_TENANCY_LABELS: dict[str, tuple[tuple[str, ...], str]] = {
    "tenancy_landlord": (("Landlord", "Name of landlord", "The Landlord"), "業主"),
    "tenancy_tenant": (("Tenant", "Name of tenant", "The Tenant"), "租客"),
    "tenancy_premises_address": (("Premises", "Address of premises", "The Premises"), "物業地址"),
    "tenancy_term_start": (
        ("Term commencing", "Commencement date", "Term commencing on"),
        "租期開始",
    ),
    "tenancy_term_end": (("Term expiring", "Expiry date", "Term expiring on"), "租期屆滿"),
    "tenancy_monthly_rent": (("Monthly rent", "Rent per month", "Monthly rental"), "月租"),
    "tenancy_signed_date": (("Date of agreement", "Dated", "Date of this agreement"), "簽署日期"),
}
_WIDE = frozenset(
    {
        "fire_cert_premises_address",
        "fire_cert_contractor_name",
        "tenancy_landlord",
        "tenancy_tenant",
        "tenancy_premises_address",
    }
)
_DATE_STYLES = ("%d/%m/%Y", "%Y-%m-%d", "{day} %B %Y", "{day} %b %Y")
_CONTRACTORS = (
    "Dragon Fire Engineering Co. Ltd.",
    "Pacific Fire Protection Limited",
    "Wah Kee Fire Services Engineering Ltd.",
    "Safeguard Fire Installations Limited",
    "Kin Wing Fire Equipment Co. Ltd.",
    "Everbright Fire Services Limited",
)
_CONTRACTOR_STREETS = (
    "18 Wang Chiu Road, Kowloon Bay",
    "33 Hung To Road, Kwun Tong",
    "7 Kwai Hei Street, Kwai Chung",
    "120 Chai Wan Road, Chai Wan",
)
_LANDLORDS = (
    "Harbour Crest Properties Limited",
    "Kwong Fat Investment Company Limited",
    "Sun Lee Estates Limited",
    "Po Shing Realty Limited",
    "WONG Kwok Wah",
    "LEUNG Mei Fung",
)


@dataclass(frozen=True)
class SampleDocument:
    """One generated, scanned supporting document and the values printed on it."""

    kind: str
    layout: str
    truth: dict[str, str]  # field name -> the value exactly as printed
    png: bytes


@dataclass(frozen=True)
class _Item:
    name: str
    label: str
    label_zh: str
    value: str


@dataclass
class _Sheet:
    """A page being drawn, with a cursor that moves down in millimetres."""

    image: Image.Image
    px_per_mm: float
    y: float = 14.0

    def px(self, mm: float) -> int:
        return round(mm * self.px_per_mm)

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.image)

    def font(self, kind: str, size_mm: float) -> ImageFont.FreeTypeFont:
        if kind == "cjk":
            return _cjk_font(self.px(size_mm))
        return _font(kind, self.px(size_mm))

    def text(
        self, x_mm: float, text: str, *, size: float = 3.2, kind: str = "sans", fill: int = 0
    ) -> float:
        """Draw one line at the cursor (no advance); return its width in millimetres."""
        font = self.font(kind, size)
        self.draw.text((self.px(x_mm), self.px(self.y)), text, fill, font)
        return font.getlength(text) / self.px_per_mm

    def bilingual(self, x_mm: float, parts: Sequence[tuple[str, str]], size: float) -> float:
        """Draw runs of Latin ('sans') and Chinese ('cjk') text side by side on one line."""
        x = x_mm
        for kind, text in parts:
            font = self.font(kind, size)
            offset = -0.12 * size if kind == "cjk" else 0.0  # CJK glyphs sit lower in their box
            self.draw.text((self.px(x), self.px(self.y + offset)), text, 0, font)
            x += font.getlength(text) / self.px_per_mm
        return x - x_mm

    def paragraph(self, text: str, *, size: float = 3.0, width: float = _RIGHT - _LEFT) -> None:
        """Wrap ``text`` to the column and draw it, moving the cursor under it."""
        font = self.font("liberation-sans", size)
        line = ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if font.getlength(trial) / self.px_per_mm > width and line:
                self.text(_LEFT, line, size=size, kind="liberation-sans")
                self.y += size * 1.55
                line = word
            else:
                line = trial
        if line:
            self.text(_LEFT, line, size=size, kind="liberation-sans")
            self.y += size * 1.55
        self.y += size * 0.8

    def rule(self, *, weight: float = 0.4, gap: float = 4.0) -> None:
        self.draw.line(
            (self.px(_LEFT), self.px(self.y), self.px(_RIGHT), self.px(self.y)),
            0,
            max(1, self.px(weight)),
        )
        self.y += gap


@cache
def _font(kind: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(kind)), max(6, size_px))


@cache
def _cjk_font(size_px: int) -> ImageFont.FreeTypeFont:
    if not CJK_FONT.is_file():
        raise FileNotFoundError(
            f"font {CJK_FONT} is missing: install the Debian package fonts-noto-cjk "
            "(apt-get install fonts-noto-cjk)"
        )
    return ImageFont.truetype(str(CJK_FONT), max(6, size_px), index=_CJK_TC_INDEX)


def _scan(image: Image.Image, rng: random.Random) -> bytes:
    """A photocopy put through a flatbed: grey paper, a skew of up to 1°, soft focus, noise; PNG."""
    paper = rng.randint(222, 242)
    toned = image.point(lambda v: round(v * paper / 255))
    rotated = toned.rotate(
        rng.uniform(-1.0, 1.0), resample=Image.Resampling.BICUBIC, fillcolor=paper
    )
    soft = rotated.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.8)))
    noise = np.random.default_rng(rng.randrange(2**32)).normal(
        0, rng.uniform(3, 7), soft.size[::-1]
    )
    pixels = np.clip(np.asarray(soft, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _new_sheet(dpi: int) -> _Sheet:
    px_per_mm = dpi / _MM_PER_INCH
    size = (round(_A4_MM[0] * px_per_mm), round(_A4_MM[1] * px_per_mm))
    return _Sheet(Image.new("L", size, 255), px_per_mm)


def _format_date(day: dt.date, style: str) -> str:
    return day.strftime(style.replace("{day}", str(day.day)))


def _items(
    labels: Mapping[str, tuple[tuple[str, ...], str]],
    truth: Mapping[str, str],
    rng: random.Random,
) -> list[_Item]:
    return [
        _Item(name, rng.choice(english), chinese, truth[name])
        for name, (english, chinese) in labels.items()
    ]


# --- Field blocks, one per layout -----------------------------------------------------------------


def _label_parts(item: _Item, style: str) -> list[tuple[str, str]]:
    if style == "en_zh":
        return [("sans", f"{item.label} "), ("cjk", item.label_zh), ("sans", ":")]
    if style == "zh_en":
        return [("cjk", item.label_zh), ("sans", f" {item.label}:")]
    return [("sans", f"{item.label}:")]


def _draw_lines(sheet: _Sheet, items: Sequence[_Item], rng: random.Random) -> None:
    """``Label: value`` lines; the values start at a tab stop or straight after the colon."""
    style = rng.choice(("en", "en_zh", "zh_en"))
    tab = rng.choice((None, 82.0, 88.0))
    value_font = rng.choice(("mono", "sans"))
    for item in items:
        width = sheet.bilingual(_LEFT, _label_parts(item, style), 3.2)
        x = tab if tab is not None and _LEFT + width + 3 < tab else _LEFT + width + 2.5
        sheet.text(x, item.value, size=3.4, kind=value_font)
        sheet.y += rng.uniform(7.5, 9.0)


def _draw_table(sheet: _Sheet, items: Sequence[_Item], rng: random.Random) -> None:
    """A ruled two-column table: the label (and its Chinese under it) left, the value right."""
    split = rng.choice((78.0, 84.0))
    bilingual = rng.random() < 0.7
    row = 13.0 if bilingual else 10.0
    top = sheet.y
    draw, px, width = sheet.draw, sheet.px, max(1, sheet.px(0.3))
    for i, item in enumerate(items):
        y = top + i * row
        sheet.y = y + 2.0
        sheet.text(_LEFT + 2.5, item.label, size=3.1)
        if bilingual:
            sheet.y = y + 6.8
            sheet.text(_LEFT + 2.5, item.label_zh, size=3.0, kind="cjk")
        sheet.y = y + row / 2 - 1.9
        sheet.text(split + 3.0, item.value, size=3.4, kind="sans")
        draw.line((px(_LEFT), px(y), px(_RIGHT), px(y)), 0, width)
    bottom = top + len(items) * row
    draw.line((px(_LEFT), px(bottom), px(_RIGHT), px(bottom)), 0, width)
    for x in (_LEFT, split, _RIGHT):
        draw.line((px(x), px(top), px(x), px(bottom)), 0, width)
    sheet.y = bottom + 8.0


def _draw_below(sheet: _Sheet, items: Sequence[_Item], rng: random.Random) -> None:
    """Small labels with the value on the line under them, two to a row where they fit."""
    bilingual = rng.random() < 0.5
    column = 0
    for item in items:
        wide = item.name in _WIDE
        if wide and column == 1:
            sheet.y += 13.0
            column = 0
        x = _LEFT if column == 0 else 110.0
        label_y = sheet.y
        if bilingual:
            sheet.bilingual(x, [("sans", f"{item.label} "), ("cjk", item.label_zh)], 2.8)
        else:
            sheet.text(x, item.label, size=2.8, fill=70)
        sheet.y = label_y + 5.0
        sheet.text(x, item.value, size=3.6, kind="mono")
        sheet.y = label_y
        if wide or column == 1:
            sheet.y += 13.0
            column = 0
        else:
            column = 1
    if column == 1:
        sheet.y += 13.0
    sheet.y += 4.0


_LAYOUTS = {"lines": _draw_lines, "table": _draw_table, "below": _draw_below}


# --- Fire services certificate -------------------------------------------------------------------


def _fire_truth(seed: int) -> dict[str, str]:
    application = random_truth(seed)
    rng = random.Random(f"fire-certificate-{seed}")
    applied = dt.date.fromisoformat(application["application_date"])
    inspected = applied - dt.timedelta(days=rng.randint(10, 200))
    expires = inspected.replace(year=inspected.year + 1) - dt.timedelta(days=1)
    style = rng.choice(_DATE_STYLES)
    return {
        "fire_cert_number": application["fire_certificate_no"],
        "fire_cert_premises_address": application["premises_address"],
        "fire_cert_inspection_date": _format_date(inspected, style),
        "fire_cert_expiry_date": _format_date(expires, style),
        "fire_cert_contractor_name": rng.choice(_CONTRACTORS),
        "fire_cert_contractor_reg_no": f"RFSIC-{rng.randint(1, 3)}-{rng.randrange(10**4):04d}",
    }


def _fire_letterhead(sheet: _Sheet, truth: Mapping[str, str], rng: random.Random) -> None:
    contractor = truth["fire_cert_contractor_name"]
    sheet.text(_LEFT, contractor, size=5.2, kind="sans-bold")
    sheet.y += 7.5
    parts = truth["fire_cert_contractor_reg_no"].split("-")
    klass = parts[1] if len(parts) == 3 else "2"
    sheet.text(_LEFT, f"Registered Fire Service Installation Contractor (Class {klass})", size=2.8)
    sheet.y += 4.5
    phone = f"{rng.choice('23')}{rng.randrange(10**7):07d}"
    street = rng.choice(_CONTRACTOR_STREETS)
    sheet.text(_LEFT, f"Address: {street}    Tel: {phone[:4]} {phone[4:]}", size=2.8)
    sheet.y += 6.0
    sheet.rule(weight=0.6, gap=7.0)
    sheet.bilingual(_LEFT, [("sans-bold", "FIRE SERVICES DEPARTMENT  "), ("cjk", "消防處")], 3.6)
    sheet.text(_RIGHT - 18, "FS 251", size=4.2, kind="sans-bold")
    sheet.y += 8.0
    sheet.text(_LEFT, "CERTIFICATE OF FIRE SERVICE INSTALLATIONS", size=4.6, kind="sans-bold")
    sheet.y += 6.5
    sheet.text(_LEFT, "AND EQUIPMENT", size=4.6, kind="sans-bold")
    sheet.y += 7.0
    sheet.text(_LEFT, "消防裝置及設備證書", size=3.6, kind="cjk")
    sheet.y += 9.0
    sheet.paragraph(
        "This is to certify that the fire service installations and equipment installed in the "
        "premises stated below have been inspected and tested by a registered fire service "
        "installation contractor and were found in efficient working order on the date of "
        "inspection."
    )


def _fire_closing(sheet: _Sheet) -> None:
    sheet.paragraph(
        "This certificate is issued under the Fire Service (Installation Contractors) "
        "Regulations. The owner or occupier shall arrange for the installations to be inspected "
        "at least once in every 12 months and shall send a copy of this certificate to the "
        "Director of Fire Services within 14 days of the inspection."
    )
    sheet.y += 10.0
    sheet.text(_LEFT, "Signature of registered contractor: ____________________", size=3.0)
    sheet.y += 7.0
    sheet.text(_LEFT, "(Company chop)", size=2.8, fill=80)


def generate_fire_certificate(
    seed: int,
    *,
    layout: str | None = None,
    overrides: Mapping[str, str] | None = None,
    dpi: int = 150,
) -> SampleDocument:
    """A scanned FS 251 certificate for the premises of application ``seed``.

    ``layout`` is one of :data:`FIRE_CERTIFICATE_LAYOUTS` (default: drawn from the seed);
    ``overrides`` prints other values (an expired date, a malformed registration number).
    """
    truth = _fire_truth(seed) | dict(overrides or {})
    rng = random.Random(f"fire-certificate-layout-{seed}")
    chosen = layout or rng.choice(FIRE_CERTIFICATE_LAYOUTS)
    sheet = _new_sheet(dpi)
    _fire_letterhead(sheet, truth, rng)
    sheet.y += 3.0
    _LAYOUTS[chosen](sheet, _items(_FIRE_LABELS, truth, rng), rng)
    _fire_closing(sheet)
    return SampleDocument("fire_certificate", chosen, truth, _scan(sheet.image, rng))


# --- Tenancy agreement ---------------------------------------------------------------------------


def _money(amount: int, rng: random.Random) -> str:
    return rng.choice((f"HK${amount:,}", f"HK${amount:,}.00", f"HK$ {amount:,}"))


def _tenancy_truth(seed: int) -> dict[str, str]:
    application = random_truth(seed)
    rng = random.Random(f"tenancy-agreement-{seed}")
    applied = dt.date.fromisoformat(application["application_date"])
    signed = applied - dt.timedelta(days=rng.randint(20, 400))
    start = signed + dt.timedelta(days=rng.randint(1, 30))
    years = rng.choice((2, 3))
    end = start.replace(year=start.year + years) - dt.timedelta(days=1)
    style = rng.choice(_DATE_STYLES)
    return {
        "tenancy_landlord": rng.choice(_LANDLORDS),
        "tenancy_tenant": application["applicant_name"],
        "tenancy_premises_address": application["premises_address"],
        "tenancy_term_start": _format_date(start, style),
        "tenancy_term_end": _format_date(end, style),
        "tenancy_monthly_rent": _money(rng.randint(24, 160) * 500, rng),
        "tenancy_signed_date": _format_date(signed, style),
    }


def _tenancy_heading(sheet: _Sheet, rng: random.Random) -> None:
    if rng.random() < 0.6:
        sheet.text(_LEFT, "Prosperity Estate Agency Limited", size=3.4, kind="sans-bold")
        sheet.text(130, "Licence No. C-012345", size=2.8)
        sheet.y += 6.0
        sheet.rule(weight=0.3, gap=8.0)
    else:
        sheet.y += 8.0
    sheet.text(72, "TENANCY AGREEMENT", size=5.4, kind="sans-bold")
    sheet.y += 8.0
    sheet.text(98, "租約", size=4.4, kind="cjk")
    sheet.y += 11.0
    sheet.paragraph(
        "THIS AGREEMENT is made on the date stated in the Schedule below BETWEEN the Landlord "
        "and the Tenant named in the Schedule. The Landlord agrees to let and the Tenant agrees "
        "to take the Premises for the term and at the rent stated in the Schedule, on the terms "
        "and conditions set out below."
    )
    sheet.text(_LEFT, "SCHEDULE", size=3.8, kind="sans-bold")
    sheet.y += 8.0


def _tenancy_clauses(sheet: _Sheet) -> None:
    clauses = (
        "1. The Tenant shall pay the monthly rent in advance on the first day of each calendar "
        "month without any deduction.",
        "2. The Tenant shall pay a deposit equal to two months' rent, which the Landlord shall "
        "refund without interest within thirty days after the end of the term of the tenancy.",
        "3. The Tenant shall use the Premises as a restaurant only and shall obtain at the "
        "Tenant's own cost every licence required for that use.",
        "4. The Landlord shall keep the main structure, roof and drains of the building in "
        "proper repair.",
    )
    for clause in clauses:
        sheet.paragraph(clause, size=2.9)
    sheet.y += 6.0
    sheet.text(_LEFT, "Signed by the Landlord: ________________", size=3.0)
    sheet.text(112, "Signed by the Tenant: ________________", size=3.0)


def generate_tenancy_agreement(
    seed: int,
    *,
    layout: str | None = None,
    overrides: Mapping[str, str] | None = None,
    dpi: int = 150,
) -> SampleDocument:
    """A scanned tenancy agreement for the premises of application ``seed``, the applicant as
    tenant. ``layout`` is one of :data:`TENANCY_AGREEMENT_LAYOUTS` (default: from the seed)."""
    truth = _tenancy_truth(seed) | dict(overrides or {})
    rng = random.Random(f"tenancy-agreement-layout-{seed}")
    chosen = layout or rng.choice(TENANCY_AGREEMENT_LAYOUTS)
    sheet = _new_sheet(dpi)
    _tenancy_heading(sheet, rng)
    _LAYOUTS[chosen](sheet, _items(_TENANCY_LABELS, truth, rng), rng)
    _tenancy_clauses(sheet)
    return SampleDocument("tenancy_agreement", chosen, truth, _scan(sheet.image, rng))


# --- Phone photos --------------------------------------------------------------------------------


def phone_photo(png: bytes, seed: int, *, orientation: int = 6, tilt: float = 0.06) -> bytes:
    """A phone's JPEG of a page lying on a desk: seen at an angle, unevenly lit, stored sideways.

    The page is warped by a random perspective (each corner moved by up to ``tilt`` of the page's
    size) onto a darker background, lit brighter on one side, and stored rotated with the EXIF
    ``orientation`` tag that tells a viewer how to turn it upright (6: turn 90° clockwise, as a
    phone held upright writes it; 1: stored upright).
    """
    rng = random.Random(f"phone-photo-{seed}")
    with Image.open(io.BytesIO(png)) as opened:
        page = np.asarray(opened.convert("L"), dtype=np.uint8)
    height, width = page.shape
    margin = round(0.12 * width)
    canvas = (width + 2 * margin, height + 2 * margin)
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    jitter = [
        (rng.uniform(-tilt, tilt) * width, rng.uniform(-tilt, tilt) * height) for _ in range(4)
    ]
    moved = np.array(
        [
            [x + dx + margin, y + dy + margin]
            for (x, y), (dx, dy) in zip(corners, jitter, strict=True)
        ],
        dtype=np.float32,
    )
    matrix = cv2.getPerspectiveTransform(corners, moved)
    desk = rng.randint(60, 110)
    photo = cv2.warpPerspective(page, matrix, canvas, borderValue=desk)
    light = np.linspace(rng.uniform(0.8, 0.9), 1.0, canvas[0], dtype=np.float32)
    if rng.random() < 0.5:
        light = light[::-1]
    lit = np.clip(photo.astype(np.float32) * light[None, :], 0, 255).astype(np.uint8)
    image = Image.fromarray(lit).filter(ImageFilter.GaussianBlur(0.6)).convert("RGB")
    stored = image.transpose(_STORED_AS[orientation]) if orientation in _STORED_AS else image
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=85, exif=exif)
    return buffer.getvalue()


# How a camera stores an upright picture under each EXIF orientation (the inverse of the turn
# Pillow's ``ImageOps.exif_transpose`` applies to show it upright).
_STORED_AS = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}
