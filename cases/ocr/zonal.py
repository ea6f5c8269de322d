"""Zonal OCR: read each field of a known form from its box, without the page text detector.

On this machine easyocr's page detector (CRAFT) takes ~25 s for an A4 page at 150 dpi while the
recogniser reads a line in well under 0.1 s, so for a form whose layout is in the catalogue we skip
detection: convert each field's box from millimetres to pixels, clear the printed frame out of it,
crop to the ink and hand only that line to the recogniser, with the field's character allowlist.
Ruling left in a crop is read as ``|``, ``I`` or ``[``, which is why frames are removed first.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cases.catalogue import FormField, FormLayout
from cases.ocr.reader import ENGINE_VERSION, HANDWRITING_ENGINE, FieldReading, inference

__all__ = ["find_ink", "read_form", "tidy_spacing"]

Gray = NDArray[np.uint8]

_INSET_MM = 0.6  # stay inside the printed frame
_PAD_PX = 4  # white margin kept around the ink; the recogniser reads tight crops worse
_INK_DELTA = 28  # grey levels below the paper that count as ink (scanner noise is ~3-6)
_MIN_SPECK_PX = 6  # connected ink smaller than this is noise, not a character
_RULE_MM = 15.0  # ink running straight this long is ruling: handwritten "LL" joins up to ~6 mm
_SLIVER_PX = 6  # ink touching the crop's edge no thicker than this is what is left of the frame
_CHECKBOX_INSET = 0.18  # share of a checkbox's side left out at each edge: the printed frame
_FRAME_SHARE = 0.8  # of a checkbox row or column inked: the frame, not a mark
_TICK_SHARE = 0.03  # share of a checkbox's inside covered by ink above which it is ticked
BLOCK_CAPITALS_SHARE = 0.75  # of a page's written letters: handwriting ~0.85, typing ~0.35
_LETTERS_TO_DECIDE = 20  # letters read before deciding: about a name and a business name
# ...unless the share of capitals is in between (measured after 20 letters: typing <= 0.41,
# handwriting >= 0.72, misread capitals taken for small letters): then the whole page decides.
_UNCLEAR_SHARE = (0.5, 0.9)
# Handwriting is read a second time squeezed to this share of its width: block capitals are
# wider than the print the recogniser learnt from, so the two readings differ where it is unsure.
_SECOND_READ_WIDTH = 0.75
# ...unless the first reading is this sure: no wrong handwritten reading scored above 0.95 on
# the benchmark's scans, and over half score above it, so half the second readings are saved.
_SURE_OF_HANDWRITING = 0.95
_SHIFT_MM = 1.0  # how far the blank may sit from the registered scan inside one box
_ANY_CHARACTER = string.ascii_letters + string.digits + " ,./-'()&#:;!?\"$%+"
ENGINE = ENGINE_VERSION


@dataclass(frozen=True)
class _Sheet:
    """A registered page in grey, its pixels per millimetre, and the office's blank form at the
    same pixels (padded by ``shift`` on every side) when there is one to subtract."""

    gray: Gray
    scale: tuple[float, float]
    blank: Gray | None = None
    shift: int = 0


@dataclass(frozen=True)
class _Zone:
    """A field's crop in page pixels: the cleaned image and where it sits on the page."""

    image: Gray
    x0: int
    y0: int


def read_form(
    image: Image.Image,
    layout: FormLayout,
    *,
    page: int = 1,
    form_page: int = 1,
    blank: Image.Image | None = None,
) -> list[FieldReading]:
    """Read the fields of ``layout`` placed on its page ``form_page`` from a scanned page (the
    readings say ``page``, the scan's page); an empty box reads ``""`` at 0.0.

    ``blank`` is the office's blank form at the same pixels as the (registered) page: what it
    printed inside a box (a hint such as "mm/dd/yyyy", a label, comb dividers) is taken out
    before the box is read, so it does not become characters.

    The written fields are read in order until enough letters are seen to tell typing from
    handwriting in BLOCK LETTERS, as the form asks for. Handwriting is read with capitals only,
    so a capital drawn like a small letter ("i", "w") is not read as one, and read a second way
    (see ``_SECOND_READ_WIDTH``), so where the two readings differ a person checks the field.
    """
    sheet = _sheet(image, layout.page_size(form_page), blank)
    fields = layout.fields_on(form_page)
    readings: dict[int, FieldReading] = {}
    written = [i for i, f in enumerate(fields) if f.kind not in ("checkbox", "comb")]
    handwriting = decided = False
    for i in written:
        readings[i] = _read_field(sheet, fields[i], page, capitals=handwriting)
        texts = [r.text for r in readings.values()]
        letters = sum(ch.isalpha() for text in texts for ch in text)
        share = _capitals_share(texts)
        clear = letters >= _LETTERS_TO_DECIDE and not _UNCLEAR_SHARE[0] < share < _UNCLEAR_SHARE[1]
        if not decided and (clear or i == written[-1]):
            decided = True
            handwriting = share >= BLOCK_CAPITALS_SHARE
            if handwriting:  # read again what was read before it was known
                readings = {j: _read_field(sheet, fields[j], page, capitals=True) for j in readings}
    for i, field in enumerate(fields):
        if i not in readings:
            readings[i] = _read_field(sheet, field, page)
    return [readings[i] for i in range(len(fields))]


def _sheet(image: Image.Image, size_mm: tuple[float, float], blank: Image.Image | None) -> _Sheet:
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    scale = (gray.shape[1] / size_mm[0], gray.shape[0] / size_mm[1])
    if blank is None:
        return _Sheet(gray, scale)
    printed = np.asarray(blank.convert("L").resize(image.size), dtype=np.uint8)
    shift = max(2, round(_SHIFT_MM * scale[0]))
    paper = int(np.median(printed))
    padded = cv2.copyMakeBorder(printed, *(shift,) * 4, cv2.BORDER_CONSTANT, value=paper)
    return _Sheet(gray, scale, np.asarray(padded, dtype=np.uint8), shift)


def _capitals_share(texts: Iterable[str]) -> float:
    letters = [ch for text in texts for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0


def _capitals_only(allowlist: str | None) -> str:
    return "".join(ch for ch in (allowlist or _ANY_CHARACTER) if not ch.islower())


def _read_field(
    sheet: _Sheet, field: FormField, page: int, *, capitals: bool = False
) -> FieldReading:
    if field.kind == "checkbox":
        return _read_checkbox(sheet, field, page)
    if field.kind == "comb":
        return _read_comb(sheet, field, page)
    zone = _zone(sheet, field)
    ink = find_ink(zone.image)
    if ink is None:
        x1, y1 = zone.x0 + zone.image.shape[1], zone.y0 + zone.image.shape[0]
        return FieldReading(field.field, "", 0.0, page, (zone.x0, zone.y0, x1, y1), ENGINE_VERSION)
    x0, y0, x1, y1 = ink
    allowlist = _capitals_only(field.allowlist) if capitals else field.allowlist
    line = zone.image[y0:y1, x0:x1]
    text, confidence = _recognise(line, allowlist, handwriting=capitals)
    second = None
    if capitals and confidence < _SURE_OF_HANDWRITING:
        narrow = cv2.resize(line, None, fx=_SECOND_READ_WIDTH, fy=1.0, interpolation=cv2.INTER_AREA)
        second, _ = _recognise(np.asarray(narrow, dtype=np.uint8), allowlist, handwriting=True)
    bbox = (zone.x0 + x0, zone.y0 + y0, zone.x0 + x1, zone.y0 + y1)
    engine = HANDWRITING_ENGINE if capitals else ENGINE_VERSION
    return FieldReading(field.field, text, confidence, page, bbox, engine, second)


def _read_checkbox(sheet: _Sheet, field: FormField, page: int) -> FieldReading:
    """Ticked or not, by the share of ink inside the box; unsure when it is in between.

    A tick or cross covers 5-25% of the inside of the box; scanner noise and a stray speck stay
    well under 1%. The confidence falls to 0 halfway between, where a person must look.
    """
    zone = _zone(sheet, field, inset_share=_CHECKBOX_INSET, clean=False)
    ink = _without_frame(_ink_mask(zone.image, paper=_paper(sheet.gray)) > 0)
    ratio = float(np.mean(ink)) if ink.size else 0.0
    confidence = min(1.0, abs(ratio - _TICK_SHARE) / _TICK_SHARE)
    x1, y1 = zone.x0 + zone.image.shape[1], zone.y0 + zone.image.shape[0]
    text = "yes" if ratio > _TICK_SHARE else "no"
    return FieldReading(field.field, text, confidence, page, (zone.x0, zone.y0, x1, y1), ENGINE)


def _without_frame(ink: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The checkbox's ink less the rows and columns at its edges inked nearly end to end: the
    printed frame, when the page is a millimetre off. A box filled in solid keeps its middle."""
    ink = ink.copy()
    band = max(1, min(ink.shape) // 4)
    for lines in (ink, ink.T):  # rows, then columns (a view: clearing it clears ``ink``)
        for order in (range(band), range(len(lines) - 1, len(lines) - 1 - band, -1)):
            for i in order:
                if lines[i].mean() <= _FRAME_SHARE:
                    break
                lines[i] = False
    return ink


def _read_comb(sheet: _Sheet, field: FormField, page: int) -> FieldReading:
    """One character per printed cell, read as one line: the cells' ink set side by side.

    Each cell is cleaned and cropped to its ink on its own, so no divider and no gap the width
    of a cell reaches the recogniser, which then reads the value as it would a typed word.
    """
    zone = _zone(sheet, field)  # the frame and the dividers removed along the whole box
    cells = field.cells or 1
    x_mm, _, w_mm, _ = field.box_mm
    pieces: list[Gray] = []
    boxes: list[tuple[int, int, int, int]] = []
    for i in range(cells):
        left = max(0, round((x_mm + i * w_mm / cells) * sheet.scale[0]) - zone.x0)
        right = round((x_mm + (i + 1) * w_mm / cells) * sheet.scale[0]) - zone.x0
        cell = zone.image[:, left:right]
        ink = find_ink(cell)
        if ink is not None:
            cx0, cx1 = ink[0] + _PAD_PX, ink[2] - _PAD_PX  # tight: the gap is set below
            cx0, cx1 = (cx0, cx1) if cx1 > cx0 else (ink[0], ink[2])
            pieces.append(cell[:, cx0:cx1])
            box = (zone.x0 + left + cx0, zone.y0, zone.x0 + left + cx1, zone.y0 + cell.shape[0])
            boxes.append(box)
    if not pieces:
        x1, y1 = zone.x0 + zone.image.shape[1], zone.y0 + zone.image.shape[0]
        return FieldReading(field.field, "", 0.0, page, (zone.x0, zone.y0, x1, y1), ENGINE)
    line = _side_by_side(pieces)
    ink = find_ink(line)
    assert ink is not None  # the pieces hold ink
    lx0, ly0, lx1, ly1 = ink
    text, confidence = _recognise(line[ly0:ly1, lx0:lx1], field.allowlist)
    bbox = (boxes[0][0], boxes[0][1], boxes[-1][2], boxes[-1][3])
    return FieldReading(field.field, text.replace(" ", ""), confidence, page, bbox, ENGINE)


def _side_by_side(pieces: list[Gray]) -> Gray:
    height = max(piece.shape[0] for piece in pieces)
    gap = max(2, height // 7)  # about the spacing of typed characters
    paper = np.uint8(np.median(np.concatenate([p.ravel() for p in pieces])))
    row: list[Gray] = []
    for piece in pieces:
        padded = np.full((height, piece.shape[1] + gap), paper, dtype=np.uint8)
        padded[: piece.shape[0], gap:] = piece
        row.append(padded)
    return np.hstack(row)


def _paper(gray: Gray) -> float:
    return float(np.median(gray))


def _zone(
    sheet: _Sheet,
    field: FormField,
    *,
    inset_share: float = 0.0,
    clean: bool = True,
) -> _Zone:
    x, y, w, h = field.box_mm
    if inset_share:
        inset = inset_share * min(w, h) - _INSET_MM
        x, y, w, h = x + inset, y + inset, w - 2 * inset, h - 2 * inset
    sx, sy = sheet.scale
    x0, y0 = round((x + _INSET_MM) * sx), round((y + _INSET_MM) * sy)
    x1, y1 = round((x + w - _INSET_MM) * sx), round((y + h - _INSET_MM) * sy)
    x0, y0 = max(0, x0), max(0, y0)
    rule_px = round(_RULE_MM * sx)
    crop = _less_blank(sheet, sheet.gray[y0:y1, x0:x1], x0, y0, rule_px=rule_px)
    return _Zone(_remove_rules(crop, rule_px=rule_px) if clean else crop, x0, y0)


def _less_blank(sheet: _Sheet, crop: Gray, x0: int, y0: int, *, rule_px: int) -> Gray:
    """The crop with what the blank form printed there painted the colour of the paper.

    Only printed marks are taken out (a hint, a label, a logo): printed ruling (the frame, comb
    dividers) is left to ``_remove_rules``, which follows the ruling where the scan has it, so
    writing that touches a divider keeps its strokes.

    Registration is good to about a millimetre, so the blank's ink is first slid over the crop
    (up to ``sheet.shift`` pixels each way) to where it covers the scan's ink best, then taken
    out a pixel wider than drawn. Writing that crosses a printed stroke loses only that stroke's
    width. A box with nothing printed inside (most of them) is left as it is.
    """
    if sheet.blank is None or crop.size == 0:
        return crop
    h, w = crop.shape
    reach = sheet.shift
    printed = _ink_mask(sheet.blank[y0 : y0 + h + 2 * reach, x0 : x0 + w + 2 * reach])
    printed[_rules(printed, rule_px=rule_px) > 0] = 0
    written = _ink_mask(crop)
    if not printed.any() or not written.any():
        return crop
    score = cv2.matchTemplate(printed.astype(np.float32), written.astype(np.float32), cv2.TM_CCORR)
    _, best, _, (dx, dy) = cv2.minMaxLoc(score)
    if best <= 0:  # no printed stroke meets the writing: take the blank where registration put it
        dx = dy = reach
    under = cv2.dilate(printed[dy : dy + h, dx : dx + w], np.ones((3, 3), np.uint8))
    cleaned = crop.copy()
    cleaned[under > 0] = np.uint8(np.median(crop))
    return cleaned


def _ink_mask(crop: Gray, *, paper: float | None = None) -> Gray:
    paper = float(np.median(crop)) if paper is None else paper
    return np.where(crop < paper - _INK_DELTA, 255, 0).astype(np.uint8)


def _remove_rules(crop: Gray, *, rule_px: int) -> Gray:
    """Paint printed frame lines (long thin horizontal or vertical ink) the colour of the paper.

    Lines are found by morphological opening with a long thin kernel; a character's strokes are
    far shorter than the kernel so they survive. Works on a skew of a degree or two, because a
    thin line stays within a pixel or two over the kernel's length.
    """
    if crop.size == 0:
        return crop
    rules = _rules(_ink_mask(crop), rule_px=rule_px)
    cleaned = crop.copy()
    cleaned[rules > 0] = np.uint8(np.median(crop))
    return cleaned


def _rules(mask: Gray, *, rule_px: int) -> Gray:
    """The long thin horizontal and vertical lines of an ink mask, a pixel wider than found."""
    h = mask.shape[0]
    horizontal = cv2.getStructuringElement(cv2.MORPH_RECT, (max(15, rule_px), 1))
    vertical = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(15, int(h * 0.7))))
    rules = cv2.bitwise_or(
        cv2.morphologyEx(mask, cv2.MORPH_OPEN, horizontal),
        cv2.morphologyEx(mask, cv2.MORPH_OPEN, vertical),
    )
    return np.asarray(cv2.dilate(rules, np.ones((3, 3), np.uint8)), dtype=np.uint8)


def find_ink(crop: Gray) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1) of the writing in a cleaned crop, padded; None if blank."""
    if crop.size == 0:
        return None
    count, _, stats, _ = cv2.connectedComponentsWithStats(_ink_mask(crop), connectivity=8)
    keep = [
        stats[i]
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= _MIN_SPECK_PX and not _is_edge_sliver(stats[i], crop)
    ]
    if not keep:
        return None
    boxes = np.array([[s[0], s[1], s[0] + s[2], s[1] + s[3]] for s in keep])
    h, w = crop.shape
    x0, y0 = boxes[:, :2].min(axis=0) - _PAD_PX
    x1, y1 = boxes[:, 2:].max(axis=0) + _PAD_PX
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))


def _is_edge_sliver(stat: NDArray[np.int32], crop: Gray) -> bool:
    """A remnant of the frame at the crop's edge: touches the border and is only a line thick."""
    x, y, w, h = (int(v) for v in stat[:4])
    height, width = crop.shape
    touches = x == 0 or y == 0 or x + w >= width or y + h >= height
    return touches and (min(w, h) <= _SLIVER_PX or int(stat[cv2.CC_STAT_AREA]) < 4 * _SLIVER_PX)


def _recognise(
    line: Gray, allowlist: str | None, *, handwriting: bool = False
) -> tuple[str, float]:
    h, w = line.shape
    with inference(handwriting=handwriting) as reader:
        result: list[Any] = reader.recognize(
            line, horizontal_list=[[0, w, 0, h]], free_list=[], allowlist=allowlist, detail=1
        )
    if not result:
        return "", 0.0
    _, text, confidence = result[0]
    return tidy_spacing(str(text)), float(confidence)


def tidy_spacing(text: str) -> str:
    """Undo the recogniser's stray spaces around punctuation, as in ``FSD - 2026`` or ``Road ,``.

    Also repairs the one letter-for-digit confusion that a layout cannot catch: ``I/F`` for ``1/F``.

    Wide typewriter spacing makes easyocr insert a space next to narrow punctuation; nobody writes
    a space before a comma or inside a bracket, or around the hyphen of a reference number; and the
    recogniser sometimes doubles a bracket.
    """
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    text = re.sub(r"([()\[\]])\1+", r"\1", text)  # "((8)" -> "(8)": nobody writes a double bracket
    text = re.sub(r"\s*([-/])\s*", r"\1", text)
    # A Hong Kong floor is G/F or a number: "I/F" is always a misread "1/F" (~3% of addresses).
    return re.sub(r"(?<![A-Za-z])[Il|](?=/F\b)", "1", text)
