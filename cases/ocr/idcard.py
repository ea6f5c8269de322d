"""Reading a copy of a Hong Kong identity card: the holder's name and the card number.

Card copies arrive at any position and size, so there is no fixed layout to read zonally: the card
image is scaled to at most 640 px wide and read with easyocr's detector and recogniser, then the
number is found by its shape (check digit verified) and the name by its place under the "Name"
label. Detection time grows with the pixel count: ~7 s at 1000 px wide here, ~3 s at 640 px, and a
card's printing is large enough that 640 px loses nothing.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cases.documents import TextLine
from cases.ocr.pairing import merge_rows
from cases.ocr.reader import ENGINE_VERSION, FieldReading, inference
from cases.values import is_valid_hkid, normalise_hkid, repair_hkid

__all__ = ["hkid_candidates", "read_id_card"]

_MAX_WIDTH = 640
# In the six digits and the check digit, letters OCR confuses with digits; brackets read as I/l/1.
_TO_DIGIT = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "S": "5", "B": "8", "G": "6"}
)
_HKID_SHAPE = re.compile(r"([A-Z0-9]{1,2}?)([0-9OQDILSBG|]{6})[(\[{CIL1|]?([0-9A-Z])[)\]}IL1|J]?$")
_NAME_SHAPE = re.compile(r"^[A-Z]{2,}(\s+[A-Z][A-Za-z\-]*)+$")
_HEADINGS = ("HONG KONG", "IDENTITY", "PERMANENT")


def read_id_card(image: Image.Image, *, page: int = 1) -> list[FieldReading]:
    """Readings ``id_card_name`` and ``id_card_number``; empty text at 0.0 when not found."""
    scaled, factor = _downscale(image.convert("L"))
    lines = merge_rows(_read_lines(np.asarray(scaled, dtype=np.uint8), factor), same_row=_same_row)
    return [_name_reading(lines, page), _number_reading(lines, page)]


def _downscale(image: Image.Image) -> tuple[Image.Image, float]:
    if image.width <= _MAX_WIDTH:
        return image, 1.0
    factor = image.width / _MAX_WIDTH
    size = (_MAX_WIDTH, round(image.height / factor))
    return image.resize(size, Image.Resampling.LANCZOS), factor


def _read_lines(gray: NDArray[np.uint8], factor: float) -> list[TextLine]:
    with inference() as reader:
        result: list[Any] = reader.readtext(gray, detail=1, paragraph=False)
    lines = []
    for points, text, confidence in result:
        xs = [float(p[0]) * factor for p in points]
        ys = [float(p[1]) * factor for p in points]
        bbox = (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))
        lines.append(TextLine(" ".join(str(text).split()), float(confidence), bbox))
    return lines


def _same_row(left: TextLine, right: TextLine) -> bool:
    """Two detections are one line of print when they overlap vertically and nearly touch."""
    overlap = min(left.bbox[3], right.bbox[3]) - max(left.bbox[1], right.bbox[1])
    gap = right.bbox[0] - left.bbox[2]
    return overlap >= 0.6 * min(left.height, right.height) and -left.height < gap < left.height


def hkid_candidates(text: str) -> list[str]:
    """Canonical HKID numbers a line of OCR text may hold, those with a valid check digit first.

    Repairs the usual confusions: O read for 0 in the digits, a digit for a prefix letter, and the
    brackets around the check digit read as I, l, 1 or dropped.
    """
    compact = re.sub(r"[\s.,:;'\"]", "", text.upper())
    found: list[str] = []
    for start in range(len(compact)):
        match = _HKID_SHAPE.match(compact[start:])
        if match is None:
            continue
        prefix, digits, check = match.groups()
        check = check if check == "A" else check.translate(_TO_DIGIT)
        raw = f"{prefix}{digits.translate(_TO_DIGIT)}({check})"
        candidate = normalise_hkid(raw) if is_valid_hkid(raw) else repair_hkid(raw)
        candidate = candidate or normalise_hkid(raw)
        if candidate is not None and candidate not in found:
            found.append(candidate)
    return sorted(found, key=lambda c: not is_valid_hkid(c))


def _number_reading(lines: list[TextLine], page: int) -> FieldReading:
    found = [(c, ln) for ln in lines for c in hkid_candidates(ln.text)]
    if not found:
        return FieldReading("id_card_number", "", 0.0, page, (0, 0, 0, 0), ENGINE_VERSION)
    number, line = max(found, key=lambda f: (is_valid_hkid(f[0]), f[1].confidence))
    return FieldReading("id_card_number", number, line.confidence, page, line.bbox, ENGINE_VERSION)


def _name_reading(lines: list[TextLine], page: int) -> FieldReading:
    line = _below_label(lines, "name") or _name_shaped(lines)
    if line is None:
        return FieldReading("id_card_name", "", 0.0, page, (0, 0, 0, 0), ENGINE_VERSION)
    return FieldReading("id_card_name", line.text, line.confidence, page, line.bbox, ENGINE_VERSION)


def _below_label(lines: list[TextLine], label: str) -> TextLine | None:
    """The nearest line under a printed label that starts roughly where the label starts."""
    label_line = next((ln for ln in lines if ln.text.strip(" :").lower() == label), None)
    if label_line is None:
        return None
    x0, _, _, y1 = label_line.bbox
    slack = 3 * label_line.height
    below = [
        ln
        for ln in lines
        if ln is not label_line
        and ln.bbox[1] >= y1 - label_line.height // 2
        and abs(ln.bbox[0] - x0) <= slack
        and ln.bbox[1] - y1 <= slack
    ]
    return min(below, key=lambda ln: ln.bbox[1], default=None)


def _name_shaped(lines: list[TextLine]) -> TextLine | None:
    """Fallback: the first line written SURNAME Given Names that is not the card's heading."""
    for line in lines:
        if _NAME_SHAPE.match(line.text) and not any(h in line.text.upper() for h in _HEADINGS):
            return line
    return None
