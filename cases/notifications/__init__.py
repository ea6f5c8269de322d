"""Messages to applicants: queued in the transaction of the event that causes them (the outbox),
delivered later by a sender that records how each delivery went."""

from __future__ import annotations

from cases.notifications.outbox import case_messages, queue_message

__all__ = ["case_messages", "queue_message"]
