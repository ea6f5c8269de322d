"""Reading a case's documents: the form zonally, the identity card by its reader, supporting
documents by label and value (classified from their text). OCR only, no database writes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from PIL import Image

from cases import ocr
from cases.catalogue import DocumentRequirement, FormLayout, Permit, PermitType
from cases.documents import document_pages, read_document
from cases.errors import NotFound
from cases.extraction import reasons
from cases.facts import Fact
from cases.models import Document
from cases.ocr.forms import read_form_pages
from cases.ocr.pages import PageAssignment, turned
from cases.ocr.supporting import SupportingDocument, read_supporting_document
from cases.settings import get_settings

__all__ = ["Classified", "DocumentsRead", "Readings", "page_image", "read_documents"]


Readings = dict[str, tuple[Document, ocr.FieldReading]]


Classified = dict[str, tuple[Document, SupportingDocument]]  # by the kind uploaded as


@dataclass
class DocumentsRead:
    """What reading a case's documents found."""

    readings: Readings = field(default_factory=dict)  # the best reading of each field
    unreadable: dict[str, Fact] = field(default_factory=dict)  # document kind -> why
    classified: Classified = field(default_factory=dict)
    missing: dict[str, Fact] = field(default_factory=dict)  # field name -> its page is missing
    # each form document's scanned pages as identified, and the facts about its pages
    identified: list[tuple[Document, PageAssignment]] = field(default_factory=list)
    page_flags: dict[tuple[int, int], Fact] = field(default_factory=dict)  # (document, page)


def page_image(document: Document, number: int = 1, turn: int = 0) -> Image.Image | None:
    """Page ``number`` of a stored document as the RGB image extraction read, turned ``turn``
    degrees clockwise (as identification stood it upright); None for a page with a text layer
    (a typed PDF's). Raises NotFound for a page the document does not have."""
    data = read_document(document.sha256)
    dpi = get_settings().pdf_render_dpi
    pages = document_pages(data, document.media_type, dpi=dpi)
    page = next(itertools.islice(pages, number - 1, None), None) if number >= 1 else None
    if page is None:
        raise NotFound(f"{document.filename} has no page {number}")
    return turned(page.image, turn) if page.image is not None else None


def _supporting_definition(permit: Permit, kind: str) -> DocumentRequirement | None:
    """The catalogue's definition of a document read by label and value, if ``kind`` is one."""
    definition = permit.document(kind)
    return definition if definition is not None and definition.fields else None


def _read_supporting(
    document: Document, definition: DocumentRequirement, permit: Permit
) -> SupportingDocument:
    """Classify a supporting document and read its fields (ValueError when it cannot be decoded)."""
    keywords: dict[str, list[str]] = {d.kind: d.keywords for d in permit.required_documents}
    dpi = get_settings().pdf_render_dpi
    pages = document_pages(read_document(document.sha256), document.media_type, dpi=dpi)
    return read_supporting_document(pages, definition, keywords)


def _read_pages(
    document: Document, permit_type: PermitType, read: DocumentsRead
) -> list[ocr.FieldReading]:
    """Readings from every page of one document (ValueError when a page cannot be decoded)."""
    dpi = get_settings().pdf_render_dpi
    pages = document_pages(read_document(document.sha256), document.media_type, dpi=dpi)
    if document.kind != "application_form":
        return [
            reading
            for page in pages
            if page.image is not None
            for reading in ocr.read_id_card(page.image, page=page.number)
        ]
    labels = {spec.name: spec.label.en for spec in permit_type.permit.fields}
    form = read_form_pages(pages, permit_type.form, labels, permit_type.blank_form)
    if form.assignment is not None and permit_type.form is not None:
        read.identified.append((document, form.assignment))
        if form.assignment.any_matched:  # else read as before identification: nothing to flag
            _note_pages(document, form.assignment, permit_type.form, read)
    return form.readings


def _note_pages(
    document: Document, assignment: PageAssignment, layout: FormLayout, read: DocumentsRead
) -> None:
    """Flag the fields of form pages that were not scanned, and the scanned pages that are no
    page of the form (kept with the document, for a person to look at)."""
    assert document.id is not None
    for page in assignment.missing:
        for placed in layout.fields_on(page):
            read.missing.setdefault(placed.field, reasons.MISSING_PAGE(page=page))
    for page in assignment.strays:
        fact = reasons.NOT_A_FORM_PAGE(page=page, file=document.filename)
        read.page_flags[(document.id, page)] = fact


def _better(reading: ocr.FieldReading, than: ocr.FieldReading | None) -> bool:
    """A page that has the value beats one that has not; then the more confident reading."""
    return than is None or (bool(reading.text), reading.confidence) > (
        bool(than.text),
        than.confidence,
    )


def _read_one(
    document: Document, permit_type: PermitType, read: DocumentsRead
) -> list[ocr.FieldReading] | None:
    """Readings of one document; None for a kind that is not read. Raises ValueError."""
    if document.kind in ("application_form", "id_card"):
        return _read_pages(document, permit_type, read)
    definition = _supporting_definition(permit_type.permit, document.kind)
    if definition is None:
        return None
    supporting = _read_supporting(document, definition, permit_type.permit)
    earlier = read.classified.get(document.kind)
    if earlier is None or earlier[1].classification.kind == document.kind:
        read.classified[document.kind] = (document, supporting)  # a doubtful copy is shown
    return supporting.readings


def read_documents(documents: Iterable[Document], permit_type: PermitType) -> DocumentsRead:
    """The best reading of each field, why a document kind could not be read (by kind), what
    each supporting document reads as (by the kind it was uploaded as), and how each form
    document's scanned pages were identified."""
    read = DocumentsRead()
    for document in documents:
        try:
            found = _read_one(document, permit_type, read)
        except ValueError as exc:
            read.unreadable[document.kind] = reasons.DOCUMENT_UNREADABLE(
                file=document.filename, problem=str(exc)
            )
            continue
        for reading in found or []:
            if _better(reading, read.readings.get(reading.name, (None, None))[1]):
                read.readings[reading.name] = (document, reading)
    return read
