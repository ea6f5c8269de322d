"""The outbox: a message is a row written with the event that causes it, so a decision is never
recorded without its message nor a message sent for an event that rolled back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.models import Applicant, Case, DeliveryStatus, MessageKind, OutboxMessage
from cases.vocabulary import Language

__all__ = ["case_messages", "queue_message"]


def queue_message(
    session: Session,
    case: Case,
    kind: MessageKind,
    *,
    actor: str,
    facts: Mapping[str, Any] | None = None,
    letter_ids: Iterable[int] = (),
) -> OutboxMessage:
    """Queue ``kind`` for the case's applicant in their preferred language, in ``session``'s
    transaction (not committed here). An applicant without an e-mail address gets the message
    recorded as ``no_address``, so staff see that nothing could be sent."""
    applicant = session.get(Applicant, case.applicant_id) if case.applicant_id else None
    recipient = applicant.email if applicant is not None and applicant.email else None
    language = applicant.preferred_language if applicant is not None else Language.EN
    message = OutboxMessage(
        case_id=case.id or 0,
        kind=kind,
        language=language,
        recipient=recipient,
        facts={"reference": case.reference, **(facts or {})},
        letter_ids=list(letter_ids),
        status=DeliveryStatus.PENDING if recipient else DeliveryStatus.NO_ADDRESS,
    )
    session.add(message)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="message.queued",
        case_id=case.id,
        payload={
            "message_id": message.id,
            "kind": kind.value,
            "language": language.value,
            "status": message.status.value,
            "letter_ids": message.letter_ids,
        },
    )
    return message


def case_messages(session: Session, case_id: int) -> list[OutboxMessage]:
    """A case's messages, oldest first (shown to staff on the case page)."""
    query = select(OutboxMessage).where(OutboxMessage.case_id == case_id)
    return list(session.exec(query.order_by(col(OutboxMessage.id))).all())
