"""Messages to applicants: queued in the transaction of the event that causes them (the outbox),
rendered from their facts in the applicant's language when sent, delivered over SMTP (or written
as ``.eml`` files when no server is configured) by a sender that records how each delivery went."""

from __future__ import annotations

from cases.notifications.delivery import DeliveryFailure, claim_due_messages
from cases.notifications.outbox import case_messages, queue_message
from cases.notifications.rendering import (
    COMMON_FACTS,
    MESSAGE_FACTS,
    RenderedMessage,
    check_message_templates,
    render_message,
)
from cases.notifications.sender import SendReport, send_due_messages

__all__ = [
    "COMMON_FACTS",
    "MESSAGE_FACTS",
    "DeliveryFailure",
    "RenderedMessage",
    "SendReport",
    "case_messages",
    "check_message_templates",
    "claim_due_messages",
    "queue_message",
    "render_message",
    "send_due_messages",
]
