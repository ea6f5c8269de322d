"""Reissuing a letter: staff print a decision letter again (a corrected template, a second
language, a lost letter), with a reason. The old version stays, marked superseded and still
downloadable; the new one has the next version number, and the applicant is sent it.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from cases.access import Actor, role_name
from cases.audit import append_event
from cases.db import session_scope
from cases.errors import InvalidInput, PermissionDenied, RemovedByRetention, TransitionNotAllowed
from cases.letters.drafting import check_unchanged, draft_letter, print_letter, record_letter, seen
from cases.lifecycle import CaseStatus
from cases.models import Case, Letter, MessageKind, Role, utcnow
from cases.notifications import queue_message
from cases.repository import get_case
from cases.vocabulary import Language, LetterKind

__all__ = ["REISSUE_ROLES", "reissue_letter"]

#: Who may reissue a letter: the staff who decide cases (an auditor only reads, an admin
#: authors the catalogue).
REISSUE_ROLES = frozenset({Role.CASEWORKER, Role.SENIOR_CASEWORKER})
_REISSUABLE = frozenset({CaseStatus.LETTER_ISSUED, CaseStatus.CLOSED})


def _checked(language: str, reason: str, actor: Actor) -> tuple[Language, str]:
    if actor.role not in REISSUE_ROLES:
        raise PermissionDenied(
            f"your role ({role_name(actor.role)}) may not reissue letters; a caseworker or a "
            "senior caseworker may"
        )
    try:
        chosen = Language(language)
    except ValueError:
        known = " or ".join(language.value for language in Language)
        raise InvalidInput(f"letters are written in {known}, not '{language}'") from None
    if not reason.strip():
        raise InvalidInput("Give the reason for reissuing the letter; the audit trail keeps it.")
    return chosen, reason.strip()


def _current(session: Session, case: Case, language: Language) -> Letter | None:
    statement = select(Letter).where(
        Letter.case_id == case.id,
        Letter.outcome == LetterKind.of_decision(case.decided_outcome),
        Letter.language == language,
        col(Letter.superseded_at).is_(None),
    )
    return session.exec(statement).first()


def _next_version(session: Session, case: Case, language: Language) -> int:
    statement = select(func.max(Letter.version)).where(
        Letter.case_id == case.id,
        Letter.outcome == LetterKind.of_decision(case.decided_outcome),
        Letter.language == language,
    )
    return int(session.exec(statement).one() or 0) + 1


def reissue_letter(case_id: int, language: str, reason: str, *, actor: Actor) -> Letter:
    """Print the case's decision letter in ``language`` again and record it as a new version;
    the current version in that language (if any) is superseded, never deleted."""
    chosen, why = _checked(language, reason, actor)
    with session_scope() as session:
        case = get_case(session, case_id)
        if case.status not in _REISSUABLE:
            raise TransitionNotAllowed(
                f"case {case.reference} has no issued decision letter to reissue yet "
                f"(it is {case.status.replace('_', ' ')})"
            )
        if case.purged_at is not None:
            raise RemovedByRetention(
                case.reference, f"{case.purged_at:%Y-%m-%d}", "no letter can be reissued"
            )
        expected = seen(case)
        draft = draft_letter(session, case, chosen)
    printed = print_letter(draft)
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        check_unchanged(case, expected)
        previous = _current(session, case, chosen)
        letter = record_letter(
            session,
            printed,
            actor=actor.username,
            version=_next_version(session, case, chosen),
            reissue_reason=why,
        )
        if previous is not None:
            previous.superseded_at = utcnow()
            previous.superseded_by = letter.id
            session.add(previous)
        append_event(
            session,
            actor=actor.username,
            action="letter.reissued",
            case_id=case.id,
            payload={
                "letter_id": letter.id,
                "language": chosen.value,
                "version": letter.version,
                "supersedes": previous.id if previous is not None else None,
            },
            personal={"reason": why},
        )
        queue_message(
            session,
            case,
            MessageKind.DECISION,
            actor=actor.username,
            facts={"outcome": str(case.decided_outcome), "reissued": True},
            letter_ids=[letter.id] if letter.id is not None else [],
        )
        return letter
