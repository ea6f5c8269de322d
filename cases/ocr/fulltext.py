"""Reading a whole page with easyocr's text detector, for pages with no usable layout.

Detection (CRAFT) costs time in proportion to the pixels (~25 s for an A4 page at 150 dpi on two
cores), so the page is scaled down to at most ``max_width`` pixels first; typed text stays legible
at ~100 dpi. Boxes are returned in the given image's pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from cases.ocr.pages import TextLine
from cases.ocr.reader import inference

__all__ = ["read_page_lines"]


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
