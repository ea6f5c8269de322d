"""The outbox: a message is queued with the event that causes it, in the applicant's language."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.models import Applicant, AuditEvent, Case, DeliveryStatus, MessageKind
from cases.notifications import case_messages, queue_message
from cases.vocabulary import Language
from tests.factories import sample_application, submit_sample

pytestmark = pytest.mark.usefixtures("db")


def _queue(email: str | None, language: Language, *, commit: bool = True) -> int:
    case_id = submit_sample(sample_application(3)).id or 0
    try:
        with session_scope() as session:
            case = session.get(Case, case_id)
            assert case is not None
            applicant = session.get(Applicant, case.applicant_id)
            assert applicant is not None
            applicant.email, applicant.preferred_language = email, language
            queue_message(
                session, case, MessageKind.INFORMATION_REQUEST, actor="kim", facts={"due": "x"}
            )
            if not commit:
                raise RuntimeError("the event that caused the message failed")
    except RuntimeError:
        pass
    return case_id


def test_a_message_is_queued_for_the_applicant_in_their_language_with_an_audit_event() -> None:
    case_id = _queue("chan@example.hk", Language.ZH_HANT)
    with session_scope() as session:
        (message,) = case_messages(session, case_id)
        assert (message.recipient, message.language) == ("chan@example.hk", Language.ZH_HANT)
        assert message.status is DeliveryStatus.PENDING
        assert message.facts["due"] == "x"
        assert message.facts["reference"].startswith("FBL-")
        events = session.exec(select(AuditEvent).where(AuditEvent.case_id == case_id)).all()
        queued = [e for e in events if e.action == "message.queued"]
        assert queued[0].payload["message_id"] == message.id


def test_an_applicant_without_e_mail_gets_the_message_recorded_as_not_sendable() -> None:
    case_id = _queue(None, Language.EN)
    with session_scope() as session:
        (message,) = case_messages(session, case_id)
        assert message.status is DeliveryStatus.NO_ADDRESS
        assert message.recipient is None


def test_a_message_is_not_queued_when_its_event_rolls_back() -> None:
    case_id = _queue("chan@example.hk", Language.EN, commit=False)
    with session_scope() as session:
        assert case_messages(session, case_id) == []
