"""The sender: turn each due outbox row into a delivered message and record how it went.

Rendering happens here, at send time, from the row's facts plus what the case knows (its permit's
name in the message's language, the applicant's name, the status page's address, the attached
letters' file names). A message that cannot be rendered (a template missing or broken, a letter's
PDF gone from the store) fails at once with the reason, for staff to put right; a server that says
"not now" is retried with back-off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from sqlmodel import Session

from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.documents import read_stored
from cases.errors import (
    CatalogueError,
    NotFound,
    StorageUnavailable,
    StoredPathOutsideDataFolder,
)
from cases.models import Applicant, Case, DeliveryStatus, Letter, MessageKind, OutboxMessage
from cases.notifications.delivery import (
    DeliveryFailure,
    claim_due_messages,
    record_failure,
    record_sent,
)
from cases.notifications.rendering import render_message
from cases.notifications.transport import (
    Attachment,
    build_email,
    eml_path,
    send_smtp,
    write_eml,
)
from cases.settings import get_settings
from cases.vocabulary import Language

__all__ = ["SendReport", "send_due_messages"]


@dataclass
class SendReport:
    """What one run of the sender did, by message id."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def send_due_messages(*, now: dt.datetime | None = None, limit: int = 50) -> SendReport:
    """Deliver every message whose next attempt has come (at most ``limit`` per run)."""
    report = SendReport()
    for message_id in claim_due_messages(now=now, limit=limit):
        try:
            via, detail = _deliver(message_id)
        except DeliveryFailure as failure:
            status = record_failure(message_id, failure)
            (report.failed if status is DeliveryStatus.FAILED else report.retrying).append(
                message_id
            )
        else:
            record_sent(message_id, via=via, detail=detail)
            report.sent.append(message_id)
    return report


def _deliver(message_id: int) -> tuple[str, dict[str, Any]]:
    settings = get_settings()
    email, reference = _compose(message_id)
    if settings.smtp_host is None:
        path = eml_path(settings.outbox_dir, reference, message_id)
        write_eml(path, email)
        return "eml", {"file": path.relative_to(settings.resolved_data_dir).as_posix()}
    send_smtp(settings, email)
    return "smtp", {"server": f"{settings.smtp_host}:{settings.smtp_port}"}


def _compose(message_id: int) -> tuple[EmailMessage, str]:
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        case = session.get(Case, message.case_id)
        assert case is not None
        if not message.recipient:
            raise DeliveryFailure("the message has no recipient address", permanent=True)
        attachments = _attachments(session, message, case)
        facts = _facts(session, message, case, attachments)
        try:
            rendered = render_message(message.kind, message.language, facts)
        except CatalogueError as exc:
            raise DeliveryFailure(
                f"the message template cannot be used: {exc}", permanent=True
            ) from exc
        email = build_email(
            get_settings(),
            recipient=message.recipient,
            subject=rendered.subject,
            body=rendered.body,
            language=message.language.value,
            message_key=f"{case.reference}.{message_id}",
            attachments=attachments,
        )
        return email, case.reference


def _facts(
    session: Session, message: OutboxMessage, case: Case, attachments: list[Attachment]
) -> dict[str, Any]:
    """The row's facts, with what every message may say added where the row does not say it."""
    applicant = session.get(Applicant, case.applicant_id) if case.applicant_id else None
    derived: dict[str, Any] = {
        "reference": case.reference,
        "permit_name": _permit_name(case.permit_type, message.language),
        "applicant_name": applicant.name if applicant else "",
        "status_url": f"{get_settings().public_base_url}/status",
        "attachments": [attachment.filename for attachment in attachments],
    }
    if message.kind is MessageKind.DECISION and case.decided_outcome:
        derived["outcome"] = case.decided_outcome
    if message.kind is MessageKind.REMINDER:
        derived["on_no_answer"] = _on_no_answer(case.permit_type)
    kinds = message.facts.get("document_kinds")
    if kinds:
        derived["documents"] = _document_names(case.permit_type, list(kinds), message.language)
    if "what" in message.facts:
        derived["asked"] = message.facts["what"]
    return derived | message.facts


def _permit_name(permit_type: str, language: Language) -> str:
    try:
        return get_permit_type(permit_type).permit.name.in_language(language)
    except NotFound:
        return permit_type


def _on_no_answer(permit_type: str) -> str | None:
    """What the permit does with a request still unanswered after the reminder."""
    try:
        return get_permit_type(permit_type).permit.information_requests.on_no_answer
    except NotFound:
        return None


def _document_names(permit_type: str, kinds: list[str], language: Language) -> list[str]:
    """The documents asked for, as the permit names them in the message's language."""
    try:
        permit = get_permit_type(permit_type).permit
    except NotFound:
        return list(kinds)
    documents = [(kind, permit.document(kind)) for kind in kinds]
    return [kind if doc is None else doc.name.in_language(language) for kind, doc in documents]


def _attachments(session: Session, message: OutboxMessage, case: Case) -> list[Attachment]:
    attachments = []
    for letter_id in message.letter_ids:
        letter = session.get(Letter, letter_id)
        if letter is None or letter.case_id != case.id:
            raise DeliveryFailure(
                f"letter {letter_id} is not a letter of this case", permanent=True
            )
        try:
            data = read_stored(letter.pdf_path)
        except StorageUnavailable as exc:  # the store is down or refuses us: try again later
            raise DeliveryFailure(str(exc), permanent=False) from exc
        except (OSError, StoredPathOutsideDataFolder) as exc:
            raise DeliveryFailure(
                f"letter {letter_id}'s PDF cannot be read from the content store "
                f"({letter.pdf_path})",
                permanent=True,
            ) from exc
        filename = f"{case.reference}-{letter.outcome}-{letter.language}.pdf"
        attachments.append(Attachment(filename, data))
    return attachments
