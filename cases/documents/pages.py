"""The pages of a stored document, as text (a PDF's text layer) or as an upright image.

A PDF that was typed into and saved carries its text: reading its text layer takes milliseconds
and makes no OCR mistakes, so OCR is only for pages without one. Scanned PDF pages are rasterised
at the configured resolution; every frame of a multi-page TIFF is a page; photos are turned
upright by their EXIF orientation.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
from PIL import Image, ImageFile, ImageOps, ImageSequence, UnidentifiedImageError

__all__ = [
    "PageContent",
    "TextLine",
    "document_pages",
    "load_image",
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


def _pdf_pages(data: bytes, dpi: int) -> Iterator[PageContent]:
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            lines = pdf_text_lines(page)
            if sum(len(line.text) for line in lines) >= _MIN_TEXT_CHARS:
                yield PageContent(index + 1, lines=lines)
            else:
                image: Image.Image = page.render(scale=dpi / _POINTS_PER_INCH).to_pil()
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


def document_pages(data: bytes, media_type: str, *, dpi: int = 200) -> Iterator[PageContent]:
    """Every page of a document, in order. Raises ValueError when a page cannot be decoded."""
    if media_type == "application/pdf":
        try:
            yield from _pdf_pages(data, dpi)
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
