"""Reissuing a letter: a staff action with a reason, kept in the audit trail; the old version
stays (superseded, still downloadable) and the applicant is sent the new one."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from cases.access import Actor
from cases.audit import readable_payload, values_beside
from cases.db import session_scope
from cases.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from cases.letters import issue_letters, reissue_letter
from cases.models import AuditEvent, Letter, MessageKind, OutboxMessage, Role
from cases.vocabulary import Language
from tests.factories import CASEWORKER, decided_case, letter_pdf

pytestmark = pytest.mark.usefixtures("db")


def _letters(case_id: int) -> list[Letter]:
    with session_scope() as session:
        statement = select(Letter).where(Letter.case_id == case_id).order_by(col(Letter.id))
        return list(session.exec(statement))


def _events(case_id: int, action: str) -> list[AuditEvent]:
    with session_scope() as session:
        statement = select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == action
        )
        return list(session.exec(statement.order_by(col(AuditEvent.seq))))


def _messages(case_id: int) -> list[OutboxMessage]:
    with session_scope() as session:
        statement = select(OutboxMessage).where(OutboxMessage.case_id == case_id)
        return list(session.exec(statement.order_by(col(OutboxMessage.id))))


def test_a_reissue_keeps_the_old_version_superseded_and_sends_the_new_one() -> None:
    case_id = decided_case("approve")
    [first] = issue_letters(case_id)

    second = reissue_letter(case_id, "en", "  Address corrected.  ", actor=CASEWORKER)

    old, new = _letters(case_id)
    assert (old.id, new.id) == (first.id, second.id)
    assert (old.version, new.version) == (1, 2)
    assert old.superseded_at is not None
    assert old.superseded_by == new.id
    assert new.superseded_at is None
    assert new.issued_by == CASEWORKER.username
    assert new.reissue_reason == "Address corrected."
    assert letter_pdf(old).startswith(b"%PDF-")  # the old one can still be downloaded
    [event] = _events(case_id, "letter.reissued")
    assert event.actor == CASEWORKER.username
    assert event.payload["personal"]["keys"] == ["reason"]  # the reason is kept beside it
    with session_scope() as session:
        details = readable_payload(event, values_beside(session, [event]).get(event.id or 0))
    assert details == {
        "letter_id": new.id,
        "language": "en",
        "version": 2,
        "supersedes": old.id,
        "reason": "Address corrected.",
    }
    sent = _messages(case_id)[-1]
    assert sent.kind == MessageKind.DECISION
    assert sent.letter_ids == [new.id]
    assert sent.facts["reissued"] is True


def test_the_letter_stage_after_a_reissue_prints_nothing_more() -> None:
    case_id = decided_case("approve")
    issue_letters(case_id)
    reissued = reissue_letter(case_id, "en", "Corrected.", actor=CASEWORKER)

    assert [letter.id for letter in issue_letters(case_id)] == [reissued.id]
    assert len(_letters(case_id)) == 2


def test_a_second_language_can_be_issued_by_reissuing_in_it() -> None:
    """An English applicant who asks for the letter in Chinese too gets version 1 in Chinese,
    and the English letter stays current."""
    case_id = decided_case("approve", language=Language.EN)
    [english] = issue_letters(case_id)

    chinese = reissue_letter(
        case_id, "zh-Hant", "The applicant asked for Chinese.", actor=CASEWORKER
    )

    assert (chinese.language, chinese.version) == ("zh-Hant", 1)
    assert [letter.superseded_at for letter in _letters(case_id)] == [None, None]
    assert _events(case_id, "letter.reissued")[0].payload["supersedes"] is None
    assert english.id != chinese.id


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reissue_needs_a_reason(reason: str) -> None:
    case_id = decided_case("approve")
    issue_letters(case_id)

    with pytest.raises(InvalidInput, match="Give the reason for reissuing the letter"):
        reissue_letter(case_id, "en", reason, actor=CASEWORKER)

    assert len(_letters(case_id)) == 1


def test_a_reissue_in_an_unknown_language_is_refused_with_the_choices() -> None:
    case_id = decided_case("approve")
    issue_letters(case_id)

    with pytest.raises(InvalidInput, match="letters are written in en or zh-Hant, not 'fr'"):
        reissue_letter(case_id, "fr", "French please.", actor=CASEWORKER)


def test_an_auditor_may_not_reissue() -> None:
    case_id = decided_case("approve")
    issue_letters(case_id)

    with pytest.raises(PermissionDenied, match=r"your role \(auditor\) may not reissue letters"):
        reissue_letter(case_id, "en", "Why not.", actor=Actor("test.auditor", Role.AUDITOR))

    assert _events(case_id, "letter.reissued") == []


def test_a_case_with_no_letter_yet_has_nothing_to_reissue() -> None:
    case_id = decided_case("approve")

    with pytest.raises(TransitionNotAllowed, match="has no issued decision letter to reissue"):
        reissue_letter(case_id, "en", "Early.", actor=CASEWORKER)

    assert _letters(case_id) == []
