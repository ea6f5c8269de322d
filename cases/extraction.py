"""Extraction: read a case's documents with OCR, validate the values, flag what a person must check.

OCR runs outside any database transaction (it takes seconds); the results are stored in one
transaction afterwards. Running it twice stores one set of fields: a case that already has fields,
or that has moved on, is left as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from PIL import Image
from sqlmodel import Session, select

from cases import ocr
from cases.approvals import create_task
from cases.audit import append_event
from cases.casework import get_case, transition
from cases.catalogue import FieldSpec, PermitType, get_permit_type
from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import Case, Document, ExtractedField, FieldStatus, Role, TaskKind
from cases.ocr.forms import read_form_page
from cases.ocr.pages import document_pages
from cases.settings import get_settings
from cases.storage import read_document
from cases.validators import normalise, parse_date

__all__ = [
    "ExtractionSummary",
    "extract_case",
    "flag_reason",
    "in_quality_sample",
    "page_image",
]

ACTOR = "system:extraction"
Readings = dict[str, tuple[Document, ocr.FieldReading]]


@dataclass
class ExtractionSummary:
    case_id: int
    fields: int = 0
    flagged: dict[str, str] = field(default_factory=dict)
    skipped: bool = False


def page_image(document: Document) -> Image.Image | None:
    """The first scanned page of a stored document as an RGB image; None for a typed PDF."""
    data = read_document(document.sha256)
    dpi = get_settings().pdf_render_dpi
    first = next(iter(document_pages(data, document.media_type, dpi=dpi)))
    return first.image


def _read_pages(document: Document, permit_type: PermitType) -> list[ocr.FieldReading]:
    """Readings from every page of one document (ValueError when a page cannot be decoded)."""
    labels = {spec.name: spec.label.en for spec in permit_type.permit.fields}
    dpi = get_settings().pdf_render_dpi
    found: list[ocr.FieldReading] = []
    for page in document_pages(read_document(document.sha256), document.media_type, dpi=dpi):
        if document.kind == "application_form":
            found += read_form_page(page, permit_type.form, labels)
        elif page.image is not None:
            found += ocr.read_id_card(page.image, page=page.number)
    return found


def _better(reading: ocr.FieldReading, than: ocr.FieldReading | None) -> bool:
    """A page that has the value beats one that has not; then the more confident reading."""
    return than is None or (bool(reading.text), reading.confidence) > (
        bool(than.text),
        than.confidence,
    )


def _read_documents(
    documents: Iterable[Document], permit_type: PermitType
) -> tuple[Readings, dict[str, str]]:
    """The best reading of each field, and why a document kind could not be read (by kind)."""
    readings: Readings = {}
    unreadable: dict[str, str] = {}
    for document in documents:
        if document.kind not in ("application_form", "id_card"):
            continue
        try:
            found = _read_pages(document, permit_type)
        except ValueError as exc:
            unreadable[document.kind] = (
                f"the document '{document.filename}' could not be read ({exc}); "
                "ask the applicant for a new copy and type the value in"
            )
            continue
        for reading in found:
            if _better(reading, readings.get(reading.name, (None, None))[1]):
                readings[reading.name] = (document, reading)
    return readings, unreadable


def in_quality_sample(permit_type: PermitType, case_id: int) -> bool:
    """Whether this case is in the permit's random quality-audit sample; the same on every run."""
    percent = permit_type.permit.quality_sample_percent
    digest = hashlib.sha256(f"{permit_type.id}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < round(percent * 100)


def flag_reason(spec: FieldSpec, text: str, confidence: float, error: str | None) -> str | None:
    """Why a person must check this field, or None. The first applicable reason is given."""
    if not text:
        return "required field is empty or could not be read" if spec.required else None
    if error:
        return f"value does not validate: {error}"
    if confidence < spec.confidence_threshold:
        return (
            f"OCR confidence {confidence:.2f} is below this field's threshold "
            f"{spec.confidence_threshold:.2f}"
        )
    return None


def _store_fields(
    session: Session,
    case_id: int,
    permit_type: PermitType,
    readings: Readings,
    unreadable: dict[str, str],
) -> ExtractionSummary:
    summary = ExtractionSummary(case_id)
    sampled = in_quality_sample(permit_type, case_id)
    for spec in permit_type.permit.fields:
        document, reading = readings.get(spec.name, (None, None))
        text = reading.text.strip() if reading else ""
        confidence = reading.confidence if reading else 0.0
        value, error = normalise(spec.type, text) if text else (None, None)
        reason = flag_reason(spec, text, confidence, error)
        if reading is None and spec.source in unreadable:
            reason = unreadable[spec.source]
        if reason is None and sampled:
            reason = (
                f"quality sample: {permit_type.permit.quality_sample_percent:g}% of cases are "
                "checked by a person at random"
            )
        session.add(
            ExtractedField(
                case_id=case_id,
                document_id=document.id if document else None,
                name=spec.name,
                value=value if value is not None else text,
                raw_text=reading.text if reading else "",
                confidence=round(confidence, 4),
                page=reading.page if reading else 1,
                bbox=list(reading.bbox) if reading else [],
                engine=reading.engine if reading else "",
                status=FieldStatus.FLAGGED if reason else FieldStatus.ACCEPTED,
                flag_reason=reason,
            )
        )
        summary.fields += 1
        if reason:
            summary.flagged[spec.name] = reason
    return summary


def _start(case_id: int) -> tuple[list[Document], str] | None:
    """Move a new case to 'extracting'; None when there is nothing (left) to extract."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        if case.status == CaseStatus.SUBMITTED:
            transition(session, case, CaseStatus.EXTRACTING, actor=ACTOR, why="extraction started")
        if case.status != CaseStatus.EXTRACTING or _has_fields(session, case_id):
            return None
        documents = list(session.exec(select(Document).where(Document.case_id == case_id)))
        return documents, case.permit_type


def _has_fields(session: Session, case_id: int) -> bool:
    return (
        session.exec(select(ExtractedField.id).where(ExtractedField.case_id == case_id)).first()
        is not None
    )


def extract_case(case_id: int) -> ExtractionSummary:
    started = _start(case_id)
    if started is None:
        return ExtractionSummary(case_id, skipped=True)
    documents, permit_type_id = started
    permit_type = get_permit_type(permit_type_id)
    readings, unreadable = _read_documents(documents, permit_type)
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        if case.status != CaseStatus.EXTRACTING or _has_fields(session, case_id):
            return ExtractionSummary(case_id, skipped=True)  # another run got here first
        summary = _store_fields(session, case_id, permit_type, readings, unreadable)
        application_date = readings.get("application_date")
        if application_date:
            case.application_date = parse_date(application_date[1].text)
        append_event(
            session,
            actor=ACTOR,
            action="fields.extracted",
            case_id=case_id,
            payload={
                "engine": ocr.ENGINE_VERSION,
                "read_by": sorted({reading.engine for _, reading in readings.values()}),
                "documents": [d.id for d in documents],
                "fields": summary.fields,
                "flagged": summary.flagged,
            },
        )
        _after_extraction(session, case, summary)
        return summary


def _after_extraction(session: Session, case: Case, summary: ExtractionSummary) -> None:
    if summary.flagged:
        permit = get_permit_type(case.permit_type).permit
        reasons = "; ".join(
            f"{permit.field(name).label.en}: {why}" for name, why in summary.flagged.items()
        )
        create_task(
            session, case, TaskKind.VERIFY_FIELDS, reason=reasons, role=Role.CASEWORKER, actor=ACTOR
        )
        transition(
            session,
            case,
            CaseStatus.AWAITING_VERIFICATION,
            actor=ACTOR,
            why=f"{len(summary.flagged)} field(s) need a person's check",
        )
    else:
        transition(
            session, case, CaseStatus.CHECKING, actor=ACTOR, why="every field read confidently"
        )
