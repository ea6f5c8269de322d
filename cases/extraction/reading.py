"""Reading a case's documents: the form zonally, the identity card by its reader, supporting
documents by label and value (classified from their text). OCR only, no database writes.
"""

from __future__ import annotations

from collections.abc import Iterable

from PIL import Image

from cases import ocr
from cases.catalogue import DocumentRequirement, Permit, PermitType
from cases.documents import document_pages, read_document
from cases.extraction import reasons
from cases.facts import Fact
from cases.models import Document
from cases.ocr.forms import read_form_page
from cases.ocr.supporting import SupportingDocument, read_supporting_document
from cases.settings import get_settings

__all__ = ["Classified", "Readings", "page_image", "read_documents"]


Readings = dict[str, tuple[Document, ocr.FieldReading]]


Classified = dict[str, tuple[Document, SupportingDocument]]  # by the kind uploaded as


def page_image(document: Document) -> Image.Image | None:
    """The first scanned page of a stored document as an RGB image; None for a typed PDF."""
    data = read_document(document.sha256)
    dpi = get_settings().pdf_render_dpi
    first = next(iter(document_pages(data, document.media_type, dpi=dpi)))
    return first.image


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


def _read_pages(document: Document, permit_type: PermitType) -> list[ocr.FieldReading]:
    """Readings from every page of one document (ValueError when a page cannot be decoded)."""
    labels = {spec.name: spec.label.en for spec in permit_type.permit.fields}
    dpi = get_settings().pdf_render_dpi
    found: list[ocr.FieldReading] = []
    for page in document_pages(read_document(document.sha256), document.media_type, dpi=dpi):
        if document.kind == "application_form":
            found += read_form_page(page, permit_type.form, labels, permit_type.blank_form)
        elif page.image is not None:
            found += ocr.read_id_card(page.image, page=page.number)
    return found


def _better(reading: ocr.FieldReading, than: ocr.FieldReading | None) -> bool:
    """A page that has the value beats one that has not; then the more confident reading."""
    return than is None or (bool(reading.text), reading.confidence) > (
        bool(than.text),
        than.confidence,
    )


def _read_one(
    document: Document, permit_type: PermitType, classified: Classified
) -> list[ocr.FieldReading] | None:
    """Readings of one document; None for a kind that is not read. Raises ValueError."""
    if document.kind in ("application_form", "id_card"):
        return _read_pages(document, permit_type)
    definition = _supporting_definition(permit_type.permit, document.kind)
    if definition is None:
        return None
    supporting = _read_supporting(document, definition, permit_type.permit)
    earlier = classified.get(document.kind)
    if earlier is None or earlier[1].classification.kind == document.kind:
        classified[document.kind] = (document, supporting)  # a doubtful copy is what is shown
    return supporting.readings


def read_documents(
    documents: Iterable[Document], permit_type: PermitType
) -> tuple[Readings, dict[str, Fact], Classified]:
    """The best reading of each field, why a document kind could not be read (by kind), and what
    each supporting document reads as (by the kind it was uploaded as)."""
    readings: Readings = {}
    unreadable: dict[str, Fact] = {}
    classified: Classified = {}
    for document in documents:
        try:
            found = _read_one(document, permit_type, classified)
        except ValueError as exc:
            unreadable[document.kind] = reasons.DOCUMENT_UNREADABLE(
                file=document.filename, problem=str(exc)
            )
            continue
        for reading in found or []:
            if _better(reading, readings.get(reading.name, (None, None))[1]):
                readings[reading.name] = (document, reading)
    return readings, unreadable, classified
