"""Reading a whole page with easyocr's text detector, for pages with no usable layout.

Detection (CRAFT) costs time in proportion to the pixels (~25 s for an A4 page at 150 dpi on two
cores), so the page is scaled down to at most ``max_width`` pixels first; typed text stays legible
at ~100 dpi. Boxes are returned in the given image's pixels.

:func:`read_document_lines` is the cheaper variant for supporting documents: it crops the page to
its ink first (half an A4 letter is often blank), detects on the reduced page, but recognises each
line from the full-resolution page (the recogniser scales every line to the same height, so this
costs nothing and reads small print better), and it can leave running text unread. Recognition
time grows with a line's length, and a paragraph's full-width lines cost more than all the
labels and values together while holding none of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cases.documents import TextLine
from cases.ocr.reader import inference

__all__ = ["ink_box", "read_box", "read_document_lines", "read_page_lines"]

_INK_MARGIN = 12  # pixels kept around the ink when a page is cropped
# CRAFT's defaults (low_text 0.4, min_size 20) split a typed line into words and then drop a word
# as short as "1" or "27": "27 December 2027" read as "December 2027". A lower low-text threshold
# links the words of a line into one box (fewer, longer boxes: also fewer recognitions), and a
# smaller minimum keeps a lone short word.
_DETECT_OPTIONS = {"low_text": 0.3, "min_size": 10}


def read_page_lines(image: Image.Image, *, max_width: int | None = 1000) -> list[TextLine]:
    """Every line of text easyocr finds on the page, in reading order."""
    gray = image.convert("L")
    factor = 1.0
    if max_width is not None and gray.width > max_width:
        factor = gray.width / max_width
        gray = gray.resize((max_width, round(gray.height / factor)), Image.Resampling.LANCZOS)
    with inference() as reader:
        result: list[Any] = reader.readtext(np.asarray(gray, dtype=np.uint8), detail=1)
    lines = []
    for points, text, confidence in result:
        xs = [float(p[0]) * factor for p in points]
        ys = [float(p[1]) * factor for p in points]
        bbox = (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))
        lines.append(TextLine(" ".join(str(text).split()), float(confidence), bbox))
    return sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))


def ink_box(gray: NDArray[np.uint8]) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) around everything printed on a page, or None for a blank page."""
    ink = gray < np.median(gray) - 60
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    height, width = gray.shape
    return (
        max(0, int(cols[0]) - _INK_MARGIN),
        max(0, int(rows[0]) - _INK_MARGIN),
        min(width, int(cols[-1]) + _INK_MARGIN + 1),
        min(height, int(rows[-1]) + _INK_MARGIN + 1),
    )


def _boxes(reader: Any, small: NDArray[np.uint8], factor: float) -> tuple[list[Any], list[Any]]:
    """Detected boxes scaled to the full-resolution page: axis-aligned ones and skewed ones."""
    horizontal, free = reader.detect(small, **_DETECT_OPTIONS)
    upright = [[round(v * factor) for v in box] for box in horizontal[0]]
    skewed = [[[round(x * factor), round(y * factor)] for x, y in box] for box in free[0]]
    return upright, skewed


def _too_long(box: list[int], max_aspect: float | None) -> bool:
    x0, x1, y0, y1 = box
    return max_aspect is not None and (x1 - x0) > max_aspect * max(1, y1 - y0)


def read_document_lines(
    image: Image.Image, *, detect_width: int = 1000, max_aspect: float | None = None
) -> list[TextLine]:
    """Every line of text on a page, in reading order, in the image's pixels.

    ``detect_width`` is the width of the whole page at which text is detected (the crop is
    scaled by the same factor); lines longer than ``max_aspect`` times their height (running
    text) are left out when it is given.
    """
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    box = ink_box(gray)
    if box is None:
        return []
    x0, y0, x1, y1 = box
    page = np.ascontiguousarray(gray[y0:y1, x0:x1])
    factor = max(1.0, gray.shape[1] / detect_width)
    small = Image.fromarray(page).resize(
        (max(1, round(page.shape[1] / factor)), max(1, round(page.shape[0] / factor))),
        Image.Resampling.LANCZOS,
    )
    with inference() as reader:
        upright, skewed = _boxes(reader, np.asarray(small, dtype=np.uint8), factor)
        upright = [b for b in upright if not _too_long(b, max_aspect)]
        result: list[Any] = (
            reader.recognize(page, horizontal_list=upright, free_list=skewed, detail=1)
            if upright or skewed
            else []
        )
    lines = []
    for points, text, confidence in result:
        xs = [float(p[0]) + x0 for p in points]
        ys = [float(p[1]) + y0 for p in points]
        bbox = (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))
        lines.append(TextLine(" ".join(str(text).split()), float(confidence), bbox))
    return sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))


def read_box(image: Image.Image, bbox: tuple[int, int, int, int]) -> TextLine | None:
    """Recognise the text in one box of the page (pixels), without detection; None if empty."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    height, width = gray.shape
    x0, y0, x1, y1 = max(0, bbox[0]), max(0, bbox[1]), min(width, bbox[2]), min(height, bbox[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    with inference() as reader:
        result: list[Any] = reader.recognize(
            gray, horizontal_list=[[x0, x1, y0, y1]], free_list=[], detail=1
        )
    if not result:
        return None
    _, text, confidence = result[0]
    return TextLine(" ".join(str(text).split()), float(confidence), (x0, y0, x1, y1))
