"""The pages of a stored document, as text (a PDF's text layer) or as an upright image.

A PDF that was typed into and saved carries its text: reading its text layer takes milliseconds
and makes no OCR mistakes, so OCR is only for pages without one. Scanned PDF pages are rasterised
at the configured resolution; every frame of a multi-page TIFF is a page; photos are turned
upright by their EXIF orientation.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
from PIL import Image, ImageFile, ImageOps, ImageSequence, UnidentifiedImageError

from cases.settings import get_settings

__all__ = [
    "PageContent",
    "TextLine",
    "document_pages",
    "load_image",
    "pdf_render_scale",
    "pdf_text_lines",
    "strict_decoding",
]

_POINTS_PER_INCH = 72
_MIN_TEXT_CHARS = 20  # fewer printable characters than this is a scan with a stray text object


@dataclass(frozen=True)
class TextLine:
    """A line of text found on a page, with where it is (pixels, or points for a text layer)."""

    text: str
    confidence: float
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1, origin top-left

    @property
    def height(self) -> int:
        return self.bbox[3] - self.bbox[1]


@dataclass(frozen=True)
class PageContent:
    """One page: its text layer when it has one, otherwise its image for OCR."""

    number: int
    lines: list[TextLine] | None = None
    image: Image.Image | None = None


def pdf_text_lines(page: Any) -> list[TextLine]:
    """The text runs of a PDF page with boxes in points, origin top-left (PDF's is bottom-left)."""
    textpage = page.get_textpage()
    try:
        height = page.get_height()
        lines = []
        for i in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(i)
            text = " ".join(textpage.get_text_bounded(left, bottom, right, top).split())
            if text:
                box = (round(left), round(height - top), round(right), round(height - bottom))
                lines.append(TextLine(text, 1.0, box))
        return lines
    finally:
        textpage.close()


def pdf_render_scale(size_pt: tuple[float, float], dpi: int, max_pixels: int) -> float:
    """The scale to rasterise a page of ``size_pt`` (width, height in points) at: ``dpi``, or
    less where that would pass ``max_pixels``.

    Intake refuses such pages; this keeps a document stored before that check (or a page view)
    from costing gigabytes all the same.
    """
    scale = dpi / _POINTS_PER_INCH
    area = max(size_pt[0] * size_pt[1], 1.0)
    if area * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / area) * 0.999  # rounding up never crosses the limit
    return scale


def _pdf_pages(data: bytes, dpi: int, max_pixels: int) -> Iterator[PageContent]:
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            lines = pdf_text_lines(page)
            if sum(len(line.text) for line in lines) >= _MIN_TEXT_CHARS:
                yield PageContent(index + 1, lines=lines)
            else:
                scale = pdf_render_scale(page.get_size(), dpi, max_pixels)
                image: Image.Image = page.render(scale=scale).to_pil()
                yield PageContent(index + 1, image=image.convert("RGB"))
    finally:
        pdf.close()


def _tiff_pages(data: bytes) -> Iterator[PageContent]:
    try:
        with strict_decoding(), Image.open(io.BytesIO(data)) as tiff:
            for index, frame in enumerate(ImageSequence.Iterator(tiff)):
                upright: Any = ImageOps.exif_transpose(frame)
                yield PageContent(index + 1, image=upright.convert("RGB"))
    except OSError as exc:
        raise ValueError(f"the image is damaged or truncated ({exc})") from exc


def document_pages(
    data: bytes, media_type: str, *, dpi: int = 200, max_pixels: int | None = None
) -> Iterator[PageContent]:
    """Every page of a document, in order. Raises ValueError when a page cannot be decoded.

    A PDF page is never rasterised to more than ``max_pixels`` (default: the settings' image
    limit), whatever its size in points.
    """
    if media_type == "application/pdf":
        limit = max_pixels if max_pixels is not None else get_settings().max_image_pixels
        try:
            yield from _pdf_pages(data, dpi, limit)
        except pdfium.PdfiumError as exc:
            raise ValueError(f"the PDF cannot be read ({exc})") from exc
    elif media_type == "image/tiff":
        yield from _tiff_pages(data)
    else:
        yield PageContent(1, image=load_image(data))


@contextmanager
def strict_decoding() -> Iterator[None]:
    """Refuse truncated images while decoding, whatever another library set.

    WeasyPrint sets Pillow's process-wide ``LOAD_TRUNCATED_IMAGES`` on import, after which a cut-off
    upload decodes "successfully" with its missing part grey: a damaged scan would pass intake.
    """
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def load_image(data: bytes) -> Image.Image:
    """Decode a PNG/JPEG scan or photo upright (EXIF orientation applied) as RGB.

    Raises ValueError with a reason a person can act on; callers add the file name.
    """
    if not data:
        raise ValueError("the file is empty")
    try:
        with strict_decoding(), Image.open(io.BytesIO(data)) as opened:
            opened.load()
            upright: Any = ImageOps.exif_transpose(opened)
            return upright.convert("RGB")  # type: ignore[no-any-return]
    except UnidentifiedImageError as exc:
        raise ValueError("not an image this system can read (expected PNG or JPEG)") from exc
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError(f"the image is damaged or truncated ({exc})") from exc
