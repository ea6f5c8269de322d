"""Extraction: read a case's documents with OCR, validate the values, flag what a person must check.

OCR runs outside any database transaction (it takes seconds); the results are stored in one
transaction afterwards. Running it twice stores one set of fields: a case that already has fields,
or that has moved on, is left as it is.

The application form is read zonally and the ID card by its own reader; a supporting document
whose catalogue definition lists fields (fire certificate, tenancy agreement) is read by label and
value, and its text is classified: a document that reads as another kind than it was uploaded as,
or as no kind confidently, is flagged for a person in a ``<kind>_document_type`` field. Fields of
an optional document the applicant did not upload are not stored (rules see them as empty).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from PIL import Image
from sqlmodel import Session, select

from cases import ocr, reasons
from cases.approvals import create_task
from cases.audit import append_event
from cases.casework import get_case, transition
from cases.catalogue import DocumentRequirement, FieldSpec, Permit, PermitType, get_permit_type
from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import Case, Document, ExtractedField, FieldStatus, Role, TaskKind
from cases.ocr.classify import UNKNOWN
from cases.ocr.forms import read_form_page
from cases.ocr.pages import document_pages
from cases.ocr.supporting import CLASSIFIER, SupportingDocument, read_supporting_document
from cases.settings import get_settings
from cases.storage import read_document
from cases.validators import check_order, normalise_field, parse_date, parse_number

__all__ = [
    "DOCUMENT_TYPE_SUFFIX",
    "ExtractionSummary",
    "FieldVerdict",
    "comparable",
    "document_type_field",
    "extract_case",
    "field_verdicts",
    "flag_reason",
    "in_quality_sample",
    "kind_flag_reason",
    "page_image",
]

ACTOR = "system:extraction"
DOCUMENT_TYPE_SUFFIX = "_document_type"
Readings = dict[str, tuple[Document, ocr.FieldReading]]
Classified = dict[str, tuple[Document, SupportingDocument]]  # by the kind uploaded as


def document_type_field(kind: str) -> str:
    """Name of the field that records what an uploaded supporting document reads as."""
    return f"{kind}{DOCUMENT_TYPE_SUFFIX}"


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


def _read_documents(
    documents: Iterable[Document], permit_type: PermitType
) -> tuple[Readings, dict[str, str], Classified]:
    """The best reading of each field, why a document kind could not be read (by kind), and what
    each supporting document reads as (by the kind it was uploaded as)."""
    readings: Readings = {}
    unreadable: dict[str, str] = {}
    classified: Classified = {}
    for document in documents:
        try:
            found = _read_one(document, permit_type, classified)
        except ValueError as exc:
            unreadable[document.kind] = reasons.DOCUMENT_UNREADABLE % {
                "file": document.filename,
                "problem": exc,
            }
            continue
        for reading in found or []:
            if _better(reading, readings.get(reading.name, (None, None))[1]):
                readings[reading.name] = (document, reading)
    return readings, unreadable, classified


def in_quality_sample(permit_type: PermitType, case_id: int) -> bool:
    """Whether this case is in the permit's random quality-audit sample; the same on every run."""
    percent = permit_type.permit.quality_sample_percent
    digest = hashlib.sha256(f"{permit_type.id}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < round(percent * 100)


def flag_reason(
    spec: FieldSpec,
    text: str,
    confidence: float,
    error: str | None,
    second_text: str | None = None,
) -> str | None:
    """Why a person must check this field, or None. The first applicable reason is given."""
    if not text:
        return reasons.REQUIRED_EMPTY if spec.required else None
    if error:
        return reasons.NOT_VALID % {"problem": error}
    if second_text is not None and comparable(spec, second_text) != comparable(spec, text):
        first, second = " ".join(text.split()), " ".join(second_text.split())
        return reasons.READS_TWO_WAYS % {"first": first, "second": second}
    if (unusual := _outside_usual_range(spec, text)) is not None:
        return unusual
    if confidence < spec.confidence_threshold:
        return reasons.LOW_CONFIDENCE % {
            "confidence": f"{confidence:.2f}",
            "threshold": f"{spec.confidence_threshold:.2f}",
        }
    return None


def _outside_usual_range(spec: FieldSpec, text: str) -> str | None:
    if spec.usual_range is None or (number := parse_number(text)) is None:
        return None
    low, high = spec.usual_range
    if low <= number <= high:
        return None
    return reasons.UNUSUAL_NUMBER % {
        "value": " ".join(text.split()),
        "low": f"{low:g}",
        "high": f"{high:g}",
    }


def comparable(spec: FieldSpec, text: str) -> str:
    """``text`` as the case would store it, so two ways of writing one value compare equal."""
    value, _ = normalise_field(spec, text)
    return value if value is not None else " ".join(text.split())


def kind_flag_reason(
    uploaded: DocumentRequirement, permit: Permit, supporting: SupportingDocument
) -> str | None:
    """Why a person must check what an uploaded document is, or None when it reads as uploaded."""
    found = supporting.classification
    if found.kind != uploaded.kind:
        if found.kind == UNKNOWN:
            reads_as = "no known kind of document"
        else:
            other = permit.document(found.kind)
            reads_as = other.name.en if other else found.kind
        return reasons.KIND_OTHER % {
            "uploaded": uploaded.name.en,
            "reads_as": reads_as,
            "keywords": found.evidence(),
        }
    if found.confidence < uploaded.classification_threshold:
        return reasons.KIND_UNCERTAIN % {
            "confidence": f"{found.confidence:.2f}",
            "threshold": f"{uploaded.classification_threshold:.2f}",
            "keywords": found.evidence(),
        }
    return None


def _stored_specs(permit: Permit, documents: Iterable[Document]) -> list[FieldSpec]:
    """The fields to store: all but those of an optional document that was not uploaded."""
    uploaded = {d.kind for d in documents}
    optional = {d.kind for d in permit.required_documents if not d.required}
    return [s for s in permit.all_fields if s.source in uploaded or s.source not in optional]


@dataclass(frozen=True)
class FieldVerdict:
    """One field as OCR read it, its canonical value, and why a person must check it (or None)."""

    spec: FieldSpec
    reading: ocr.FieldReading | None
    text: str  # the reading's text, trimmed; "" when nothing was read
    value: str | None  # canonical, when the text validates
    reason: str | None


def field_verdicts(
    specs: list[FieldSpec], readings: Mapping[str, ocr.FieldReading]
) -> list[FieldVerdict]:
    """Each field's value and flag, as the case flow stores them (and the OCR benchmark counts):
    its type and shape are checked, then the order of dates (which needs the other fields'
    values), then ``flag_reason``."""
    checked = []
    values: dict[str, str] = {}
    for spec in specs:
        reading = readings.get(spec.name)
        text = reading.text.strip() if reading else ""
        value, error = normalise_field(spec, text) if text else (None, None)
        if value is not None:
            values[spec.name] = value
        checked.append((spec, reading, text, value, error))
    labels = {spec.name: spec.label.en for spec in specs}
    verdicts = []
    for spec, reading, text, value, error in checked:
        error = error or (check_order(spec, value, values, labels) if value else None)
        confidence = reading.confidence if reading else 0.0
        second = reading.second_text if reading else None
        reason = flag_reason(spec, text, confidence, error, second)
        verdicts.append(FieldVerdict(spec, reading, text, value, reason))
    return verdicts


def _store_kinds(
    session: Session, case_id: int, permit: Permit, classified: Classified, sample: str | None
) -> dict[str, str]:
    """One field per supporting document kind uploaded: the kind its text reads as."""
    flagged: dict[str, str] = {}
    for kind, (document, supporting) in classified.items():
        uploaded = permit.document(kind)
        assert uploaded is not None
        found = supporting.classification
        reason = kind_flag_reason(uploaded, permit, supporting) or sample
        name = document_type_field(kind)
        session.add(
            ExtractedField(
                case_id=case_id,
                document_id=document.id,
                name=name,
                value=found.kind,
                raw_text=f"keywords found: {found.evidence()}",
                confidence=round(found.confidence, 4),
                page=1,
                bbox=[],
                engine=CLASSIFIER,
                status=FieldStatus.FLAGGED if reason else FieldStatus.ACCEPTED,
                flag_reason=reason,
            )
        )
        if reason:
            flagged[name] = reason
    return flagged


def _store_fields(
    session: Session,
    case_id: int,
    permit_type: PermitType,
    read: tuple[Readings, dict[str, str], Classified],
    documents: list[Document],
) -> ExtractionSummary:
    readings, unreadable, classified = read
    summary = ExtractionSummary(case_id)
    sample = (
        reasons.QUALITY_SAMPLE % {"percent": f"{permit_type.permit.quality_sample_percent:g}"}
        if in_quality_sample(permit_type, case_id)
        else None
    )
    specs = _stored_specs(permit_type.permit, documents)
    by_name = {name: reading for name, (_, reading) in readings.items()}
    for verdict in field_verdicts(specs, by_name):
        spec, reading, text = verdict.spec, verdict.reading, verdict.text
        document = readings[spec.name][0] if spec.name in readings else None
        reason = verdict.reason
        if reading is None and spec.source in unreadable:
            reason = unreadable[spec.source]
        reason = reason or sample
        session.add(
            ExtractedField(
                case_id=case_id,
                document_id=document.id if document else None,
                name=spec.name,
                value=verdict.value if verdict.value is not None else text,
                raw_text=reading.text if reading else "",
                confidence=round(reading.confidence, 4) if reading else 0.0,
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
    kinds = _store_kinds(session, case_id, permit_type.permit, classified, sample)
    summary.fields += len(classified)
    summary.flagged.update(kinds)
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
    read = _read_documents(documents, permit_type)
    readings, _, classified = read
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        if case.status != CaseStatus.EXTRACTING or _has_fields(session, case_id):
            return ExtractionSummary(case_id, skipped=True)  # another run got here first
        summary = _store_fields(session, case_id, permit_type, read, documents)
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
                "documents_read_as": {
                    str(document.id): {
                        "uploaded_as": kind,
                        "reads_as": supporting.classification.kind,
                        "confidence": supporting.classification.confidence,
                        "seconds": round(supporting.seconds, 1),
                    }
                    for kind, (document, supporting) in classified.items()
                },
            },
        )
        _after_extraction(session, case, summary)
        return summary


def _after_extraction(session: Session, case: Case, summary: ExtractionSummary) -> None:
    if summary.flagged:
        permit = get_permit_type(case.permit_type).permit
        reasons = "; ".join(
            f"{_field_label(permit, name)}: {why}" for name, why in summary.flagged.items()
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


def _field_label(permit: Permit, name: str) -> str:
    if name.endswith(DOCUMENT_TYPE_SUFFIX):
        document = permit.document(name.removesuffix(DOCUMENT_TYPE_SUFFIX))
        if document is not None:
            return reasons.KIND_OF_DOCUMENT % {"document": document.name.en}
    try:
        return permit.field(name).label.en
    except KeyError:
        return name
