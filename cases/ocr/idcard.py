"""Reading a copy of a Hong Kong identity card: the holder's name and the card number.

Card copies arrive at any position and size, so there is no fixed layout to read zonally: the card
image is scaled to about 1000 px wide (detection time grows with the pixel count) and read with
easyocr's detector and recogniser, then the number is found by its shape and the name by its place
under the "Name" label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from cases.ocr.reader import ENGINE_VERSION, INFERENCE_LOCK, FieldReading, get_reader
from cases.validators import is_valid_hkid, normalise_hkid

__all__ = ["hkid_candidates", "read_id_card"]

_MAX_WIDTH = 1000
# Letters OCR confuses with digits in the six-digit part, and with brackets around the check digit.
_TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "Z": "2",
                           "S": "5", "B": "8", "G": "6"})
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"})
_HKID_SHAPE = re.compile(r"([A-Z0-9]{1,2})([0-9A-Z]{6})[\(\[\{CIL1|]?([0-9A-Z])[\)\]\}IL1|J]?$")
_NAME_SHAPE = re.compile(r"^[A-Z]{2,}(\s+[A-Z][A-Za-z\-]*)+$")
_HEADINGS = ("HONG KONG", "IDENTITY", "PERMANENT")


@dataclass(frozen=True)
class _Line:
    text: str
    confidence: float
    bbox: tuple[int, int, int, int]


def read_id_card(image: Image.Image, *, page: int = 1) -> list[FieldReading]:
    """Readings ``id_card_name`` and ``id_card_number``; empty text at 0.0 when not found."""
    scaled, factor = _downscale(image.convert("L"))
    lines = _read_lines(np.asarray(scaled, dtype=np.uint8), factor)
    return [_name_reading(lines, page), _number_reading(lines, page)]


def _downscale(image: Image.Image) -> tuple[Image.Image, float]:
    if image.width <= _MAX_WIDTH:
        return image, 1.0
    factor = image.width / _MAX_WIDTH
    size = (_MAX_WIDTH, round(image.height / factor))
    return image.resize(size, Image.Resampling.LANCZOS), factor


def _read_lines(gray: np.ndarray[Any, Any], factor: float) -> list[_Line]:
    with INFERENCE_LOCK:
        result: list[Any] = get_reader().readtext(gray, detail=1, paragraph=False)
    lines = []
    for points, text, confidence in result:
        xs = [p[0] * factor for p in points]
        ys = [p[1] * factor for p in points]
        bbox = (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))
        lines.append(_Line(" ".join(str(text).split()), float(confidence), bbox))
    return lines


def hkid_candidates(text: str) -> list[str]:
    """Canonical HKID numbers a line of OCR text may be, best first (a valid check digit first).

    Repairs the usual confusions: O read for 0 in the digits, 0 for O in the prefix, and the
    brackets around the check digit read as I, l, 1 or dropped.
    """
    compact = re.sub(r"[\s.,:;'\"]", "", text.upper())
    found: list[str] = []
    for start in range(len(compact)):
        match = _HKID_SHAPE.match(compact[start:])
        if match is None:
            continue
        prefix, digits, check = match.groups()
        candidate = normalise_hkid(
            prefix.translate(_TO_LETTER) + digits.translate(_TO_DIGIT) + f"({_check_char(check)})"
        )
        if candidate is not None and candidate not in found:
            found.append(candidate)
    return sorted(found, key=lambda c: not is_valid_hkid(c))


def _check_char(char: str) -> str:
    return char if char == "A" else char.translate(_TO_DIGIT)


def _number_reading(lines: list[_Line], page: int) -> FieldReading:
    for line in sorted(lines, key=lambda ln: -ln.confidence):
        candidates = hkid_candidates(line.text)
        if candidates:
            return FieldReading(
                "id_card_number", candidates[0], line.confidence, page, line.bbox, ENGINE_VERSION
            )
    return FieldReading("id_card_number", "", 0.0, page, (0, 0, 0, 0), ENGINE_VERSION)


def _name_reading(lines: list[_Line], page: int) -> FieldReading:
    line = _below_label(lines, "name") or _name_shaped(lines)
    if line is None:
        return FieldReading("id_card_name", "", 0.0, page, (0, 0, 0, 0), ENGINE_VERSION)
    return FieldReading("id_card_name", line.text, line.confidence, page, line.bbox, ENGINE_VERSION)


def _below_label(lines: list[_Line], label: str) -> _Line | None:
    """The nearest line under a printed label, starting roughly where the label starts."""
    labels = [ln for ln in lines if ln.text.strip(":").lower() == label]
    if not labels:
        return None
    lx0, _, _, ly1 = labels[0].bbox
    height = labels[0].bbox[3] - labels[0].bbox[1]
    below = [
        ln for ln in lines
        if ln.bbox[1] >= ly1 - height // 2 and abs(ln.bbox[0] - lx0) <= 3 * height and ln is not labels[0]
    ]
    return min(below, key=lambda ln: ln.bbox[1], default=None)


def _name_shaped(lines: list[_Line]) -> _Line | None:
    """Fallback: the first line written as SURNAME Given Names that is not the card's heading."""
    for line in sorted(lines, key=lambda ln: ln.bbox[1]):
        if _NAME_SHAPE.match(line.text) and not any(h in line.text.upper() for h in _HEADINGS):
            return line
    return None
