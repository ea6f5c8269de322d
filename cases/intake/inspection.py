"""Every uploaded file inspected before anything is stored: its type by its first bytes, its size,
pages and pixels within limits, and its content decodable.

A bad file (empty, not a scan, corrupt, encrypted, too big) is refused with a message naming it and
saying what to do; nothing is written for it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
from PIL import ExifTags, Image, UnidentifiedImageError

from cases.documents import strict_decoding
from cases.errors import InvalidDocument
from cases.facts import Message
from cases.settings import get_settings

__all__ = ["ACCEPTED", "DOCUMENT_PROBLEMS", "DocumentInfo", "Upload", "inspect_upload"]


_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
]


ACCEPTED = "a PDF, PNG, JPEG or TIFF scan or photo"

# Why a file is refused: code -> the English sentence with its values (the msgid the pages
# translate; web/i18n.py lists them). The refusal carries the code and values as its fact.
DOCUMENT_PROBLEMS = {
    "not_a_document": "this is not a PDF, PNG, JPEG or TIFF scan or photo (its content is not a "
    "recognised document type)",
    "too_many_pages": "the document has %(pages)d pages, more than the %(max_pages)d accepted; "
    "upload the application form and each supporting document as separate files",
    "too_many_pixels": "the image is %(width)dx%(height)d pixels (%(megapixels)d megapixels), "
    "more than the %(max_megapixels)d megapixels accepted; scan at 300 dpi or less",
    "page_too_many_pixels": "page %(page)d of the image is %(width)dx%(height)d pixels "
    "(%(megapixels)d megapixels), more than the %(max_megapixels)d megapixels accepted; scan at "
    "300 dpi or less",
    "pdf_page_too_many_pixels": "page %(page)d is %(width_pt)dx%(height_pt)d points; read at "
    "%(dpi)d dpi that is %(width)dx%(height)d pixels (%(megapixels)d megapixels), more than the "
    "%(max_megapixels)d megapixels accepted for a page; save or scan the page at A3 size or "
    "smaller",
    "unsafe_image": "the image is too large to open safely (%(detail)s)",
    "damaged_image": "the file is damaged or incomplete and cannot be read (%(detail)s)",
    "pdf_password": "the PDF cannot be opened: it is password-protected; upload a copy without "
    "a password",
    "pdf_damaged": "the PDF cannot be opened: it is damaged or incomplete; scan or save it again "
    "and upload the new file",
    "pdf_no_pages": "the PDF has no pages",
    "empty": "the file is empty (0 bytes); upload a PDF, PNG, JPEG or TIFF scan or photo",
    "too_big": "the file is %(size)s; the limit is %(limit)s; scan at a lower resolution or "
    "split it",
}


# Each problem is a fact of its own too, so a fact that quotes a refusal (the drop box's note on
# a rejected file) nests it and says it in the reader's language.
_PROBLEM_MESSAGES = {code: Message(code, template) for code, template in DOCUMENT_PROBLEMS.items()}


def _refused(upload: Upload, code: str, **values: Any) -> InvalidDocument:
    """The refusal of ``upload`` for ``code``: the English reason and the fact behind it."""
    message = _PROBLEM_MESSAGES[code]
    fact = message(**{name: values[name] for name in message.params})  # what the text says
    return InvalidDocument(upload.filename, DOCUMENT_PROBLEMS[code] % values, fact)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    kind: str | None = None


@dataclass(frozen=True)
class DocumentInfo:
    media_type: str
    page_count: int
    width_px: int | None
    height_px: int | None


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def _media_type(upload: Upload) -> str:
    for signature, media_type in _SIGNATURES:
        if upload.data.startswith(signature):
            return media_type
    raise _refused(upload, "not_a_document")


def _check_pages(upload: Upload, pages: int, max_pages: int) -> None:
    if pages > max_pages:
        raise _refused(upload, "too_many_pages", pages=pages, max_pages=max_pages)


def _check_pixels(upload: Upload, size: tuple[int, int], max_pixels: int, page: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise _refused(
            upload,
            "page_too_many_pixels" if page > 1 else "too_many_pixels",
            page=page,
            width=width,
            height=height,
            megapixels=round(width * height / 1e6),
            max_megapixels=round(max_pixels / 1e6),
        )


_QUARTER_TURNS = (5, 6, 7, 8)  # EXIF orientations that turn the picture on its side


def _open_frames(upload: Upload, max_pixels: int, max_pages: int) -> tuple[int, int, int]:
    """Width and height of the first frame and the frame count; every frame is checked."""
    with strict_decoding(), Image.open(io.BytesIO(upload.data)) as image:
        frames = getattr(image, "n_frames", 1)
        _check_pages(upload, frames, max_pages)
        width, height = image.size
        if image.getexif().get(ExifTags.Base.Orientation) in _QUARTER_TURNS:
            width, height = height, width  # as the page is shown and read: upright
        for index in range(frames):
            image.seek(index)
            _check_pixels(upload, image.size, max_pixels, index + 1)
            image.load()
    return width, height, frames


def _inspect_image(upload: Upload, media_type: str, max_pixels: int) -> DocumentInfo:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            width, height, frames = _open_frames(
                upload, max_pixels, get_settings().max_document_pages
            )
    except InvalidDocument:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refused(upload, "unsafe_image", detail=str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refused(upload, "damaged_image", detail=str(exc)) from exc
    return DocumentInfo(media_type, frames, width, height)


def _check_pdf_pages(upload: Upload, pdf: pdfium.PdfDocument, dpi: int, max_pixels: int) -> None:
    """Each page, rasterised at ``dpi`` as extraction would, stays within the image limit."""
    for index in range(len(pdf)):
        width_pt, height_pt = pdf.get_page_size(index)
        width, height = round(width_pt * dpi / 72), round(height_pt * dpi / 72)
        if width * height > max_pixels:
            raise _refused(
                upload,
                "pdf_page_too_many_pixels",
                page=index + 1,
                width_pt=round(width_pt),
                height_pt=round(height_pt),
                dpi=dpi,
                width=width,
                height=height,
                megapixels=round(width * height / 1e6),
                max_megapixels=round(max_pixels / 1e6),
            )


def _inspect_pdf(upload: Upload) -> DocumentInfo:
    try:
        pdf = pdfium.PdfDocument(upload.data)
    except pdfium.PdfiumError as exc:
        code = "pdf_password" if "password" in str(exc).lower() else "pdf_damaged"
        raise _refused(upload, code) from exc
    try:
        pages = len(pdf)
        if pages == 0:
            raise _refused(upload, "pdf_no_pages")
        settings = get_settings()
        _check_pages(upload, pages, settings.max_document_pages)
        _check_pdf_pages(upload, pdf, settings.pdf_render_dpi, settings.max_image_pixels)
        width, height = pdf.get_page_size(0)
        return DocumentInfo("application/pdf", pages, round(width), round(height))
    finally:
        pdf.close()


def inspect_upload(upload: Upload) -> DocumentInfo:
    """Check one uploaded file without storing it; raise InvalidDocument with the reason."""
    settings = get_settings()
    if not upload.data:
        raise _refused(upload, "empty")
    if len(upload.data) > settings.max_upload_bytes:
        size, limit = _size(len(upload.data)), _size(settings.max_upload_bytes)
        raise _refused(upload, "too_big", size=size, limit=limit)
    media_type = _media_type(upload)
    if media_type == "application/pdf":
        return _inspect_pdf(upload)
    return _inspect_image(upload, media_type, settings.max_image_pixels)
