"""The applicant's answer to a request for information, from the status page.

The files get the same inspection as at intake, all before anything is written: a bad file is
refused with its reason and nothing is stored. The answer closes the request, and the case leaves
``awaiting_applicant`` for ``extracting``, so the case flow reads the new documents (only those),
checks the rules and reviews the case again, and hands it back to a caseworker. The eligibility
result and the review made on the old evidence are removed (their outcome stays in the audit
trail), so both are made again from the whole file. Caseworkers' verdicts on the old review's
findings are kept: the new review takes each back when its finding comes back, and the others are
shown as resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from gettext import gettext  # marks the message for the pages' catalogue (English here)

from sqlmodel import Session, col, delete, select

from cases.access import case_for_code
from cases.audit import append_event
from cases.db import session_scope
from cases.documents import store_bytes
from cases.errors import InvalidDocument, InvalidInput, PermitsError
from cases.intake.inspection import Upload, inspect_upload
from cases.intake.submission import add_document
from cases.lifecycle import CaseStatus
from cases.models import (
    Case,
    EligibilityResult,
    InformationRequest,
    RequestResolution,
    Review,
    ReviewRun,
    utcnow,
)
from cases.repository import open_request, transition
from cases.review.verdicts import detach_verdicts

__all__ = ["ACTOR", "OTHER_DOCUMENT", "AnswerRecorded", "RequestNotOpen", "answer_request"]

ACTOR = "applicant"
OTHER_DOCUMENT = "other"  # a file the applicant adds that is none of the kinds asked for
MAX_NOTE_CHARS = 2000
_NOT_ASKED = gettext("this kind of document was not asked for")


class RequestNotOpen(PermitsError):
    """There is no request to answer: it was answered already, or it has ended."""

    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            "There is no open request for information on this application: it has been "
            "answered already or has ended. Check the status below."
        )


@dataclass(frozen=True)
class AnswerRecorded:
    case_id: int
    request_id: int
    document_ids: list[int]


def _open_request(session: Session, case: Case) -> InformationRequest:
    request = open_request(session, case.id)
    if request is None or case.status != CaseStatus.AWAITING_APPLICANT:
        raise RequestNotOpen
    return request


def _check_answer(request: InformationRequest, uploads: Sequence[Upload], note: str) -> None:
    if not uploads and not note:
        raise InvalidInput("Choose the files asked for, or write a note, before sending.")
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput("The note is too long: write at most 2000 characters.")
    allowed = {*request.document_kinds, OTHER_DOCUMENT}
    for upload in uploads:
        if upload.kind not in allowed:
            raise InvalidDocument(upload.filename, _NOT_ASKED)


def _forget_stale_results(session: Session, case_id: int) -> dict[str, str | None]:
    """Remove the rules' result and the review made before the answer; say what they were."""
    eligibility = session.exec(
        select(EligibilityResult).where(EligibilityResult.case_id == case_id)
    ).first()
    review = session.exec(select(Review).where(Review.case_id == case_id)).first()
    stale = {
        "eligibility": eligibility.outcome.value if eligibility else None,
        "review_risk": review.risk.value if review else None,
    }
    session.exec(delete(EligibilityResult).where(col(EligibilityResult.case_id) == case_id))
    session.exec(delete(ReviewRun).where(col(ReviewRun.case_id) == case_id))
    detach_verdicts(session, case_id)  # people's verdicts stay; the new review takes them back
    session.exec(delete(Review).where(col(Review.case_id) == case_id))
    return stale


def answer_request(
    reference: str, access_code: str, uploads: Sequence[Upload], note: str = ""
) -> AnswerRecorded:
    """Record the applicant's answer (files and/or a note) to their case's open request."""
    note = note.strip()
    with session_scope() as session:
        case = case_for_code(session, reference, access_code)
        _check_answer(_open_request(session, case), uploads, note)
    infos = [inspect_upload(upload) for upload in uploads]  # every file, before anything is stored
    digests = [store_bytes(upload.data) for upload in uploads]
    with session_scope() as session:
        case = case_for_code(session, reference, access_code, for_update=True)
        request = _open_request(session, case)  # a second answer sent meanwhile is refused here
        documents = [
            add_document(
                session,
                case,
                upload,
                info,
                upload.kind or OTHER_DOCUMENT,
                digest,
                actor=ACTOR,
                information_request_id=request.id,
            )
            for upload, info, digest in zip(uploads, infos, digests, strict=True)
        ]
        request.resolved_at = utcnow()
        request.answer_note = note or None
        request.resolution = RequestResolution.ANSWERED
        session.add(request)
        stale = _forget_stale_results(session, case.id or 0)
        document_ids = [d.id or 0 for d in documents]
        append_event(
            session,
            actor=ACTOR,
            action="information.answered",
            case_id=case.id,
            payload={
                "request_id": request.id,
                "documents": document_ids,
                "replaced_results": stale,
            },
            personal={"note": note} if note else None,
        )
        transition(
            session,
            case,
            CaseStatus.EXTRACTING,
            actor=ACTOR,
            why="the applicant answered the request for information; reading the new documents",
        )
        return AnswerRecorded(case.id or 0, request.id or 0, document_ids)
