"""The letter stage: a decided case's letters, one per language it is written in, issued once.

The languages are the applicant's preferred one, or English and Traditional Chinese when the
permit's ``letters: {languages: both}`` says so. Issuing is idempotent per (decision, language):
a letter already recorded in a language is not printed again, and the applicant is told once,
by one ``decision`` message naming the letters, queued in the transaction that records them.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from cases.catalogue import get_permit_type
from cases.db import read_scope, session_scope
from cases.letters.drafting import (
    check_unchanged,
    draft_letter,
    print_letter,
    record_letter,
    seen,
)
from cases.lifecycle import CaseStatus, Stage, runs_in
from cases.models import Applicant, Case, Letter, MessageKind
from cases.notifications import queue_message
from cases.repository import get_case, transition
from cases.vocabulary import Language, LetterKind

__all__ = ["ACTOR", "current_letters", "issue_letters", "letter_languages"]

ACTOR = "system:letters"


def letter_languages(session: Session, case: Case) -> list[Language]:
    """The languages the case's decision letters are written in, the applicant's own first."""
    applicant = session.get(Applicant, case.applicant_id) if case.applicant_id else None
    preferred = applicant.preferred_language if applicant is not None else Language.EN
    return get_permit_type(case.permit_type).permit.letters.languages_for(Language(preferred))


def current_letters(session: Session, case: Case) -> list[Letter]:
    """The case's letters for its decision that no reissue has superseded, oldest first."""
    statement = select(Letter).where(
        Letter.case_id == case.id,
        Letter.outcome == LetterKind.of_decision(case.decided_outcome),
        col(Letter.superseded_at).is_(None),
    )
    return list(session.exec(statement.order_by(col(Letter.id))))


def _missing(session: Session, case: Case) -> list[Language]:
    issued = {letter.language for letter in current_letters(session, case)}
    return [language for language in letter_languages(session, case) if language not in issued]


def issue_letters(case_id: int) -> list[Letter]:
    """Print the decided case's missing letters, record them, tell the applicant, and mark the
    case issued; a case that has moved on, or a second run, records nothing and returns the
    letters there are.

    Printing happens with no lock held, from the case as read; the row is locked only to check
    the case is still as it was and to record the letters. A second click or a retried run that
    printed too finds the first run's letters and records none of its own.
    """
    with read_scope() as session:  # no write lock while drafting (SQLite: writers carry on)
        case = get_case(session, case_id)
        if case.status not in runs_in(Stage.LETTER):
            return current_letters(session, case)
        expected = seen(case)
        drafts = [draft_letter(session, case, language) for language in _missing(session, case)]
    printed = [print_letter(draft) for draft in drafts]
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        if case.status not in runs_in(Stage.LETTER):
            return current_letters(session, case)
        check_unchanged(case, expected)
        still_missing = set(_missing(session, case))
        issued = [
            record_letter(session, letter, actor=ACTOR)
            for letter in printed
            if letter.draft.language in still_missing
        ]
        if issued:
            queue_message(
                session,
                case,
                MessageKind.DECISION,
                actor=ACTOR,
                facts={"outcome": str(case.decided_outcome)},
                letter_ids=[letter.id for letter in issued if letter.id is not None],
            )
        transition(
            session,
            case,
            CaseStatus.LETTER_ISSUED,
            actor=ACTOR,
            why=f"{case.decided_outcome} letter issued",
            details={"languages": [letter.language for letter in issued]},
        )
        return current_letters(session, case)
