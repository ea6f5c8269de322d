"""Cutting a field's box out of a registered page, cleaned for the recogniser.

What an office's form prints inside a box (a hint, a label, comb dividers) is taken out by
subtracting its blank form; printed ruling (the frame, dividers) is found as long thin lines
and painted the colour of the paper; what is left is cropped to its ink. Ruling left in a crop
is read as ``|``, ``I`` or ``[``; a letter's stem taken for ruling loses the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cases.catalogue import FormField

__all__ = [
    "INK_DELTA",
    "PAD_PX",
    "Gray",
    "Sheet",
    "Zone",
    "cut_zone",
    "find_ink",
    "ink_mask",
    "line_bands",
    "page_sheet",
]

Gray = NDArray[np.uint8]

_INSET_MM = 0.6  # stay inside the printed frame
PAD_PX = 4  # white margin kept around the ink; the recogniser reads tight crops worse
INK_DELTA = 28  # grey levels below the paper that count as ink (scanner noise is ~3-6)
_MIN_SPECK_PX = 6  # connected ink smaller than this is noise, not a character
_RULE_MM = 15.0  # ink running straight this long is ruling: handwritten "LL" joins up to ~6 mm
_SLIVER_PX = 6  # ink touching the crop's edge no thicker than this is what is left of the frame
_SIDE_MM = 1.0  # a written box is cut this much wider than drawn on each side
_BELOW_MM = 0.8  # ...and this much lower than drawn
_RULE_HEIGHT_SHARE = 0.9  # of a box's height: a vertical line this long is ruling, not a letter
_LINE_GAP_PX = 2  # rows without ink at least this tall part two written lines
_SHIFT_MM = 1.0  # how far the blank may sit from the registered scan inside one box
# A printed mark's width in pixels, with the pixel either side taken out with it: writing on
# both sides of a slit no wider than this runs through the mark and is put back across it.
_MARK_PX = 2


@dataclass(frozen=True)
class Sheet:
    """A registered page in grey, its pixels per millimetre, and the office's blank form at the
    same pixels (padded by twice ``shift`` on every side) when there is one to subtract."""

    gray: Gray
    scale: tuple[float, float]
    blank: Gray | None = None
    shift: int = 0

    @cached_property
    def paper(self) -> float:
        """The page's paper level (its median grey), measured once for all its boxes: a full
        page's median costs ~30 ms, which every checkbox used to pay again."""
        return float(np.median(self.gray))


@dataclass(frozen=True)
class Zone:
    """A field's crop in page pixels: the cleaned image, where it sits on the page, and the part
    of it inside the box as drawn (x0, y0, x1, y1 in the crop; None: all of it)."""

    image: Gray
    x0: int
    y0: int
    inner: tuple[int, int, int, int] | None = None


def page_sheet(
    image: Image.Image, size_mm: tuple[float, float], blank: Image.Image | None
) -> Sheet:
    """The page in grey at its pixels per millimetre, with its blank (if any) padded so it can
    be slid a little over each box."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    scale = (gray.shape[1] / size_mm[0], gray.shape[0] / size_mm[1])
    if blank is None:
        return Sheet(gray, scale)
    printed = np.asarray(blank.convert("L").resize(image.size), dtype=np.uint8)
    shift = max(2, round(_SHIFT_MM * scale[0]))
    paper = int(np.median(printed))
    padded = cv2.copyMakeBorder(printed, *(2 * shift,) * 4, cv2.BORDER_CONSTANT, value=paper)
    return Sheet(gray, scale, np.asarray(padded, dtype=np.uint8), shift)


def cut_zone(
    sheet: Sheet,
    field: FormField,
    *,
    inset_share: float = 0.0,
    outset_mm: float = 0.0,
    clean: bool = True,
) -> Zone:
    """The field's box cut from the page, cleaned of what the form printed in it.

    A written box is cut a little wider than drawn (``_SIDE_MM``): offices' forms leave small
    side margins, so a value typed flush against a side (right-aligned amounts) or running past
    it is not cut; the frame's sides that this takes in are ruling and are removed with it. It
    reaches a little below the box too (``_BELOW_MM``): a value written on a ruled line hangs its
    descenders (g, p, y) through and under the line, and a "g" without its tail reads "ci".
    ``outset_mm`` cuts the box that much wider than drawn all round, its printed outline whole.
    """
    x, y, w, h = field.box_mm
    if outset_mm:
        grow = outset_mm + _INSET_MM
        x, y, w, h = x - grow, y - grow, w + 2 * grow, h + 2 * grow
    side = -_INSET_MM
    if inset_share:
        inset = inset_share * min(w, h) - _INSET_MM
        x, y, w, h = x + inset, y + inset, w - 2 * inset, h - 2 * inset
    elif clean and field.kind in ("text", "multiline"):  # a comb's characters sit in its cells
        side = _SIDE_MM
    sx, sy = sheet.scale
    below = _INSET_MM if side < 0 else -_BELOW_MM
    x0, y0 = round((x - side) * sx), round((y + _INSET_MM) * sy)
    x1, y1 = round((x + w + side) * sx), round((y + h - below) * sy)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(sheet.gray.shape[1], x1), min(sheet.gray.shape[0], y1)
    rule_px = round(_RULE_MM * sx)
    tall = round((y + h - _INSET_MM) * sy) - y0  # the box's own rows
    lines = {"rule_px": rule_px, "tall_px": tall}
    crop = _less_blank(sheet, sheet.gray[y0:y1, x0:x1], x0, y0, **lines)
    inner = None
    if side > 0:  # widened: ink wholly in the margins is what is left of the frame, not writing
        inner = (round((x + _INSET_MM) * sx) - x0, 0, round((x + w - _INSET_MM) * sx) - x0, tall)
    return Zone(_remove_rules(crop, **lines) if clean else crop, x0, y0, inner)


def _less_blank(sheet: Sheet, crop: Gray, x0: int, y0: int, *, rule_px: int, tall_px: int) -> Gray:
    """The crop with what the blank form printed there painted the colour of the paper.

    Only printed marks are taken out (a hint, a label, a logo): printed ruling (the frame, comb
    dividers) is left to ``_remove_rules``, which follows the ruling where the scan has it, so
    writing that touches a divider keeps its strokes.

    The blank is laid where it fits the scan best (``_fitted_blank``), then its marks are taken
    out a pixel wider than drawn, except where writing runs across them (``_crossing_strokes``).
    A box with nothing printed inside (most of them) is left as it is.
    """
    if sheet.blank is None or crop.size == 0:
        return crop
    h, w = crop.shape
    reach = sheet.shift
    printed = ink_mask(_blank_around(sheet, (x0, y0, x0 + w, y0 + h), reach))
    printed[_rules(printed, rule_px=rule_px, tall_px=tall_px) > 0] = 0
    if not printed.any() or not ink_mask(crop).any():
        return crop
    dx, dy = _blank_fit(sheet, (x0, y0, x0 + w, y0 + h))
    under = cv2.dilate(printed[dy : dy + h, dx : dx + w], np.ones((3, 3), np.uint8)) > 0
    cleaned = crop.copy()
    cleaned[under & ~_crossing_strokes(crop, under)] = np.uint8(np.median(crop))
    return cleaned


def _blank_fit(sheet: Sheet, box: tuple[int, int, int, int]) -> tuple[int, int]:
    """Where the blank lies under the page pixels ``box``: the offset (0 to twice
    ``sheet.shift`` each way, ``sheet.shift`` where registration put it) of
    ``_blank_around(sheet, box, sheet.shift)`` at which its ink covers the scan's best.

    Registration is good to about a millimetre, so the blank is slid over the box and a margin
    around it, frame included: a printed mark alone can fit writing better than itself (a
    dotted comb divider slid onto the stem of a ``1`` beside it takes the ``1`` out and leaves
    the dots, read ``*``), the ruling around the box fits only where the blank truly lies.
    """
    reach = sheet.shift
    x0, y0, x1, y1 = box
    page_h, page_w = sheet.gray.shape
    cy0, cx0 = max(0, y0 - reach), max(0, x0 - reach)
    cy1, cx1 = min(page_h, y1 + reach), min(page_w, x1 + reach)
    scanned = ink_mask(sheet.gray[cy0:cy1, cx0:cx1])  # the box and its frame, as scanned
    context = ink_mask(_blank_around(sheet, (cx0, cy0, cx1, cy1), reach))
    score = cv2.matchTemplate(context.astype(np.float32), scanned.astype(np.float32), cv2.TM_CCORR)
    _, best, _, (dx, dy) = cv2.minMaxLoc(score)
    if best <= 0:  # no printed stroke meets the scan's ink: the blank where registration put it
        return reach, reach
    return int(dx), int(dy)


def _crossing_strokes(crop: Gray, under: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The scan's ink under the printed marks ``under`` that writing runs through: ink on both
    sides of the mark, across it (a stroke of a ``9`` or the flag of a ``1`` over a dotted comb
    divider), within a mark's width.

    Taking every pixel of a printed mark out (a pixel wider than drawn, for registration's
    slack) cuts a slit through whatever is written over it: a ``9`` whose bowl a divider runs
    through is read ``5``. What is written on both sides of the slit is put back across it; a
    printed mark with writing on one side only (a divider's dots beside a ``1``) is still taken
    out whole.
    """
    ink = ink_mask(crop) > 0
    kept = (ink & ~under).astype(np.uint8)
    reach = 2 * _MARK_PX + 1
    bridged = np.zeros_like(under)
    for size in ((reach, 1), (1, reach)):  # (width, height): across a vertical mark, a level one
        shape = cv2.getStructuringElement(cv2.MORPH_RECT, size)
        bridged |= cv2.morphologyEx(kept, cv2.MORPH_CLOSE, shape) > 0
    return np.asarray(bridged & under & ink, dtype=np.bool_)


def _blank_around(sheet: Sheet, box: tuple[int, int, int, int], margin: int) -> Gray:
    """The blank under the page pixels ``box`` (x0, y0, x1, y1), ``margin`` wider each way."""
    assert sheet.blank is not None
    x0, y0, x1, y1 = box
    pad = 2 * sheet.shift  # blank pixel (x + pad, y + pad) is page pixel (x, y)
    return sheet.blank[y0 + pad - margin : y1 + pad + margin, x0 + pad - margin : x1 + pad + margin]


def ink_mask(crop: Gray, *, paper: float | None = None) -> Gray:
    paper = float(np.median(crop)) if paper is None else paper
    return np.where(crop < paper - INK_DELTA, 255, 0).astype(np.uint8)


def _remove_rules(crop: Gray, *, rule_px: int, tall_px: int) -> Gray:
    """Paint printed frame lines (long thin horizontal or vertical ink) the colour of the paper.

    Lines are found by morphological opening with a long thin kernel; a character's strokes are
    far shorter than the kernel so they survive. Works on a skew of a degree or two, because a
    thin line stays within a pixel or two over the kernel's length. Writing that runs across a
    line keeps its stroke across it (``_crossing_strokes``): the flag of a ``1`` typed over a
    comb's divider used to come away from its stem, read ``*``.
    """
    if crop.size == 0:
        return crop
    rules = _rules(ink_mask(crop), rule_px=rule_px, tall_px=tall_px) > 0
    cleaned = crop.copy()
    cleaned[rules & ~_crossing_strokes(crop, rules)] = np.uint8(np.median(crop))
    return cleaned


def _rules(mask: Gray, *, rule_px: int, tall_px: int) -> Gray:
    """The long thin horizontal and vertical lines of an ink mask, a pixel wider than found.

    A vertical line is ruling only when it runs nearly the box's whole height (``tall_px``): the
    sides of the frame and a form's dividers do; the stems of ``I``, ``l``, ``d`` or ``1`` in a
    box that the writing nearly fills do not, and must not be painted out.
    """
    horizontal = cv2.getStructuringElement(cv2.MORPH_RECT, (max(15, rule_px), 1))
    vertical = cv2.getStructuringElement(
        cv2.MORPH_RECT, (1, max(15, round(tall_px * _RULE_HEIGHT_SHARE)))
    )
    rules = cv2.bitwise_or(
        cv2.morphologyEx(mask, cv2.MORPH_OPEN, horizontal),
        cv2.morphologyEx(mask, cv2.MORPH_OPEN, vertical),
    )
    return np.asarray(cv2.dilate(rules, np.ones((3, 3), np.uint8)), dtype=np.uint8)


def find_ink(
    crop: Gray, inside: tuple[int, int, int, int] | None = None
) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1) of the writing in a cleaned crop, padded; None if blank.

    With ``inside`` (the box as drawn, when the crop reaches past it), ink that does not reach
    into it is left out: a corner of the frame or a rule's end, not a character.
    """
    if crop.size == 0:
        return None
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink_mask(crop), connectivity=8)
    keep = [
        stats[i]
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= _MIN_SPECK_PX
        and not _is_edge_sliver(stats[i], crop)
        and (inside is None or _reaches_into(stats[i], inside))
    ]
    if not keep:
        return None
    boxes = np.array([[s[0], s[1], s[0] + s[2], s[1] + s[3]] for s in keep])
    h, w = crop.shape
    x0, y0 = boxes[:, :2].min(axis=0) - PAD_PX
    x1, y1 = boxes[:, 2:].max(axis=0) + PAD_PX
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))


def _reaches_into(stat: NDArray[np.int32], inside: tuple[int, int, int, int]) -> bool:
    x, y, w, h = (int(v) for v in stat[:4])
    return x < inside[2] and x + w > inside[0] and y < inside[3] and y + h > inside[1]


def _is_edge_sliver(stat: NDArray[np.int32], crop: Gray) -> bool:
    """A remnant of the frame at the crop's edge: touches the border and is only a line thick."""
    x, y, w, h = (int(v) for v in stat[:4])
    height, width = crop.shape
    touches = x == 0 or y == 0 or x + w >= width or y + h >= height
    return touches and (min(w, h) <= _SLIVER_PX or int(stat[cv2.CC_STAT_AREA]) < 4 * _SLIVER_PX)


def line_bands(crop: Gray) -> list[tuple[int, int]]:
    """The rows (top, bottom) of each written line in a cleaned crop, top first, padded.

    Lines are parted where a run of rows carries no ink; a run of ink rows lower than a third
    of the tallest (a stray speck, a descender's tip) joins the line nearest to it rather than
    making a line of its own.
    """
    if crop.size == 0:
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink_mask(crop), connectivity=8)
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= _MIN_SPECK_PX]
    rows = np.asarray(np.isin(labels, keep), dtype=bool).sum(axis=1)
    inked = [bool(n) for n in rows.tolist()]
    runs: list[list[int]] = []
    gap = _LINE_GAP_PX
    for row, ink in enumerate(inked):
        if ink and gap >= _LINE_GAP_PX:
            runs.append([row, row + 1])
        elif ink:
            runs[-1][1] = row + 1
        gap = 0 if ink else gap + 1
    tallest = max((b - a for a, b in runs), default=0)
    lines = [run for run in runs if run[1] - run[0] >= tallest / 3]
    for run in runs:
        if run not in lines:  # a fragment joins the nearest line
            near = min(lines, key=lambda line: min(abs(run[0] - line[1]), abs(line[0] - run[1])))
            near[0], near[1] = min(near[0], run[0]), max(near[1], run[1])
    height = crop.shape[0]
    return [(max(0, a - PAD_PX), min(height, b + PAD_PX)) for a, b in lines]
