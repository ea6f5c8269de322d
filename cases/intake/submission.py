"""Submission: store the inspected files and create the case, all or nothing.

Every file is inspected before anything is written, so a bad file (empty, not a scan, corrupt, too
big, a kind the permit does not list) is rejected with a message naming it and no half-created
case is left behind. An applicant who gives contact details (applying online, or a script for
them) has them stored on the case's Applicant and an acknowledgement queued in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from cases.access import issue_access_code
from cases.audit import append_event
from cases.catalogue import PermitType, get_permit_type
from cases.db import session_scope
from cases.documents import store_bytes
from cases.errors import InvalidDocument
from cases.intake.applicant import ApplicantDetails
from cases.intake.inspection import DocumentInfo, Upload, inspect_upload
from cases.models import Applicant, Case, Document, MessageKind, utcnow
from cases.notifications import queue_message
from cases.service_levels import ensure_case_due

__all__ = ["Submission", "add_document", "submit", "submit_application"]


def _document_kinds(permit_type: PermitType, uploads: Sequence[Upload]) -> list[str]:
    """Kinds given by the caller, each one the permit lists; when no file names its kind (the
    command line, older scripts), the permit's documents in order."""
    expected = [d.kind for d in permit_type.permit.required_documents]
    for upload in uploads:
        if upload.kind is not None and upload.kind not in expected:
            raise InvalidDocument(
                upload.filename,
                f"the {permit_type.permit.name.en} does not take a document of kind "
                f"'{upload.kind}'; the kinds it takes are {', '.join(expected)}",
            )
    return [
        upload.kind or (expected[i] if i < len(expected) else "other")
        for i, upload in enumerate(uploads)
    ]


def _check_required(permit_type: PermitType, uploads: Sequence[Upload]) -> None:
    """Every required document is among the files' kinds."""
    given = {upload.kind for upload in uploads}
    for document in permit_type.permit.required_documents:
        if document.required and document.kind not in given:
            raise InvalidDocument(
                document.name.en,
                f"this document ({document.kind}) is required; add a file of that kind",
            )


@dataclass(frozen=True)
class Submission:
    """A case just created, and the applicant's access code (shown once, never stored in clear)."""

    case: Case
    access_code: str


def submit_application(
    uploads: Sequence[Upload], *, permit_type_id: str, actor: str, channel: str
) -> Case:
    """Create a case from uploaded documents (see :func:`submit`), when no receipt is printed."""
    return submit(uploads, permit_type_id=permit_type_id, actor=actor, channel=channel).case


def submit(
    uploads: Sequence[Upload],
    *,
    permit_type_id: str,
    actor: str,
    channel: str,
    record: Callable[[Session, Case], None] | None = None,
    applicant: ApplicantDetails | None = None,
    require_complete: bool = False,
) -> Submission:
    """Create a case and its access code. Nothing is written unless every file is accepted.

    The code is issued in the case's own transaction, so every channel (web, API, command line)
    gives the applicant a way to follow the case, and no case exists without one. With the
    applicant's details (checked by ``check_applicant``) they are stored and the acknowledgement
    is queued in that transaction too: no case without its message, no message without its case.
    With ``require_complete`` (applying online, the API) every document the permit requires must
    be among the files' kinds. ``record`` writes what the channel keeps about the case (the drop
    box's receipt) in that transaction too.
    """
    permit_type = get_permit_type(permit_type_id)
    if not uploads:
        raise InvalidDocument("(no file)", "an application needs at least the application form")
    kinds = _document_kinds(permit_type, uploads)
    infos = [inspect_upload(upload) for upload in uploads]
    if require_complete:
        _check_required(permit_type, uploads)
    digests = [store_bytes(upload.data) for upload in uploads]
    with session_scope() as session:
        case = _create_case(
            session, permit_type, applicant, actor=actor, channel=channel, kinds=kinds
        )
        for upload, info, kind, digest in zip(uploads, infos, kinds, digests, strict=True):
            add_document(session, case, upload, info, kind, digest, actor=actor)
        code = issue_access_code(session, case)
        if record is not None:
            record(session, case)
        if applicant is not None:
            queue_message(
                session,
                case,
                MessageKind.ACKNOWLEDGEMENT,
                actor=actor,
                facts={
                    "submitted_on": case.submitted_at.date().isoformat(),
                    "document_kinds": kinds,
                    "channel": channel,
                },
            )
    return Submission(case, code)


def _new_applicant(session: Session, details: ApplicantDetails | None) -> Applicant:
    applicant = (
        Applicant(
            name=details.name,
            email=details.email,
            phone=details.phone,
            preferred_language=details.preferred_language,
        )
        if details
        else Applicant()
    )
    session.add(applicant)
    session.flush()
    return applicant


def _create_case(
    session: Session,
    permit_type: PermitType,
    details: ApplicantDetails | None,
    *,
    actor: str,
    channel: str,
    kinds: list[str],
) -> Case:
    applicant = _new_applicant(session, details)
    now = utcnow()
    case = Case(
        reference=f"pending-{applicant.id}-{now.timestamp()}",
        permit_type=permit_type.id,
        applicant_id=applicant.id,
        submitted_at=now,
    )
    session.add(case)
    session.flush()
    case.reference = f"{permit_type.permit.reference_prefix}-{now.year}-{case.id:06d}"
    session.add(case)
    append_event(
        session,
        actor=actor,
        action="case.submitted",
        case_id=case.id,
        payload={"reference": case.reference, "permit_type": permit_type.id, "channel": channel},
    )
    if details is not None:
        # Which details the applicant gave, not their values: the audit trail is kept for years
        # and is no place for an address book; the Applicant row holds them.
        given = [name for name in ("name", "email", "phone") if getattr(details, name)]
        append_event(
            session,
            actor=actor,
            action="applicant.recorded",
            case_id=case.id,
            payload={
                "applicant_id": applicant.id,
                "given": given,
                "preferred_language": details.preferred_language.value,
                "document_kinds": kinds,
            },
        )
    ensure_case_due(session, case, actor=actor)
    return case


def add_document(
    session: Session,
    case: Case,
    upload: Upload,
    info: DocumentInfo,
    kind: str,
    digest: str,
    *,
    actor: str,
    information_request_id: int | None = None,
) -> Document:
    """Record an inspected, stored file as the case's document (not committed)."""
    document = Document(
        information_request_id=information_request_id,
        case_id=case.id or 0,
        kind=kind,
        filename=upload.filename[:255],
        sha256=digest,
        media_type=info.media_type,
        size_bytes=len(upload.data),
        page_count=info.page_count,
        width_px=info.width_px,
        height_px=info.height_px,
    )
    session.add(document)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="document.stored",
        case_id=case.id,
        payload={
            "document_id": document.id,
            "kind": kind,
            "filename": document.filename,
            "sha256": digest,
            "media_type": info.media_type,
            "bytes": len(upload.data),
            "information_request_id": information_request_id,
        },
    )
    return document
