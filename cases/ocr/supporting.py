"""Reading a supporting document (fire certificate, tenancy agreement): what it is, and its fields.

Every page is read whole: a PDF's text layer as it is; a scan or photo flattened (a photographed
page's perspective removed), then detected and recognised with easyocr, running text left unread
(see :func:`cases.ocr.fulltext.read_document_lines`). The document's kind is told from all its
text (:mod:`cases.ocr.classify`) and its fields are found by label and value
(:mod:`cases.ocr.keyvalue`), each field from the page that reads it best. Boxes are given in the
pixels of the upright uploaded page, so a caseworker is shown the right place even on a photo.

A typed value that does not validate gets a second look: its box, widened to the left, is
recognised again, because the detector now and then leaves a short first word out of a line's
box (the "4" of "4 Mar 2028"); the second reading is kept only if it validates.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from PIL import Image

from cases.catalogue import DocumentRequirement, FieldSpec, FieldType
from cases.documents import PageContent
from cases.ocr.classify import Classification, classify_text
from cases.ocr.fulltext import read_box, read_document_lines
from cases.ocr.keyvalue import extract_key_values, typed_value
from cases.ocr.pairing import merge_rows
from cases.ocr.perspective import straighten_page
from cases.ocr.reader import ENGINE_VERSION, FieldReading
from cases.values import normalise_field

__all__ = ["CLASSIFIER", "KEY_VALUE_ENGINE", "SupportingDocument", "read_supporting_document"]

KEY_VALUE_ENGINE = f"{ENGINE_VERSION} key-value"
TEXT_LAYER_KEY_VALUE = "pdf text layer key-value"
CLASSIFIER = "keyword classifier (rapidfuzz)"
_RUNNING_TEXT_ASPECT = 40.0  # lines this many times longer than high are paragraphs: not read
# A second look widens the box by this many heights to the left, a little first: a wider box
# reaches a table's ruling, read as "|" or "1" in front of the value.
_SECOND_LOOK_LEFT = (1.0, 2.0)
_TYPED = (FieldType.DATE, FieldType.MONEY, FieldType.NUMBER, FieldType.INTEGER)


@dataclass(frozen=True)
class SupportingDocument:
    """What one supporting document reads as, the fields found on it, and what that cost."""

    classification: Classification
    readings: list[FieldReading]
    lines: int
    seconds: float


def _read_page(
    page: PageContent, document: DocumentRequirement
) -> tuple[list[str], list[FieldReading]]:
    """The text of one page and the fields found on it."""
    if page.lines is not None:
        lines = merge_rows(page.lines)
        readings = extract_key_values(
            lines, document.fields, page=page.number, engine=TEXT_LAYER_KEY_VALUE
        )
        return [line.text for line in lines], readings
    if page.image is None:
        return [], []
    flat = straighten_page(page.image)
    lines = merge_rows(read_document_lines(flat.image, max_aspect=_RUNNING_TEXT_ASPECT))
    readings = extract_key_values(lines, document.fields, page=page.number, engine=KEY_VALUE_ENGINE)
    specs = {spec.name: spec for spec in document.fields}
    readings = [_second_look(flat.image, specs[r.name], r) for r in readings]
    return [line.text for line in lines], [
        replace(r, bbox=flat.original_box(r.bbox)) if r.text else r for r in readings
    ]


def _valid(spec: FieldSpec, text: str) -> bool:
    value, error = normalise_field(spec, text)
    return value is not None and error is None


def _second_look(image: Image.Image, spec: FieldSpec, reading: FieldReading) -> FieldReading:
    """The reading, or a better one from its box widened to the left when it does not validate."""
    typed = spec.type in _TYPED or spec.pattern is not None
    if not typed or not reading.text or _valid(spec, reading.text):
        return reading
    x0, y0, x1, y1 = reading.bbox
    for heights in _SECOND_LOOK_LEFT:
        again = read_box(image, (round(x0 - heights * (y1 - y0)), y0, x1, y1))
        if again is None or not _compact(again.text).endswith(_compact(reading.text)):
            continue  # only what was missing in front may be added, nothing else changed
        value = typed_value(spec, again.text)
        if _valid(spec, value):
            confidence = min(reading.confidence, again.confidence)
            return replace(reading, text=value, confidence=confidence)
    return reading


def _compact(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _better(reading: FieldReading, than: FieldReading | None) -> bool:
    return than is None or (bool(reading.text), reading.confidence) > (
        bool(than.text),
        than.confidence,
    )


def read_supporting_document(
    pages: Iterable[PageContent],
    document: DocumentRequirement,
    keywords: Mapping[str, Sequence[str]],
) -> SupportingDocument:
    """Classify the document among the kinds in ``keywords`` and read ``document``'s fields.

    The fields are read whatever the document turns out to be: a wrong upload is flagged by the
    caller from the classification, never silently relabelled or skipped.
    """
    started = time.perf_counter()
    texts: list[str] = []
    best: dict[str, FieldReading] = {}
    for page in pages:
        page_texts, readings = _read_page(page, document)
        texts += page_texts
        for reading in readings:
            if _better(reading, best.get(reading.name)):
                best[reading.name] = reading
    return SupportingDocument(
        classify_text(texts, keywords),
        list(best.values()),
        len(texts),
        time.perf_counter() - started,
    )
