"""The outbox's side of delivery: claim what is due, record how each attempt went.

Two senders may run at once (a scheduled run overlapping ``permits messages send``, or workers on
several machines). A message is claimed before it is sent: on PostgreSQL the due rows are read
``FOR UPDATE SKIP LOCKED`` (a row another sender is claiming is skipped, not waited for), and on
every database the claim itself is a conditional update that only succeeds while the row still has
the attempt count it was read with, so exactly one sender wins it. The claim counts the attempt
and moves ``next_attempt_at`` past a lease: a sender that dies mid-delivery leaves the message to
be tried again once the lease is over, never lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from cases.audit import append_event
from cases.db import session_scope
from cases.models import DeliveryStatus, OutboxMessage, utcnow
from cases.settings import get_settings

__all__ = [
    "CLAIM_LEASE",
    "DUE_STATUSES",
    "SENDER",
    "DeliveryFailure",
    "claim_due_messages",
    "record_failure",
    "record_sent",
    "retry_delay",
]

SENDER = "send-messages"  # the actor named in the audit trail
DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
CLAIM_LEASE = dt.timedelta(minutes=10)  # longer than any one delivery takes


@dataclass
class DeliveryFailure(Exception):
    """A delivery that did not happen. ``permanent`` when trying again cannot help (a 5xx
    answer, a template or letter that is missing); ``answer`` is what the server (or the check)
    said, kept on the row for staff."""

    answer: str
    permanent: bool
    code: int | None = None

    def __str__(self) -> str:
        return self.answer


def claim_due_messages(*, now: dt.datetime | None = None, limit: int = 50) -> list[int]:
    """Claim up to ``limit`` messages whose next attempt has come; return their ids."""
    now = now or utcnow()
    with session_scope() as session:
        query = (
            select(OutboxMessage.id, OutboxMessage.attempts)
            .where(col(OutboxMessage.status).in_(DUE_STATUSES))
            .where(col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed: list[int] = []
        for message_id, attempts in session.exec(query).all():
            assert message_id is not None
            result: Any = session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id)
                .where(col(OutboxMessage.attempts) == attempts)
                .where(col(OutboxMessage.status).in_(DUE_STATUSES))
                .values(attempts=attempts + 1, next_attempt_at=now + CLAIM_LEASE)
            )
            if result.rowcount == 1:
                claimed.append(message_id)
    return claimed


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential back-off: the base wait after the first failed attempt, doubled after each."""
    base = get_settings().message_retry_base_s
    return dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def record_sent(message_id: int, *, via: str, detail: dict[str, Any]) -> None:
    """Mark the message sent and say so on the case's audit trail."""
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        message.status, message.sent_at, message.last_error = DeliveryStatus.SENT, utcnow(), None
        session.add(message)
        append_event(
            session,
            actor=SENDER,
            action="message.sent",
            case_id=message.case_id,
            payload={**_about(message), "via": via, **detail},
        )


def record_failure(message_id: int, failure: DeliveryFailure) -> DeliveryStatus:
    """Record a failed attempt: retried later with back-off while it is transient and attempts
    remain, else failed for good. Returns the status the message now has."""
    limit = get_settings().message_max_attempts
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        message.last_error = failure.answer
        payload: dict[str, Any] = {
            **_about(message),
            "smtp_code": failure.code,
        }
        if failure.permanent or message.attempts >= limit:
            message.status = DeliveryStatus.FAILED
            payload["reason"] = "permanent" if failure.permanent else "attempts_exhausted"
        else:
            message.status = DeliveryStatus.RETRYING
            message.next_attempt_at = utcnow() + retry_delay(message.attempts)
            payload["next_attempt_at"] = message.next_attempt_at.isoformat()
        session.add(message)
        append_event(
            session,
            actor=SENDER,
            action=f"message.{message.status.value}",
            case_id=message.case_id,
            payload=payload,
            # a server's answer often quotes the recipient's address
            personal={"answer": failure.answer} if failure.answer else None,
        )
        return message.status


def _about(message: OutboxMessage) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "kind": message.kind.value,
        "language": message.language.value,
        "attempts": message.attempts,
    }
