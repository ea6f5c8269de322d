"""Sending the outbox: a queued message reaches the applicant in their language, with its letters,
through a real (local) SMTP server; a server that says "not now" is retried with back-off, one that
says "never" is recorded with its answer; without a server each message becomes an .eml file; and
two senders never deliver a message twice."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlmodel import col, select

from cases.db import session_scope
from cases.documents import store_bytes, stored_path
from cases.models import (
    Applicant,
    AuditEvent,
    Case,
    DeliveryStatus,
    Letter,
    MessageKind,
    OutboxMessage,
    utcnow,
)
from cases.notifications import claim_due_messages, queue_message, send_due_messages
from cases.settings import get_settings
from cases.vocabulary import Decision, Language
from tests.conftest import Invoke
from tests.factories import decided_case

pytestmark = pytest.mark.usefixtures("db")

PDF = b"%PDF-1.4\n% a decision letter\n%%EOF\n"


class Mailbox:
    """What the test SMTP server received, and the answers it gives to the next DATA commands."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.answers: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
            content = envelope.original_content or b""
            email = message_from_bytes(content, policy=policy.default)
            assert isinstance(email, EmailMessage)
            self.received.append(email)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def mailbox(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("PERMITS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PERMITS_SMTP_PORT", str(port))
    monkeypatch.setenv("PERMITS_SMTP_SECURITY", "none")
    monkeypatch.setenv("PERMITS_MAIL_FROM", "Licensing Office <permits@office.example>")
    monkeypatch.setenv("PERMITS_MESSAGE_RETRY_BASE_S", "60")
    get_settings.cache_clear()
    try:
        yield box
    finally:
        controller.stop()
        get_settings.cache_clear()


def _message(
    *,
    email: str | None = "chan@example.hk",
    language: Language = Language.ZH_HANT,
    kind: MessageKind = MessageKind.DECISION,
    with_letter: bool = True,
    facts: dict[str, Any] | None = None,
) -> int:
    """A decided case whose applicant has ``email`` and ``language``, its letter issued, and one
    message queued for it; returns the message's id."""
    case_id = decided_case("approve")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        applicant = Applicant(name="陳大文", email=email, preferred_language=language)
        session.add(applicant)
        session.flush()
        case.applicant_id = applicant.id
        letter_ids = []
        if with_letter:
            digest = store_bytes(PDF)
            letter = Letter(
                case_id=case_id,
                outcome=Decision.APPROVE,
                language=language.value,
                template="food-business-licence/approve",
                template_sha256="0" * 64,
                html_path=stored_path(digest),
                pdf_path=stored_path(digest),
                pdf_sha256=digest,
            )
            session.add(letter)
            session.flush()
            letter_ids.append(letter.id or 0)
        message = queue_message(
            session, case, kind, actor="test", facts=facts or {}, letter_ids=letter_ids
        )
        assert message.id is not None
        return message.id


def _row(message_id: int) -> OutboxMessage:
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def _actions(message_id: int) -> list[str]:
    case_id = _row(message_id).case_id
    with session_scope() as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.seq))
        ).all()
        return [e.action for e in events if e.payload.get("message_id") == message_id]


def _last_event(message_id: int) -> AuditEvent:
    case_id = _row(message_id).case_id
    with session_scope() as session:
        query = select(AuditEvent).where(AuditEvent.case_id == case_id)
        return session.exec(query.order_by(col(AuditEvent.seq).desc())).first()  # type: ignore[return-value]


def test_a_decision_reaches_the_applicant_in_chinese_with_the_letter_attached(
    mailbox: Mailbox,
) -> None:
    message_id = _message()

    report = send_due_messages()

    assert report.sent == [message_id]
    (email,) = mailbox.received
    assert mailbox.envelopes == [("permits@office.example", ["chan@example.hk"])]
    reference = _row(message_id).facts["reference"]
    assert email["Subject"] == f"{reference}：您的食物業牌照申請結果"
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "陳大文" in text
    assert "已獲批准" in text
    assert (email["Content-Language"], body["Content-Language"]) == ("zh-Hant", "zh-Hant")
    assert f"{get_settings().public_base_url}/status" in text
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{reference}-approve-zh-Hant.pdf"
    assert attachment.get_content() == PDF
    row = _row(message_id)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, None)
    assert row.sent_at is not None
    assert _actions(message_id) == ["message.queued", "message.sent"]


def test_an_english_applicant_gets_the_english_text(mailbox: Mailbox) -> None:
    message_id = _message(
        language=Language.EN,
        kind=MessageKind.INFORMATION_REQUEST,
        with_letter=False,
        facts={"asked": "A clearer copy of the fire certificate", "due_on": "2026-04-01"},
    )

    send_due_messages()

    (email,) = mailbox.received
    assert "more information needed for your Food Business Licence" in email["Subject"]
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "A clearer copy of the fire certificate" in text
    assert "1 April 2026" in text
    assert list(email.iter_attachments()) == []
    assert email["Content-Language"] == "en"
    assert _row(message_id).status is DeliveryStatus.SENT


def test_a_server_that_refuses_twice_is_retried_with_growing_waits_then_accepts(
    mailbox: Mailbox,
) -> None:
    mailbox.answers = ["451 4.3.0 Try again later", "421 4.7.0 Too busy"]
    message_id = _message()

    first = utcnow()
    assert send_due_messages().retrying == [message_id]
    row = _row(message_id)
    assert (row.status, row.attempts) == (DeliveryStatus.RETRYING, 1)
    assert row.last_error == "451 4.3.0 Try again later"
    first_wait = row.next_attempt_at - first
    assert dt.timedelta(seconds=59) < first_wait < dt.timedelta(seconds=70)
    assert send_due_messages().sent == []  # not before its time

    second = utcnow()
    assert send_due_messages(now=row.next_attempt_at).retrying == [message_id]
    row = _row(message_id)
    assert (row.status, row.attempts, row.last_error) == (
        DeliveryStatus.RETRYING,
        2,
        "421 4.7.0 Too busy",
    )
    assert dt.timedelta(seconds=119) < row.next_attempt_at - second < dt.timedelta(seconds=130)

    assert send_due_messages(now=row.next_attempt_at).sent == [message_id]
    row = _row(message_id)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 3, None)
    assert len(mailbox.received) == 1
    assert _actions(message_id) == [
        "message.queued",
        "message.retrying",
        "message.retrying",
        "message.sent",
    ]


def test_a_permanent_refusal_is_recorded_at_once_with_the_servers_answer(
    mailbox: Mailbox,
) -> None:
    mailbox.answers = ["550 5.1.1 <chan@example.hk>: mailbox unavailable"]
    message_id = _message()

    report = send_due_messages()

    assert report.failed == [message_id]
    row = _row(message_id)
    assert row.status is DeliveryStatus.FAILED
    assert row.attempts == 1
    assert row.last_error == "550 5.1.1 <chan@example.hk>: mailbox unavailable"
    event = _last_event(message_id)
    assert event.action == "message.failed"
    assert event.payload["smtp_code"] == 550
    assert event.payload["reason"] == "permanent"
    far_later = utcnow() + dt.timedelta(days=30)
    assert send_due_messages(now=far_later).sent == []  # a failed message is never retried


def test_a_message_that_keeps_being_deferred_fails_after_the_last_attempt(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERMITS_MESSAGE_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    mailbox.answers = ["451 4.3.0 Try again later"] * 5
    message_id = _message()

    send_due_messages()
    assert send_due_messages(now=_row(message_id).next_attempt_at).failed == [message_id]

    row = _row(message_id)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 2)
    assert _last_event(message_id).payload["reason"] == "attempts_exhausted"


def test_a_server_that_cannot_be_reached_is_retried(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERMITS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PERMITS_SMTP_PORT", str(_free_port()))  # nothing listens there
    monkeypatch.setenv("PERMITS_SMTP_SECURITY", "none")
    get_settings.cache_clear()
    message_id = _message()

    assert send_due_messages().retrying == [message_id]

    row = _row(message_id)
    assert row.status is DeliveryStatus.RETRYING
    assert row.last_error is not None
    assert row.last_error.startswith("no answer from the SMTP server 127.0.0.1:")


def test_without_smtp_settings_each_message_is_written_as_an_eml_file(data_dir: Path) -> None:
    assert get_settings().smtp_host is None
    message_id = _message()
    reference = _row(message_id).facts["reference"]

    assert send_due_messages().sent == [message_id]

    path = data_dir / "outbox" / f"{reference}-{message_id}.eml"
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(email, EmailMessage)
    assert email["To"] == "chan@example.hk"
    assert email["Subject"] == f"{reference}：您的食物業牌照申請結果"
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_content() == PDF
    assert _row(message_id).status is DeliveryStatus.SENT
    event = _last_event(message_id)
    assert (event.action, event.payload["via"]) == ("message.sent", "eml")
    assert event.payload["file"] == f"outbox/{reference}-{message_id}.eml"


@pytest.mark.parametrize(
    ("language", "says"),
    [
        (
            Language.EN,
            "if we do not hear from you, a licensing officer will decide on the evidence",
        ),
        (Language.ZH_HANT, "如未能回覆，牌照主任將根據現有資料作出決定。"),
    ],
)
def test_a_reminder_says_what_the_permit_does_without_an_answer(
    mailbox: Mailbox, language: Language, says: str
) -> None:
    # the food licence refers an unanswered request to an officer; it does not lapse
    facts = {"what": "The fire certificate", "due_on": "2026-04-01", "grace_until": "2026-04-08"}
    _message(kind=MessageKind.REMINDER, language=language, with_letter=False, facts=facts)

    send_due_messages()

    (email,) = mailbox.received
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())  # as read, whatever the line breaks
    assert says in text
    assert "lapse" not in text


def test_a_message_without_an_address_is_not_sent(mailbox: Mailbox) -> None:
    message_id = _message(email=None)

    assert send_due_messages().sent == []

    assert mailbox.received == []
    assert _row(message_id).status is DeliveryStatus.NO_ADDRESS


def test_a_letter_missing_from_the_store_fails_the_message_with_the_reason(
    mailbox: Mailbox,
) -> None:
    message_id = _message()
    with session_scope() as session:
        letter = session.get(Letter, _row(message_id).letter_ids[0])
        assert letter is not None
        letter.pdf_path = "documents/00/gone"

    assert send_due_messages().failed == [message_id]

    assert mailbox.received == []
    error = _row(message_id).last_error
    assert error is not None
    assert "PDF cannot be read from the content store (documents/00/gone)" in error


def test_a_claimed_message_is_not_claimed_by_a_second_sender() -> None:
    message_id = _message()

    assert claim_due_messages() == [message_id]
    assert claim_due_messages() == []  # the other sender finds nothing to do

    row = _row(message_id)
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)


def test_two_senders_at_once_deliver_each_message_exactly_once(mailbox: Mailbox) -> None:
    ids = [_message(with_letter=False) for _ in range(8)]
    start = threading.Barrier(2)
    reports: list[list[int]] = []

    def sender() -> None:
        start.wait()
        reports.append(send_due_messages(limit=100).sent)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(reports[0] + reports[1]) == ids
    delivered = [email["Message-ID"] for email in mailbox.received]
    assert len(delivered) == len(set(delivered)) == 8
    assert {_row(i).attempts for i in ids} == {1}


def test_permits_messages_send_delivers_what_is_due_once(cli: Invoke, data_dir: Path) -> None:
    message_id = _message()
    reference = _row(message_id).facts["reference"]

    result = cli("messages", "send")

    assert result.exit_code == 0, result.output
    assert "1 sent as .eml files in" in result.output
    assert (data_dir / "outbox" / f"{reference}-{message_id}.eml").is_file()
    again = cli("messages", "send")
    assert "0 sent" in again.output


def test_the_send_messages_flow_delivers_through_the_same_sender(data_dir: Path) -> None:
    from flows.messages import send_messages

    message_id = _message()

    assert send_messages.fn() == {"sent": [message_id], "retrying": [], "failed": []}
    assert _row(message_id).status is DeliveryStatus.SENT
