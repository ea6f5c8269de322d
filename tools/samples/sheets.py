"""Sheets of A4 drawn line by line, as supporting documents are: the drawing kit, the three ways
issuers lay out their fields, and what happens to a page after (a flatbed scan, a phone photo).

Shared by the generators of :mod:`tools.samples.supporting`; everything is the same for a seed.
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

from tools.samples.applications import font_path

__all__ = [
    "LAYOUTS",
    "LEFT",
    "RIGHT",
    "Item",
    "Sheet",
    "format_date",
    "items_for",
    "new_sheet",
    "phone_photo",
    "scan_page",
]

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_CJK_TC_INDEX = 3  # the Traditional Chinese face of the collection
_A4_MM = (210.0, 297.0)
_MM_PER_INCH = 25.4
LEFT, RIGHT = 20.0, 190.0


@dataclass(frozen=True)
class Item:
    """One field printed on a sheet: its English and Chinese labels and the value."""

    name: str
    label: str
    label_zh: str
    value: str
    wide: bool = False  # gets a line of its own where the layout puts two to a row


@dataclass
class Sheet:
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

    def paragraph(self, text: str, *, size: float = 3.0, width: float = RIGHT - LEFT) -> None:
        """Wrap ``text`` to the column and draw it, moving the cursor under it."""
        font = self.font("liberation-sans", size)
        line = ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if font.getlength(trial) / self.px_per_mm > width and line:
                self.text(LEFT, line, size=size, kind="liberation-sans")
                self.y += size * 1.55
                line = word
            else:
                line = trial
        if line:
            self.text(LEFT, line, size=size, kind="liberation-sans")
            self.y += size * 1.55
        self.y += size * 0.8

    def rule(self, *, weight: float = 0.4, gap: float = 4.0) -> None:
        self.draw.line(
            (self.px(LEFT), self.px(self.y), self.px(RIGHT), self.px(self.y)),
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


def scan_page(image: Image.Image, rng: random.Random) -> bytes:
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


def new_sheet(dpi: int) -> Sheet:
    px_per_mm = dpi / _MM_PER_INCH
    size = (round(_A4_MM[0] * px_per_mm), round(_A4_MM[1] * px_per_mm))
    return Sheet(Image.new("L", size, 255), px_per_mm)


def format_date(day: dt.date, style: str) -> str:
    return day.strftime(style.replace("{day}", str(day.day)))


def items_for(
    labels: Mapping[str, tuple[tuple[str, ...], str]],
    truth: Mapping[str, str],
    rng: random.Random,
    wide: frozenset[str] = frozenset(),
) -> list[Item]:
    """The fields to print, each under one of its printed labels chosen at random."""
    return [
        Item(name, rng.choice(english), chinese, truth[name], name in wide)
        for name, (english, chinese) in labels.items()
    ]


# --- Field blocks, one per layout -----------------------------------------------------------------


def _label_parts(item: Item, style: str) -> list[tuple[str, str]]:
    if style == "en_zh":
        return [("sans", f"{item.label} "), ("cjk", item.label_zh), ("sans", ":")]
    if style == "zh_en":
        return [("cjk", item.label_zh), ("sans", f" {item.label}:")]
    return [("sans", f"{item.label}:")]


def _draw_lines(sheet: Sheet, items: Sequence[Item], rng: random.Random) -> None:
    """``Label: value`` lines; the values start at a tab stop or straight after the colon."""
    style = rng.choice(("en", "en_zh", "zh_en"))
    tab = rng.choice((None, 82.0, 88.0))
    value_font = rng.choice(("mono", "sans"))
    for item in items:
        width = sheet.bilingual(LEFT, _label_parts(item, style), 3.2)
        x = tab if tab is not None and LEFT + width + 3 < tab else LEFT + width + 2.5
        sheet.text(x, item.value, size=3.4, kind=value_font)
        sheet.y += rng.uniform(7.5, 9.0)


def _draw_table(sheet: Sheet, items: Sequence[Item], rng: random.Random) -> None:
    """A ruled two-column table: the label (and its Chinese under it) left, the value right."""
    split = rng.choice((78.0, 84.0))
    bilingual = rng.random() < 0.7
    row = 13.0 if bilingual else 10.0
    top = sheet.y
    draw, px, width = sheet.draw, sheet.px, max(1, sheet.px(0.3))
    for i, item in enumerate(items):
        y = top + i * row
        sheet.y = y + 2.0
        sheet.text(LEFT + 2.5, item.label, size=3.1)
        if bilingual:
            sheet.y = y + 6.8
            sheet.text(LEFT + 2.5, item.label_zh, size=3.0, kind="cjk")
        sheet.y = y + row / 2 - 1.9
        sheet.text(split + 3.0, item.value, size=3.4, kind="sans")
        draw.line((px(LEFT), px(y), px(RIGHT), px(y)), 0, width)
    bottom = top + len(items) * row
    draw.line((px(LEFT), px(bottom), px(RIGHT), px(bottom)), 0, width)
    for x in (LEFT, split, RIGHT):
        draw.line((px(x), px(top), px(x), px(bottom)), 0, width)
    sheet.y = bottom + 8.0


def _draw_below(sheet: Sheet, items: Sequence[Item], rng: random.Random) -> None:
    """Small labels with the value on the line under them, two to a row where they fit."""
    bilingual = rng.random() < 0.5
    column = 0
    for item in items:
        wide = item.wide
        if wide and column == 1:
            sheet.y += 13.0
            column = 0
        x = LEFT if column == 0 else 110.0
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


LAYOUTS = {"lines": _draw_lines, "table": _draw_table, "below": _draw_below}


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
