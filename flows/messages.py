"""The scheduled flow that delivers the outbox: every due message, over SMTP or as .eml files."""

from __future__ import annotations

from prefect import flow
from prefect.logging import get_logger

from cases.notifications import send_due_messages

__all__ = ["send_messages"]


@flow(name="send-messages")
def send_messages(limit: int = 50) -> dict[str, list[int]]:
    """Deliver what is due; retries and back-off are recorded on each message, not in Prefect."""
    report = send_due_messages(limit=limit).as_dict()
    if any(report.values()):
        get_logger("permits.messages").info("messages %s", report)
    return report
