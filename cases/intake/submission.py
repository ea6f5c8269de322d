"""Submission: store the inspected files and create the case, all or nothing.

Every file is inspected before anything is written, so a bad file (empty, not a scan, corrupt, too
big) is rejected with a message naming it and no half-created case is left behind.
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
from cases.intake.inspection import DocumentInfo, Upload, inspect_upload
from cases.models import Applicant, Case, Document, utcnow

__all__ = ["Submission", "add_document", "submit", "submit_application"]


def _document_kinds(permit_type: PermitType, uploads: Sequence[Upload]) -> list[str]:
    """Kinds given by the caller, else the permit's required documents in order."""
    expected = [d.kind for d in permit_type.permit.required_documents]
    return [
        upload.kind or (expected[i] if i < len(expected) else "other")
        for i, upload in enumerate(uploads)
    ]


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
) -> Submission:
    """Create a case and its access code. Nothing is written unless every file is accepted.

    The code is issued in the case's own transaction, so every channel (web, API, command line)
    gives the applicant a way to follow the case, and no case exists without one. ``record``
    writes what the channel keeps about the case (the drop box's receipt) in that transaction too.
    """
    permit_type = get_permit_type(permit_type_id)
    if not uploads:
        raise InvalidDocument("(no file)", "an application needs at least the application form")
    infos = [inspect_upload(upload) for upload in uploads]
    kinds = _document_kinds(permit_type, uploads)
    digests = [store_bytes(upload.data) for upload in uploads]
    with session_scope() as session:
        case = _create_case(session, permit_type, actor=actor, channel=channel)
        for upload, info, kind, digest in zip(uploads, infos, kinds, digests, strict=True):
            add_document(session, case, upload, info, kind, digest, actor=actor)
        code = issue_access_code(session, case)
        if record is not None:
            record(session, case)
    return Submission(case, code)


def _create_case(session: Session, permit_type: PermitType, *, actor: str, channel: str) -> Case:
    applicant = Applicant()
    session.add(applicant)
    session.flush()
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
