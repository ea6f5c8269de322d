"""Extraction: read a case's documents with OCR, validate the values, flag what a person must check.

OCR runs outside any database transaction (it takes seconds); the results are stored in one
transaction afterwards. Only documents not read yet are read: on a new case, all of them; on a
case that already has fields (it comes back with an applicant's answer to a request for
information), only the documents of the answer, whose fields are added (a field read again
replaces the earlier reading, which the audit trail keeps). Running it twice reads nothing twice:
a case whose documents were read, or that has moved on, is left as it is.

The application form is read zonally and the ID card by its own reader; a supporting document
whose catalogue definition lists fields (fire certificate, tenancy agreement) is read by label and
value, and its text is classified: a document that reads as another kind than it was uploaded as,
or as no kind confidently, is flagged for a person in a ``<kind>_document_type`` field. Fields of
an optional document the applicant did not upload are not stored (rules see them as empty).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from cases import ocr
from cases.audit import append_event
from cases.catalogue import FieldSpec, Permit, PermitType, document_type_field, get_permit_type
from cases.db import session_scope
from cases.extraction import reasons
from cases.extraction.quality import in_quality_sample
from cases.extraction.reading import Classified, DocumentsRead, read_documents
from cases.extraction.verdicts import field_verdicts, kind_flag_reason
from cases.facts import Fact
from cases.gates import create_task
from cases.lifecycle import CaseStatus, Stage, runs_in
from cases.models import Case, Document, ExtractedField, FieldStatus, Role, TaskKind, utcnow
from cases.ocr.pages import MIN_SCORE
from cases.ocr.supporting import CLASSIFIER
from cases.repository import get_case, transition
from cases.values import parse_date

__all__ = ["PAGES_IDENTIFIED", "ExtractionSummary", "extract_case"]

ACTOR = "system:extraction"
PAGES_IDENTIFIED = "form.pages_identified"


@dataclass
class ExtractionSummary:
    case_id: int
    fields: int = 0
    flagged: dict[str, Fact] = field(default_factory=dict)  # field name -> why
    pages: list[Fact] = field(default_factory=list)  # scanned pages a person must look at
    skipped: bool = False


def _stored_specs(
    permit: Permit, documents: Iterable[Document], *, only_new: bool = False
) -> list[FieldSpec]:
    """The fields to store: all but those of an optional document that was not uploaded; when
    the case was read before (``only_new``), only the fields of the documents read now."""
    uploaded = {d.kind for d in documents}
    if only_new:
        return [s for s in permit.all_fields if s.source in uploaded]
    optional = {d.kind for d in permit.required_documents if not d.required}
    return [s for s in permit.all_fields if s.source in uploaded or s.source not in optional]


@dataclass
class _Fields:
    """Where extracted fields go: a field the case already has (read again from an answer to a
    request for information) is replaced; ``earlier`` is read once, empty for a new case."""

    session: Session
    earlier: dict[str, ExtractedField]

    @classmethod
    def of_case(cls, session: Session, case_id: int, *, read_before: bool) -> _Fields:
        if not read_before:
            return cls(session, {})
        fields = session.exec(select(ExtractedField).where(ExtractedField.case_id == case_id))
        return cls(session, {f.name: f for f in fields})

    def put(self, extracted: ExtractedField) -> None:
        replaced = self.earlier.pop(extracted.name, None)
        if replaced is not None:
            self.session.delete(replaced)
            self.session.flush()
        self.session.add(extracted)


def _store_kinds(
    fields: _Fields, case_id: int, permit: Permit, classified: Classified, sample: Fact | None
) -> dict[str, Fact]:
    """One field per supporting document kind uploaded: the kind its text reads as."""
    flagged: dict[str, Fact] = {}
    for kind, (document, supporting) in classified.items():
        uploaded = permit.document(kind)
        assert uploaded is not None
        found = supporting.classification
        reason = kind_flag_reason(uploaded, supporting) or sample
        name = document_type_field(kind)
        fields.put(
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
                flag=reason,
            ),
        )
        if reason:
            flagged[name] = reason
    return flagged


def _store_fields(
    fields: _Fields,
    case_id: int,
    permit_type: PermitType,
    read: DocumentsRead,
    documents: list[Document],
    *,
    read_before: bool = False,
) -> ExtractionSummary:
    readings, unreadable, classified = read.readings, read.unreadable, read.classified
    summary = ExtractionSummary(case_id, pages=list(read.page_flags.values()))
    sample = (
        reasons.QUALITY_SAMPLE(percent=permit_type.permit.quality_sample_percent)
        if in_quality_sample(permit_type, case_id)
        else None
    )
    specs = _stored_specs(permit_type.permit, documents, only_new=read_before)
    by_name = {name: reading for name, (_, reading) in readings.items()}
    for verdict in field_verdicts(specs, by_name):
        spec, reading, text = verdict.spec, verdict.reading, verdict.text
        document = readings[spec.name][0] if spec.name in readings else None
        reason = verdict.reason
        if reading is None and spec.source in unreadable:
            reason = unreadable[spec.source]
        elif reading is None and spec.name in read.missing:
            reason = read.missing[spec.name]
        reason = reason or sample
        fields.put(
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
                flag=reason,
            ),
        )
        summary.fields += 1
        if reason:
            summary.flagged[spec.name] = reason
    kinds = _store_kinds(fields, case_id, permit_type.permit, classified, sample)
    summary.fields += len(classified)
    summary.flagged.update(kinds)
    return summary


def _unread(session: Session, case_id: int) -> tuple[list[Document], bool]:
    """The documents to read now, and whether the case was read before (then only the
    documents that answer a request for information are read)."""
    read_before = _has_fields(session, case_id)
    query = select(Document).where(Document.case_id == case_id, col(Document.read_at).is_(None))
    if read_before:
        query = query.where(col(Document.information_request_id).is_not(None))
    return list(session.exec(query.order_by(col(Document.id)))), read_before


def _start(case_id: int) -> tuple[list[Document], str, bool] | None:
    """Move a new case to 'extracting'; None when it has moved on (nothing to extract)."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        if case.status == CaseStatus.SUBMITTED:
            transition(session, case, CaseStatus.EXTRACTING, actor=ACTOR, why="extraction started")
        if case.status not in runs_in(Stage.EXTRACT):
            return None
        # back from an answer with nothing to read (a note, or files of no kind that is read):
        # no documents, and the case moves on all the same
        documents, read_before = _unread(session, case_id)
        return documents, case.permit_type, read_before


def _has_fields(session: Session, case_id: int) -> bool:
    return (
        session.exec(select(ExtractedField.id).where(ExtractedField.case_id == case_id)).first()
        is not None
    )


def extract_case(case_id: int) -> ExtractionSummary:
    started = _start(case_id)
    if started is None:
        return ExtractionSummary(case_id, skipped=True)
    documents, permit_type_id, read_before = started
    permit_type = get_permit_type(permit_type_id)
    read = read_documents(documents, permit_type)
    readings, classified = read.readings, read.classified
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        unread, still_read_before = _unread(session, case_id)
        if (
            case.status not in runs_in(Stage.EXTRACT)
            or [d.id for d in unread] != [d.id for d in documents]
            or still_read_before != read_before
        ):
            return ExtractionSummary(case_id, skipped=True)  # another run got here first
        fields = _Fields.of_case(session, case_id, read_before=read_before)
        summary = _store_fields(
            fields, case_id, permit_type, read, documents, read_before=read_before
        )
        for document in unread:  # the same documents, as this session holds them
            document.read_at = utcnow()
            session.add(document)
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
                "only_new_documents": read_before,
                "fields": summary.fields,
                "flagged": sorted(summary.flagged),
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
            # why each field was flagged quotes what was read: kept beside the event
            personal={"why_flagged": summary.flagged} if summary.flagged else None,
        )
        _record_pages(session, case_id, read)
        _after_extraction(session, case, summary)
        return summary


def _record_pages(session: Session, case_id: int, read: DocumentsRead) -> None:
    """One audit event per form document: which form page each scanned page was found to be,
    how it was turned upright, its score, and why a page was left out (the case page shows the
    pages turned and flagged from this record)."""
    for document, assignment in read.identified:
        append_event(
            session,
            actor=ACTOR,
            action=PAGES_IDENTIFIED,
            case_id=case_id,
            payload={
                "document": document.id,
                "method": f"ink map correlation, best first, min score {MIN_SCORE}",
                # none_identified: each page was read as before identification (registered to
                # the best fitting form page, or read whole), so nothing is missing or stray
                "outcome": "identified" if assignment.any_matched else "none_identified",
                "pages": [match.as_record() for match in assignment.matches],
                "missing_form_pages": assignment.missing if assignment.any_matched else [],
            },
            # the file's name and the flags that quote it are kept beside the event (retention)
            personal={
                "file": document.filename,
                "flags": {
                    str(page): fact
                    for (doc, page), fact in read.page_flags.items()
                    if doc == document.id
                },
            },
        )


def _after_extraction(session: Session, case: Case, summary: ExtractionSummary) -> None:
    if summary.flagged or summary.pages:
        reason = reasons.verification_reason(
            list(summary.flagged.items()), total=summary.fields, pages=summary.pages
        )
        create_task(
            session, case, TaskKind.VERIFY_FIELDS, reason=reason, role=Role.CASEWORKER, actor=ACTOR
        )
        transition(
            session,
            case,
            CaseStatus.AWAITING_VERIFICATION,
            actor=ACTOR,
            why=f"{len(summary.flagged)} field(s), {len(summary.pages)} page(s) need a person's "
            "check",
        )
    else:
        transition(
            session, case, CaseStatus.CHECKING, actor=ACTOR, why="every field read confidently"
        )
