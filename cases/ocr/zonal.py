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
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cases.catalogue import FormField, FormLayout
from cases.ocr.crops import (
    INK_DELTA,
    PAD_PX,
    Gray,
    Sheet,
    Zone,
    cut_zone,
    find_ink,
    ink_mask,
    line_bands,
    page_sheet,
)
from cases.ocr.reader import ENGINE_VERSION, HANDWRITING_ENGINE, FieldReading, inference

__all__ = ["COMB_MISCOUNT_CONFIDENCE", "read_form", "tidy_spacing"]

#: A comb reading whose character count is not the count of cells written in is this sure.
COMB_MISCOUNT_CONFIDENCE = 0.05
_CHECKBOX_INSET = 0.18  # share of a checkbox's side left out at each edge: the printed frame
_FRAME_SHARE = 0.8  # of a checkbox row or column inked: the frame, not a mark
_TICK_SHARE = 0.03  # share of a checkbox's inside covered by ink above which it is ticked
_CHECKBOX_OUTSET_MM = 0.5  # a checkbox is cut this much wider than drawn: its outline whole
# A checkbox's inside is judged this far from its outline: a frame or ring is ~0.2-0.4 mm thick
# and the shading a viewer draws inside a button's ring reaches ~0.3 mm further.
_RIM_MM = 0.7
_MIN_ENCLOSED_SHARE = 0.4  # of the box's area, enclosed by a printed outline for it to count
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
_ANY_CHARACTER = string.ascii_letters + string.digits + " ,./-'()&#:;!?\"$%+"
#: What a number, a date, an amount or a telephone number is written with.
_NUMBER_CHARACTERS = string.digits + " ,./-:"
#: What a comb's cells hold, unless the layout says otherwise: a letter or a digit each.
_COMB_CHARACTERS = string.ascii_letters + string.digits
_BRACKETS = "()[]"
# A handwritten number grouped in threes by points: a comma written small reads as a point, and
# no amount is written to three decimals. Read as thousands; unless the print recogniser saw
# the commas too, the reading with points stays beside it, so a person checks.
_THOUSANDS_WITH_POINTS = re.compile(r"\d{1,3}(\.\d{3})+")
ENGINE = ENGINE_VERSION


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
    sheet = page_sheet(image, layout.page_size(form_page), blank)
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


def _capitals_share(texts: Iterable[str]) -> float:
    letters = [ch for text in texts for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0


def _capitals_only(allowlist: str | None) -> str:
    return "".join(ch for ch in (allowlist or _ANY_CHARACTER) if not ch.islower())


def _read_field(
    sheet: Sheet, field: FormField, page: int, *, capitals: bool = False
) -> FieldReading:
    if field.kind == "checkbox":
        return _read_checkbox(sheet, field, page)
    if field.kind == "comb":
        return _read_comb(sheet, field, page)
    zone = cut_zone(sheet, field)
    bands = line_bands(zone.image) if field.kind == "multiline" else [(0, zone.image.shape[0])]
    readings = [_read_line(zone, field, page, band, capitals=capitals) for band in bands]
    found = [r for r in readings if r.text or r.confidence]
    if len(found) <= 1:
        return found[0] if found else readings[0]
    boxes = [r.bbox for r in found]
    bbox = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    seconds = [r.second_text or r.text for r in found]
    return FieldReading(
        field.field,
        " ".join(r.text for r in found),
        min(r.confidence for r in found),  # the field is as sure as its least sure line
        page,
        bbox,
        found[0].engine,
        " ".join(seconds) if any(r.second_text is not None for r in found) else None,
    )


def _read_line(
    zone: Zone, field: FormField, page: int, band: tuple[int, int], *, capitals: bool
) -> FieldReading:
    """One written line of a box: the rows ``band`` of its cleaned crop."""
    top, bottom = band
    inside = None
    if zone.inner is not None:
        x0, y0, x1, y1 = zone.inner
        inside = (x0, y0 - top, x1, y1 - top)
    ink = find_ink(zone.image[top:bottom], inside)
    if ink is None:
        x1, y1 = zone.x0 + zone.image.shape[1], zone.y0 + bottom
        return FieldReading(field.field, "", 0.0, page, (zone.x0, zone.y0 + top, x1, y1), ENGINE)
    x0, y0, x1, y1 = ink
    line = zone.image[top:bottom][y0:y1, x0:x1]
    bbox = (zone.x0 + x0, zone.y0 + top + y0, zone.x0 + x1, zone.y0 + top + y1)
    if capitals:
        return _read_handwritten_line(line, field, page, bbox)
    text, confidence = _recognise(line, field.allowlist)
    second = None
    if ";" in text and (field.allowlist is None or ";" in field.allowlist):
        # Nobody fills a box with a semicolon; a typed comma read as one (``Street; Madison``)
        # is sure of itself. Read again without it, the first reading kept beside it: a person
        # checks the field.
        second = text
        allowlist = "".join(ch for ch in field.allowlist or _ANY_CHARACTER if ch != ";")
        text, confidence = _recognise(line, allowlist)
    return FieldReading(field.field, text, confidence, page, bbox, ENGINE_VERSION, second)


def _read_handwritten_line(
    line: Gray, field: FormField, page: int, bbox: tuple[int, int, int, int]
) -> FieldReading:
    """A line written by hand in block capitals, read by the handwriting recogniser and checked
    against what such a value can be.

    - A bracket that opens or closes nothing is not written: it is a ``1`` with a pen's hook
      (``7818)``), so the line is read again without brackets.
    - A value whose every word holds a digit (a date, an amount, a number) is read a second
      time by the print recogniser, allowed only the characters numbers are written with: it
      tells a handwritten ``1`` from a ``9`` where the handwriting one does not (``91759`` for
      ``11759``). Where both readings have the same punctuation in the same places, the surer
      is kept; otherwise the handwriting reading is (the print one drops or swaps commas).
      Where the two differ a person checks the field, whichever is kept.
    - Otherwise a line the first reading is not sure of is read by the print recogniser too
      (``_read_by_print_too``) and, where the two agree, again squeezed (see
      ``_SECOND_READ_WIDTH``); two readings that differ send the field to a person.
    """
    allowlist = _capitals_only(field.allowlist)
    text, confidence = _recognise(line, allowlist, handwriting=True)
    if _unmatched_bracket(text):
        allowlist = "".join(ch for ch in allowlist if ch not in _BRACKETS)
        text, confidence = _recognise(line, allowlist, handwriting=True)
    second = None
    sure = confidence >= _SURE_OF_HANDWRITING
    if text and all(any(ch.isdigit() for ch in word) for word in text.split()):
        numbers = "".join(ch for ch in _NUMBER_CHARACTERS if ch in allowlist)
        printed, printed_confidence = _recognise(line, numbers)
        if _punctuation(printed) == _punctuation(text) and printed_confidence > confidence:
            text, confidence, printed = printed, printed_confidence, text
        if _THOUSANDS_WITH_POINTS.fullmatch(text):  # "48.959": a pen's comma read as a point
            text, printed = text.replace(".", ","), printed if printed != text else text
        second = printed if printed != text else None
    elif text and not sure:
        text, confidence, second = _read_by_print_too(line, allowlist, text, confidence)
    if second is None and not sure:
        narrow = cv2.resize(line, None, fx=_SECOND_READ_WIDTH, fy=1.0, interpolation=cv2.INTER_AREA)
        second, _ = _recognise(np.asarray(narrow, dtype=np.uint8), allowlist, handwriting=True)
    return FieldReading(field.field, text, confidence, page, bbox, HANDWRITING_ENGINE, second)


def _read_by_print_too(
    line: Gray, allowlist: str, text: str, confidence: float
) -> tuple[str, float, str | None]:
    """An unsure handwritten line read by the print recogniser too, with the same capitals: the
    text, its confidence and the other reading where the two differ (None where they agree).

    The handwriting recogniser can be wrong the same way however the line is squeezed (``M``
    read ``N`` twice: ``TONAS``); the print one learnt from other shapes, so its mistakes are
    other ones. Where the two differ a person checks the field, and the surer reading is the
    one shown: on the benchmark's unsure lines the print one was surer where it was right.
    """
    printed, printed_confidence = _recognise(line, allowlist)
    if printed == text:
        return text, confidence, None
    if printed and printed_confidence > confidence:
        return printed, printed_confidence, text
    return text, confidence, printed


def _unmatched_bracket(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch in "([") - (ch in ")]")
        if depth < 0:
            return True
    return depth != 0


def _punctuation(text: str) -> list[tuple[int, str]]:
    """Where a reading's characters other than digits are, and which they are."""
    return [(i, ch) for i, ch in enumerate(text) if not ch.isdigit()]


def _read_checkbox(sheet: Sheet, field: FormField, page: int) -> FieldReading:
    """Ticked or not, by the share of the box's inside that a dark mark covers; unsure when it
    is in between.

    The inside is what the box's printed outline encloses, whatever its shape (a square frame,
    a radio button's ring), less a rim along the outline: a viewer draws a filled form's buttons
    with a shaded ring that the blank does not hold, and that shading is not a mark. Only ink
    at least half as dark as the darkest in the box counts, so grey shading spread over the box
    is not a tick either. Where no closed outline is printed, the middle of the box is judged.

    A tick or cross covers 5-25% of the inside of the box; scanner noise and a stray speck stay
    well under 1%. The confidence falls to 0 halfway between, where a person must look.
    """
    zone = cut_zone(sheet, field, outset_mm=_CHECKBOX_OUTSET_MM, clean=False)
    _, _, w_mm, h_mm = field.box_mm
    sx, sy = sheet.scale
    rim_px = max(1, round(_RIM_MM * sx))
    box_px = round(w_mm * sx * h_mm * sy)
    inside = _inside_outline(zone.image, sheet.paper, box_px=box_px, rim_px=rim_px)
    if inside is not None:
        ink, where = _dark_ink(zone.image, sheet.paper), inside
    else:
        zone = cut_zone(sheet, field, inset_share=_CHECKBOX_INSET, clean=False)
        ink = _without_frame(ink_mask(zone.image, paper=sheet.paper) > 0)
        where = np.ones_like(ink)
    ratio = float(np.mean(ink[where])) if where.any() else 0.0
    confidence = min(1.0, abs(ratio - _TICK_SHARE) / _TICK_SHARE)
    x1, y1 = zone.x0 + zone.image.shape[1], zone.y0 + zone.image.shape[0]
    text = "yes" if ratio > _TICK_SHARE else "no"
    return FieldReading(field.field, text, confidence, page, (zone.x0, zone.y0, x1, y1), ENGINE)


def _dark_ink(crop: Gray, paper: float) -> NDArray[np.bool_]:
    """Ink at least half as dark as the darkest in the crop: a pen's or a printer's mark, not
    the grey shading a viewer draws inside a button."""
    darkest = float(np.percentile(crop, 1))
    return np.asarray(crop < paper - max(INK_DELTA, (paper - darkest) / 2))


def _inside_outline(
    crop: Gray, paper: float, *, box_px: int, rim_px: int
) -> NDArray[np.bool_] | None:
    """The pixels that a closed printed outline (a frame, a ring) encloses, at least ``rim_px``
    away from it; None where it encloses less than a box of ``box_px`` pixels would (no outline
    printed, or one the scan broke)."""
    ink = _dark_ink(crop, paper).astype(np.uint8)
    reached = np.pad(ink, 1)  # the crop's edge is paper all round
    cv2.floodFill(reached, None, (0, 0), 2)
    enclosed = (reached[1:-1, 1:-1] != 2).astype(np.uint8)  # the outline and all it holds
    if enclosed.sum() < _MIN_ENCLOSED_SHARE * box_px:
        return None
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rim_px + 1, 2 * rim_px + 1))
    inside = cv2.erode(enclosed, disc, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    return inside if inside.any() else None


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


def _read_comb(sheet: Sheet, field: FormField, page: int) -> FieldReading:
    """One character per printed cell, read as one line: the cells' ink set side by side.

    Each cell is cleaned and cropped to its ink on its own, so no divider and no gap the width
    of a cell reaches the recogniser, which then reads the value as it would a typed word.
    The cells written in say how many characters there are: a reading with more or fewer
    (``1l`` read as one character, a speck read as one) is given a confidence under any
    field's threshold, so a person checks it.
    """
    zone = cut_zone(sheet, field)  # the frame and the dividers removed along the whole box
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
            cx0, cx1 = ink[0] + PAD_PX, ink[2] - PAD_PX  # tight: the gap is set below
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
    written = line[ly0:ly1, lx0:lx1]
    text, confidence = _recognise(written, field.allowlist)
    text = text.replace(" ", "")
    second = None
    digits = sum(ch.isdigit() for ch in text)
    if field.allowlist is None and (not text.isalnum() or len(text) > digits > len(text) / 2):
        # Punctuation, or a letter among digits: no cell holds a comma, and a number does not
        # hold a letter; it is a stroke misread (a hooked ``1`` read ``)``, a ``4`` read
        # ``1,``). Read again allowed only what the cells can hold; the first reading stays
        # beside it, so a person checks the field.
        second = text
        allowed = string.digits if digits * 2 > len(text) else _COMB_CHARACTERS
        text, confidence = _recognise(written, allowed)
        text = text.replace(" ", "")
    if len(text) != len(pieces):  # a character lost or made up: the cells say how many there are
        confidence = min(confidence, COMB_MISCOUNT_CONFIDENCE)
    elif second is None:
        second, confidence = _comb_checked(line, written, pieces, field, text, confidence)
    bbox = (boxes[0][0], boxes[0][1], boxes[-1][2], boxes[-1][3])
    return FieldReading(field.field, text, confidence, page, bbox, ENGINE, second)


def _comb_checked(
    line: Gray, written: Gray, pieces: list[Gray], field: FormField, text: str, confidence: float
) -> tuple[str | None, float]:
    """A comb reading of the right length, checked: the other reading (None where all agree)
    and the confidence.

    Each cell read alone too (one batched call): read in a row, a damaged character is
    guessed from its neighbours, sure of itself (a ``9`` whose bowl touches a comb divider
    read ``5``); alone, it is read unsure. The comb is as sure as its least sure cell, and
    where the cells read alone, or the row read by the other recogniser, say something
    else, a person checks it.
    """
    cells_text, cells_confidence = _recognise_cells(line, pieces, field.allowlist)
    confidence = min(confidence, cells_confidence)
    if cells_text != text:
        return cells_text, confidence
    other, _ = _recognise(written, field.allowlist, handwriting=True)
    other = other.replace(" ", "")
    return (other if other != text else None), confidence


def _side_by_side(pieces: list[Gray]) -> Gray:
    height = max(piece.shape[0] for piece in pieces)
    gap = _gap(pieces)
    paper = np.uint8(np.median(np.concatenate([p.ravel() for p in pieces])))
    row: list[Gray] = []
    for piece in pieces:
        padded = np.full((height, piece.shape[1] + gap), paper, dtype=np.uint8)
        padded[: piece.shape[0], gap:] = piece
        row.append(padded)
    return np.hstack(row)


def _gap(pieces: list[Gray]) -> int:
    """The paper set before each cell's ink: about the spacing of typed characters."""
    return max(2, max(int(piece.shape[0]) for piece in pieces) // 7)


def _recognise_cells(line: Gray, pieces: list[Gray], allowlist: str | None) -> tuple[str, float]:
    """The comb's cells, set side by side in ``line`` by ``_side_by_side``, each read alone: the
    characters joined ("?" for a cell read as nothing) and the least sure cell's confidence."""
    h, _ = line.shape
    gap = _gap(pieces)
    boxes, left = [], 0
    for piece in pieces:
        right = left + gap + piece.shape[1]
        boxes.append([max(0, left + gap // 2), min(line.shape[1], right + gap // 2), 0, h])
        left = right
    with inference() as reader:
        result: list[Any] = reader.recognize(
            line, horizontal_list=boxes, free_list=[], allowlist=allowlist, detail=1
        )
    read = sorted((float(box[0][0]), str(text), float(conf)) for box, text, conf in result)
    if len(read) != len(pieces):
        return "", 0.0
    return "".join(text.strip() or "?" for _, text, _ in read), min(c for _, _, c in read)


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

    Also repairs the one letter-for-digit confusion that a layout cannot catch: ``I/F`` for ``1/F``;
    joins an amount's thousands (``30, 921``) and drops a lone ``_`` (a rule's remains).

    Wide typewriter spacing makes easyocr insert a space next to narrow punctuation; nobody writes
    a space before a comma or inside a bracket, or around the hyphen of a reference number; and the
    recogniser sometimes doubles a bracket.
    """
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    text = re.sub(r"([()\[\]])\1+", r"\1", text)  # "((8)" -> "(8)": nobody writes a double bracket
    text = re.sub(r"\s*([-/])\s*", r"\1", text)
    # A number grouped in thousands is one word: "30, 921" is "30,921" (typed amounts are
    # spaced wide enough for the recogniser to see a word break after the comma).
    if re.fullmatch(r"\d{1,3}(,\s*\d{3})+(\.\d+)?", text):
        text = re.sub(r",\s+", ",", text)
    # Underscores standing alone are what is left of a box's bottom rule, never written.
    text = " ".join(word for word in text.split() if word.strip("_"))
    # A Hong Kong floor is G/F or a number: "I/F" is always a misread "1/F" (~3% of addresses).
    return re.sub(r"(?<![A-Za-z])[Il|](?=/F\b)", "1", text)
