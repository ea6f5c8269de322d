"""Filled copies of an office's real fillable form, as they come back scanned.

For the forms benchmark (``tools/bench/forms.py``): a few widgets of each page get invented,
plausible values that fit their box (a comb field gets one character a cell), the PDF is filled
through pypdf's form-fill API and printed to pixels by pdfium (which draws the widgets' values as
a viewer would: fonts, comb spacing, ticks), or written on the blank in a pen's block capitals;
then each printed page is degraded the way scans are (noise and a turn, JPEG, a photocopy).
"""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from cases.authoring.widgets import BlankForm, Widget

__all__ = [
    "DPI",
    "VARIANTS",
    "FilledField",
    "choose_fields",
    "handwritten_pages",
    "printed_pages",
    "scan_variant",
]

DPI = 200
MM_PER_INCH = 25.4
HANDWRITING_FONT = Path("/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf")
#: The scan variants, in report order; "handwritten" is written, the others printed by the PDF.
VARIANTS = ("clean", "noisy_turned", "jpeg60", "photocopy", "handwritten")

_MIN_BOX_MM = (8.0, 3.5)  # narrower or lower boxes hold a tick or a letter, not a value
_CHAR_MM_PER_HEIGHT_MM = 0.45  # a typed character's width for each mm of box height (capped)

_FIRST = ["Maria", "James", "Aisha", "Wei", "Olga", "Pedro", "Grace", "Tomas", "Linda", "Omar"]
_LAST = ["Garcia", "Smith", "Okafor", "Chen", "Novak", "Silva", "Brown", "Larsen", "Patel", "Kim"]
_STREETS = ["Oak Street", "Maple Avenue", "Pine Road", "Cedar Lane", "Hill Drive", "Lake Court"]
_CITIES = ["Springfield", "Riverton", "Fairview", "Georgetown", "Madison", "Clinton", "Salem"]
_STATES = ["TX", "CA", "NY", "OH", "WA", "FL", "GA", "IL"]
_WORDS = ["Clinic", "Kitchen", "Supply", "Services", "Center", "Group", "Office", "Unit"]


@dataclass(frozen=True)
class FilledField:
    """A widget given a value: what a correct reading of its box is."""

    widget: Widget
    name: str  # the permit field it is imported as (``p1_f03``)
    value: str  # as written in the PDF (lines of a multi-line box joined by a newline)

    @property
    def truth(self) -> str:
        """The value as a case would hold it: one line, checkboxes as yes/no."""
        return " ".join(self.value.split())


def _money(rng: random.Random) -> str:
    return f"{rng.randint(100, 99_999):,}"


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1950, 2025)}"


def _phone(rng: random.Random) -> str:
    return f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _street(rng: random.Random) -> str:
    return f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}"


def _organisation(rng: random.Random) -> str:
    return f"{rng.choice(_LAST)} {rng.choice(_WORDS)}"


# (shortest box in characters, value): wider boxes may take any value that fits them
_KINDS: list[tuple[int, Callable[[random.Random], str]]] = [
    (2, lambda rng: rng.choice(_STATES)),
    (3, lambda rng: str(rng.randint(1, 99))),
    (6, _money),
    (6, lambda rng: f"{rng.randint(10000, 99999)}"),
    (8, lambda rng: rng.choice(_CITIES)),
    (10, _date),
    (12, _phone),
    (12, _name),
    (14, _street),
    (14, _organisation),
    (20, lambda rng: f"{_street(rng)}, {rng.choice(_CITIES)}"),
]


def _capacity(widget: Widget) -> int:
    """About how many typed characters fit the box on one line."""
    _, _, w, h = widget.box_mm
    return int(w / (_CHAR_MM_PER_HEIGHT_MM * min(h, 6.0)))


def _value(widget: Widget, rng: random.Random, max_length: int | None) -> str:
    """A value that fits the box, and the field's MaxLen (the PDF keeps no more than that)."""
    if widget.kind == "checkbox":
        return rng.choice(("yes", "no"))
    if widget.kind == "comb":
        return "".join(str(rng.randint(0, 9)) for _ in range(widget.cells or 1))
    if widget.kind == "multiline" and widget.box_mm[3] >= 9 and not max_length:
        return f"{_name(rng)}\n{_street(rng)}"
    room = min(_capacity(widget) * 0.8, max_length or 1000)
    fits = [make for shortest, make in _KINDS if shortest <= room]
    for _ in range(20):
        value = rng.choice(fits or [_KINDS[0][1]])(rng)
        if len(value) <= (max_length or len(value)):
            return value
    return "".join(str(rng.randint(0, 9)) for _ in range(max_length or 1))


def _max_lengths(blank_pdf: Path) -> dict[str, int]:
    """Each text widget's MaxLen (on the widget or a parent field), by qualified name: a value
    longer than it is cut when the PDF is filled."""
    found = {}
    for page in PdfReader(blank_pdf).pages:
        for ref in page.get("/Annots") or []:
            node, names, max_length = ref.get_object(), [], None
            while node is not None:
                if "/T" in node:
                    names.append(str(node["/T"]))
                if max_length is None and "/MaxLen" in node:
                    max_length = int(node["/MaxLen"])
                parent = node.get("/Parent")
                node = parent.get_object() if parent is not None else None
            if max_length is not None:
                found[".".join(reversed(names))] = max_length
    return found


def _fillable(widget: Widget) -> bool:
    _, _, w, h = widget.box_mm
    return (
        widget.kind in ("text", "comb", "multiline")
        and w >= _MIN_BOX_MM[0]
        and (h >= _MIN_BOX_MM[1])
    )


def choose_fields(
    blank: BlankForm,
    blank_pdf: Path,
    rng: random.Random,
    *,
    pages: int,
    per_page: int,
    checkboxes: int,
) -> list[FilledField]:
    """Up to ``per_page`` writable widgets and ``checkboxes`` ticks of each of the first ``pages``
    pages that have writable widgets, each with an invented value, in page order."""
    chosen: list[FilledField] = []
    used_pages = 0
    max_lengths = _max_lengths(blank_pdf)
    for page in range(1, len(blank.page_sizes_mm) + 1):
        on_page = [w for w in blank.widgets if w.page == page]
        writable = [w for w in on_page if _fillable(w)]
        if len(writable) < min(4, per_page) or used_pages == pages:
            continue
        used_pages += 1
        ticks = [w for w in on_page if w.kind == "checkbox"]
        picked = rng.sample(writable, min(per_page, len(writable)))
        picked += rng.sample(ticks, min(checkboxes, len(ticks)))
        for widget in sorted(picked, key=lambda w: (w.box_mm[1], w.box_mm[0])):
            name = f"p{page}_f{len(chosen) + 1:03d}"
            value = _value(widget, rng, max_lengths.get(widget.name))
            chosen.append(FilledField(widget, name, value))
    return chosen


def _render(pdf: bytes, pages: list[int]) -> dict[int, Image.Image]:
    document = pdfium.PdfDocument(pdf)
    logger = logging.getLogger("pypdfium2")
    level = logger.level
    try:
        logger.setLevel(logging.ERROR)  # it says XFA is unsupported: the AcroForm is drawn anyway
        document.init_forms()
        logger.setLevel(level)
        return {
            page: document[page - 1]
            .render(scale=DPI / 72, may_draw_forms=True, grayscale=True)
            .to_pil()
            .convert("L")
            for page in pages
        }
    finally:
        document.close()


def printed_pages(blank_pdf: Path, fields: list[FilledField]) -> dict[int, Image.Image]:
    """The form filled in on a computer (pypdf's form fill) and printed: page -> grey image."""
    writer = PdfWriter(clone_from=blank_pdf)
    states = {
        name: field.get("/_States_", [])
        for name, field in (writer.get_fields() or {}).items()
        if isinstance(field, dict)
    }
    values: dict[str, str] = {}
    for filled in fields:
        if filled.widget.kind != "checkbox":
            values[filled.widget.name] = filled.value
        elif filled.value == "yes":
            on = [s for s in states.get(filled.widget.name, []) if s != "/Off"]
            values[filled.widget.name] = on[0] if on else "/1"
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    _press_radio_buttons(writer, [f.widget.name for f in fields if f.value == "yes"])
    writer.set_need_appearances_writer(True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return _render(buffer.getvalue(), sorted({f.widget.page for f in fields}))


def _press_radio_buttons(writer: PdfWriter, names: list[str]) -> None:
    """The buttons of radio groups among ``names`` (``GROUP:EXPORT``, as the importer names a
    group's buttons) shown pressed: the form fill above cannot name one button of a group, and
    a viewer draws the group's buttons from their own state (``/AS``), not from the group's."""
    pressed: dict[str, set[str]] = {}  # two buttons of one group may both be chosen: both shown
    for name in names:
        title, _, export = name.rpartition(":")
        if title:
            pressed.setdefault(title, set()).add("/" + export)
    for page in writer.pages:
        for ref in page.get("/Annots", []) or []:
            widget: Any = ref.get_object()
            parent = widget.get("/Parent")
            group: Any = parent.get_object() if parent is not None else None
            if group is None or str(group.get("/T")) not in pressed:
                continue
            states = widget.get("/AP", {}).get("/N", {})
            on = [state for state in states if state in pressed[str(group["/T"])]]
            widget[NameObject("/AS")] = NameObject(on[0] if on else "/Off")
            if on:
                group[NameObject("/V")] = NameObject(on[0])


def handwritten_pages(blank_pdf: Path, fields: list[FilledField]) -> dict[int, Image.Image]:
    """The blank printed, then filled in by hand in block capitals (Humor Sans, a font the
    handwriting recogniser never learnt from): page -> grey image. Falls back to the printed
    fill when the font is not installed (``fonts-humor-sans``)."""
    if not HANDWRITING_FONT.exists():
        return printed_pages(blank_pdf, fields)
    pages = _render(blank_pdf.read_bytes(), sorted({f.widget.page for f in fields}))
    px = DPI / MM_PER_INCH
    for filled in fields:
        draw = ImageDraw.Draw(pages[filled.widget.page])
        x, y, w, h = (v * px for v in filled.widget.box_mm)
        if filled.widget.kind == "checkbox":
            if filled.value == "yes":
                draw.line((x + 2, y + h / 2, x + w / 2, y + h - 2, x + w - 1, y + 1), 40, 3)
            continue
        lines = filled.value.upper().split("\n")
        size = min(h / len(lines) * 0.8, 4.2 * px)
        font = ImageFont.truetype(str(HANDWRITING_FONT), max(10, round(size)))
        if filled.widget.kind == "comb":
            cell = w / (filled.widget.cells or 1)
            for i, char in enumerate(filled.value):
                draw.text((x + (i + 0.5) * cell, y + h / 2), char, 30, font, anchor="mm")
            continue
        for i, line in enumerate(lines):
            middle = y + h * (i + 0.5) / len(lines)
            draw.text((x + 0.08 * h, middle), line, 30, font, anchor="lm")
    return pages


def _noise(gray: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    return np.clip(gray + rng.normal(0, sigma, gray.shape), 0, 255)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("L")


def _turned(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.uniform(0.5, 1.5) * rng.choice((-1, 1))
    shift = (
        round(rng.uniform(-3, 3) * DPI / MM_PER_INCH),
        round(rng.uniform(-3, 3) * DPI / MM_PER_INCH),
    )
    return image.rotate(
        angle, resample=Image.Resampling.BILINEAR, translate=shift, fillcolor=255, expand=False
    )


def _photocopy(image: Image.Image, rng: random.Random, np_rng: np.random.Generator) -> Image.Image:
    """Grey paper, toner that does not quite reach black, specks, and the blur of a copier."""
    paper, toner = rng.uniform(205, 225), rng.uniform(55, 85)
    gray = np.asarray(image, dtype=np.float32)
    copied = toner + (paper - toner) * gray / 255.0
    specks = np_rng.random(copied.shape) < 0.0015
    copied[specks] = toner
    blurred = Image.fromarray(np.clip(copied, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(rng.uniform(0.7, 1.1))
    )
    return Image.fromarray(
        _noise(np.asarray(blurred, dtype=np.float32), np_rng, 4).astype(np.uint8)
    )


def scan_variant(printed: Image.Image, variant: str, seed: int) -> Image.Image:
    """The printed (or handwritten) page as one scan ``variant`` makes it, the same for a seed."""
    rng = random.Random(f"{variant}-{seed}")
    np_rng = np.random.default_rng(rng.randrange(2**32))
    if variant == "clean":
        return printed.copy()
    if variant == "noisy_turned":
        noisy = _noise(np.asarray(printed, dtype=np.float32), np_rng, 10).astype(np.uint8)
        return _turned(Image.fromarray(noisy), rng)
    if variant == "jpeg60":
        return _jpeg(printed, 60)
    if variant == "photocopy":
        return _photocopy(printed, rng, np_rng)
    if variant == "handwritten":  # written by hand, then scanned: a little noise, JPEG
        noisy = _noise(np.asarray(printed, dtype=np.float32), np_rng, 4).astype(np.uint8)
        return _jpeg(Image.fromarray(noisy), 80)
    raise ValueError(f"unknown scan variant {variant!r}: one of {', '.join(VARIANTS)}")
