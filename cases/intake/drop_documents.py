"""What a dropped application's documents are: each file's kind, or a multi-page PDF's pages.

In a sub-folder, a file's kind is the permit's document kind its name begins with
(``id_card.jpg``, ``fire-certificate p1.pdf``: case, spaces and hyphens do not matter, the
longest kind wins); the files no name places are given the kinds still missing in the
catalogue's order, the application form first, then ``other``.

A single multi-page PDF (a whole application scanned in one go) is taken apart by the OCR's page
identification (``cases.ocr.pages.identify_pages``, thumbnails against the office's blank form):
the pages identified as form pages become the application form (in the order they were scanned;
reading puts them right), every other page with ink becomes a document of its own, given the
remaining kinds in the catalogue's order (extraction flags a page whose text reads as another
kind), and blank pages (the backs of sheets) are left out. A PDF where no page is the form is
refused: it is not this permit's application, or the form is missing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from cases.catalogue import PermitType
from cases.errors import PermitsError
from cases.intake.inspection import Upload
from cases.ocr.pages import identify_pages

__all__ = ["NoFormPage", "application_uploads", "folder_kinds"]

OTHER = "other"
_IDENTIFY_DPI = 100  # thumbnails are ~12 dpi; this leaves registration of stray pages room


class NoFormPage(PermitsError):
    """No page of a dropped PDF is a page of the permit's application form."""

    def __init__(self, filename: str, pages: int) -> None:
        self.filename = filename
        self.pages = pages
        super().__init__(f"{filename}: none of its {pages} pages is the application form")


def _normalised(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


def _kinds(permit_type: PermitType) -> list[str]:
    return [d.kind for d in permit_type.permit.required_documents]


def folder_kinds(permit_type: PermitType, names: Sequence[str]) -> list[str]:
    """Each file's kind: by its name's prefix, else the kinds still missing, form first."""
    kinds = sorted(_kinds(permit_type), key=len, reverse=True)
    named = [
        next((k for k in kinds if _normalised(Path(n).stem).startswith(k)), None) for n in names
    ]
    unclaimed = [k for k in _kinds(permit_type) if k not in named]
    given: list[str] = []
    for kind in named:
        if kind is None:
            kind = unclaimed.pop(0) if unclaimed else OTHER
        given.append(kind)
    return given


def _pdf_of(source: pdfium.PdfDocument, indices: Sequence[int]) -> bytes:
    document = pdfium.PdfDocument.new()
    try:
        document.import_pages(source, list(indices))
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()
    finally:
        document.close()


def _page_images(source: pdfium.PdfDocument) -> list[Image.Image]:
    return [
        source[i].render(scale=_IDENTIFY_DPI / 72).to_pil().convert("L") for i in range(len(source))
    ]


def application_uploads(upload: Upload, permit_type: PermitType) -> list[Upload]:
    """The documents of one dropped file (already inspected): a multi-page PDF taken apart by
    page identification, anything else the application form as it is."""
    form_kind = _kinds(permit_type)[0]
    blank = permit_type.blank_form
    if not upload.data.startswith(b"%PDF-") or blank is None or not blank.is_file():
        return [Upload(upload.filename, upload.data, form_kind)]
    source = pdfium.PdfDocument(upload.data)
    try:
        if len(source) < 2:
            return [Upload(upload.filename, upload.data, form_kind)]
        assignment = identify_pages(_page_images(source), blank)
        if not assignment.any_matched:
            raise NoFormPage(upload.filename, len(source))
        form = [m.scan_page - 1 for m in assignment.matches if m.form_page is not None]
        strays = [n - 1 for n in assignment.strays]
        stem = Path(upload.filename).stem
        uploads = [Upload(f"{stem} (form).pdf", _pdf_of(source, form), form_kind)]
        others = _kinds(permit_type)[1:]
        for index in strays:
            kind = others.pop(0) if others else OTHER
            uploads.append(Upload(f"{stem} (page {index + 1}).pdf", _pdf_of(source, [index]), kind))
        return uploads
    finally:
        source.close()
