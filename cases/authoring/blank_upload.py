"""A permit type's blank form brought in by an admin, and its pages as pictures for the box editor.

A flat PDF or a scanned blank (an image, made a one-page PDF) is kept beside ``form.yaml`` as
``form.pdf``, and ``form.yaml`` is rewritten to name it with its sha256 and to list its pages'
sizes: the reference every scan is registered against. Only a type that has no blank yet takes
one here; replacing a blank moves every box, so that stays a deliberate edit of the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image
from sqlmodel import Session

from cases.audit import append_event
from cases.authoring.form_editor import form_yaml_header, write_atomically
from cases.authoring.form_import import BLANK_NAME
from cases.authoring.widgets import PdfFailure, printed_size_mm, why_unopened
from cases.catalogue import FormPage, PermitType, dump_form_layout, load_catalogue
from cases.documents import load_image, pdf_render_scale
from cases.errors import InvalidInput, NotFound
from cases.settings import get_settings

__all__ = ["BLANK_UPLOADED", "StoredBlank", "blank_page_png", "store_blank"]

BLANK_UPLOADED = "catalogue.blank_uploaded"
PAGE_DPI = 110  # the editor shows an A4 page ~900 px wide: enough to place a box to 0.5 mm
_A4_WIDTH_IN = 210 / 25.4  # an image that does not say its resolution is taken as A4 wide
MAX_BLANK_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class StoredBlank:
    sha256: str  # of form.pdf
    pages: int


def _as_pdf(data: bytes) -> bytes:
    """A PDF as it is; an image (a scanned blank) as a one-page PDF of its printed size."""
    if data.startswith(b"%PDF-"):
        return data
    try:
        image = load_image(data)  # decoded whole, upright, a truncated file refused
        with Image.open(io.BytesIO(data)) as opened:
            dpi = float(opened.info.get("dpi", (0, 0))[0] or 0)
    except ValueError:
        raise InvalidInput("The blank form must be a PDF or a scanned image (PNG, JPEG).") from None
    resolution = dpi if dpi > 1 else image.width / _A4_WIDTH_IN
    out = io.BytesIO()
    image.save(out, "PDF", resolution=resolution)
    return out.getvalue()


def _unopened(why: PdfFailure) -> InvalidInput:
    if why == "encrypted":
        return InvalidInput(
            "The blank form is protected by a password: upload an unprotected copy."
        )
    if why == "damaged":
        return InvalidInput("The blank form cannot be opened: the PDF is damaged.")
    return InvalidInput("The blank form has no pages.")


def _page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise _unopened(why_unopened(exc, pdf)) from None
    try:
        sizes = [printed_size_mm(document[i]) for i in range(len(document))]
    finally:
        document.close()
    if not sizes:
        raise _unopened("no_pages")
    return sizes


def store_blank(
    session: Session, permit_type: PermitType, data: bytes, *, actor: str
) -> StoredBlank:
    """Keep ``data`` as the type's ``form.pdf`` and name it in ``form.yaml`` (with its pages).

    The boxes already drawn are kept; ``permits catalogue check`` says if one no longer fits.
    """
    if permit_type.form.blank_pdf is not None:
        raise InvalidInput("This permit type already has its blank form.")
    if len(data) > MAX_BLANK_BYTES:
        raise InvalidInput("The blank form is too large: 20 MB at most.")
    pdf = _as_pdf(data)
    sizes = _page_sizes(pdf)
    digest = hashlib.sha256(pdf).hexdigest()
    layout = permit_type.form.model_copy(
        update={
            "pages": [FormPage(size_mm=size) for size in sizes],
            "blank_pdf": BLANK_NAME,
            "blank_sha256": digest,
        }
    )
    path = permit_type.folder / "form.yaml"
    note = f"Blank {BLANK_NAME} uploaded in the admin box editor on {dt.date.today().isoformat()}."
    text = dump_form_layout(layout, header=form_yaml_header(path, note)).encode("utf-8")
    append_event(
        session,
        actor=actor,
        action=BLANK_UPLOADED,
        payload={
            "permit_type": permit_type.id,
            "file": BLANK_NAME,
            "sha256": digest,
            "pages": len(sizes),
            "form_yaml_sha256": hashlib.sha256(text).hexdigest(),
        },
    )
    write_atomically(permit_type.folder / BLANK_NAME, pdf)
    write_atomically(path, text)
    load_catalogue.cache_clear()  # type: ignore[attr-defined]  # set by loading.py
    return StoredBlank(digest, len(sizes))


def blank_page_png(permit_type: PermitType, page: int) -> bytes:
    """Page ``page`` (1-based) of the type's blank, as the editor shows it under the boxes."""
    path = permit_type.blank_form
    if path is None or not path.is_file() or permit_type.form.blank_sha256 is None:
        raise NotFound(f"permit type '{permit_type.id}' has no blank form")
    if not 1 <= page <= len(permit_type.form.pages):
        raise NotFound(f"the blank form has no page {page}")
    return _rendered(path, permit_type.form.blank_sha256, page)


@lru_cache(maxsize=32)
def _rendered(path: Path, sha256: str, page: int) -> bytes:
    """Cached by the blank's hash: a new blank is a new picture, the same one is rendered once."""
    del sha256  # part of the cache key only
    document = pdfium.PdfDocument(path)
    try:
        shown = document[page - 1]
        scale = pdf_render_scale(shown.get_size(), PAGE_DPI, get_settings().max_image_pixels)
        image = shown.render(scale=scale, grayscale=True).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
