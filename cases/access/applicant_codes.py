"""Applicants' access codes and the status they open: no login, no personal data.

At intake the applicant is given the case reference and a random access code; only an argon2 hash
of the code is stored. The public status page needs both and shows only the status in plain words,
the submitted date, what the office is waiting for and the letters sent (each can be downloaded
again there, for an applicant who gave no e-mail address or lost the message). A wrong code and
an unknown reference get the same answer, after the same amount of work, so the page cannot be
used to probe references.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from cases.errors import NotFound, PermitsError
from cases.lifecycle import CaseStatus
from cases.models import Case, InformationRequest, Letter
from cases.repository import open_request

__all__ = [
    "ApplicantStatus",
    "LetterSent",
    "WrongAccessCode",
    "applicant_letter",
    "applicant_status",
    "case_for_code",
    "issue_access_code",
]

# No 0/O, 1/I/L: the code is read off paper and typed in by hand.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_GROUPS, _GROUP_LENGTH = 3, 4  # 12 characters, ~59 bits
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-code")

_STATUS_TEXT = {
    CaseStatus.SUBMITTED: "Received; the documents are being read",
    CaseStatus.EXTRACTING: "Received; the documents are being read",
    CaseStatus.AWAITING_VERIFICATION: "Being checked by the licensing office",
    CaseStatus.CHECKING: "Being checked by the licensing office",
    CaseStatus.REVIEWING: "Being checked by the licensing office",
    CaseStatus.REVIEWED: "Being checked by the licensing office",
    CaseStatus.AWAITING_DECISION: "Waiting for a decision by the licensing office",
    CaseStatus.AWAITING_APPLICANT: "Waiting for information from you",
    CaseStatus.DECIDED: "Decided; the decision letter is being prepared",
    CaseStatus.LETTER_ISSUED: "Decided; the decision letter has been sent to you",
    CaseStatus.CLOSED: "Closed",
    CaseStatus.WITHDRAWN: "Withdrawn",
}


class WrongAccessCode(PermitsError):
    http_status = 404

    def __init__(self) -> None:
        super().__init__(
            "No application matches this reference and access code. Check both against the "
            "receipt you were given (the code has 12 letters and digits)."
        )


@dataclass(frozen=True)
class LetterSent:
    """A letter of the case in its current version, as the status page lists it."""

    id: int
    kind: str  # approve, refuse, information_request, lapse
    language: str
    issued_on: dt.date


@dataclass(frozen=True)
class ApplicantStatus:
    """What the status page shows. The texts are English message ids the web layer translates."""

    reference: str
    status: str
    submitted_on: dt.date
    awaited: str
    requested: str | None = None  # what a caseworker asked for, in their words
    requested_by: dt.date | None = None
    permit_type: str = ""
    request_id: int | None = None  # the open request the applicant can answer on the page
    requested_documents: tuple[str, ...] = ()  # kinds of document asked for
    grace_until: dt.date | None = None  # after a reminder: the last day to answer
    letters: tuple[LetterSent, ...] = ()  # oldest first


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def issue_access_code(session: Session, case: Case) -> str:
    """Give the case a new access code and return it (shown once, on the applicant's receipt).

    Issuing again replaces the old code, so a lost receipt can be re-issued at the counter.
    """
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_GROUPS * _GROUP_LENGTH))
    case.access_code_hash = _hasher.hash(raw)
    session.add(case)
    session.flush()
    return "-".join(raw[i : i + _GROUP_LENGTH] for i in range(0, len(raw), _GROUP_LENGTH))


def _awaited(session: Session, case: Case) -> tuple[str, InformationRequest | None]:
    if case.status == CaseStatus.AWAITING_APPLICANT:
        request = open_request(session, case.id)
        return "Information from you; the office will contact you.", request
    if case.status in (CaseStatus.CLOSED, CaseStatus.WITHDRAWN, CaseStatus.LETTER_ISSUED):
        return "Nothing.", None
    return "Nothing from you at the moment; the office is working on your application.", None


def case_for_code(session: Session, reference: str, code: str, *, for_update: bool = False) -> Case:
    """The case a reference and its access code open; :class:`WrongAccessCode` otherwise."""
    query = select(Case).where(Case.reference == reference.strip().upper())
    case = session.exec(query.with_for_update() if for_update else query).first()
    stored = case.access_code_hash if case is not None else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, _normalise(code))
    except (VerificationError, InvalidHashError):
        raise WrongAccessCode from None
    if case is None or stored is None:
        raise WrongAccessCode
    return case


def applicant_status(session: Session, reference: str, code: str) -> ApplicantStatus:
    """The status a reference and its access code open; :class:`WrongAccessCode` otherwise."""
    case = case_for_code(session, reference, code)
    awaited, request = _awaited(session, case)
    return ApplicantStatus(
        reference=case.reference,
        status=_STATUS_TEXT.get(CaseStatus(case.status), str(case.status)),
        submitted_on=case.submitted_at.date(),
        awaited=awaited,
        requested=request.what if request else None,
        requested_by=request.due_on if request else None,
        permit_type=case.permit_type,
        request_id=request.id if request else None,
        requested_documents=tuple(request.document_kinds) if request else (),
        grace_until=request.grace_until if request else None,
        letters=tuple(
            LetterSent(
                letter.id or 0, str(letter.outcome), letter.language, letter.created_at.date()
            )
            for letter in _current_letters(session, case)
        ),
    )


def _current_letters(session: Session, case: Case) -> list[Letter]:
    query = select(Letter).where(Letter.case_id == case.id, col(Letter.superseded_at).is_(None))
    return list(session.exec(query.order_by(col(Letter.created_at), col(Letter.id))))


def applicant_letter(session: Session, reference: str, code: str, letter_id: int) -> Letter:
    """A current letter of the case the reference and code open (:class:`WrongAccessCode`
    otherwise); :class:`NotFound` for a letter of another case or a version since replaced."""
    case = case_for_code(session, reference, code)
    for letter in _current_letters(session, case):
        if letter.id == letter_id:
            return letter
    raise NotFound("No such letter on this application; open the application again.")
