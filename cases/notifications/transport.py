"""Putting a rendered message on its way: over SMTP, or as an ``.eml`` file when no server is set.

An SMTP answer decides what happens next: a 4xx is the server saying "not now" (greylisting, a
full queue) and so is a connection that fails or drops, so the message is tried again later; a 5xx
is "never" (no such mailbox, refused as spam) and is recorded at once with the server's answer.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from cases.notifications.delivery import DeliveryFailure
from cases.settings import Settings

__all__ = ["Attachment", "build_email", "eml_path", "send_smtp", "write_eml"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes = field(repr=False)


def build_email(
    settings: Settings,
    *,
    recipient: str,
    subject: str,
    body: str,
    language: str,
    message_key: str,
    attachments: list[Attachment],
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = recipient
    email["Subject"] = subject
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(idstring=message_key, domain=domain)
    email.set_content(body, charset="utf-8")  # drops every Content-* header set before it
    # the text's language; with attachments it moves to the text part and is named again on the
    # whole message, so a mail client sees it either way
    email["Content-Language"] = language
    for attachment in attachments:
        email.add_attachment(
            attachment.data, maintype="application", subtype="pdf", filename=attachment.filename
        )
    if email.is_multipart():
        email["Content-Language"] = language
    return email


def send_smtp(settings: Settings, email: EmailMessage) -> None:
    """Hand the message to the configured server; raise DeliveryFailure if it is not taken."""
    assert settings.smtp_host is not None
    try:
        smtp = _connect(settings)
    except smtplib.SMTPResponseException as exc:
        raise _answered(exc.smtp_code, exc.smtp_error) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailure(_unanswered(settings, exc), permanent=False) from exc
    try:
        smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        code, answer = next(iter(exc.recipients.values()))
        raise _answered(code, answer) from exc
    except smtplib.SMTPResponseException as exc:
        raise _answered(exc.smtp_code, exc.smtp_error) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailure(_unanswered(settings, exc), permanent=False) from exc
    finally:
        _quit(smtp)


def _tls_context(settings: Settings) -> ssl.SSLContext:
    """Certificate and host name checked, against the configured CA file or the system's."""
    cafile = settings.smtp_ca_file
    try:
        return ssl.create_default_context(cafile=str(cafile) if cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryFailure(
            f"the SMTP CA file {cafile} (PERMITS_SMTP_CA_FILE) cannot be read as PEM "
            f"certificates: {exc}; fix the setting, and the message is tried again",
            permanent=False,
        ) from exc


def _connect(settings: Settings) -> smtplib.SMTP:
    assert settings.smtp_host is not None
    timeout = settings.smtp_timeout_s
    context = _tls_context(settings)
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    try:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
    except BaseException:
        _quit(smtp)
        raise
    return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; a server that already hung up changes nothing about the delivery."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _answered(code: int, answer: bytes | str) -> DeliveryFailure:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    return DeliveryFailure(f"{code} {text}".strip(), permanent=500 <= code < 600, code=code)


def _unanswered(settings: Settings, exc: BaseException) -> str:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    return f"no answer from the SMTP server {where}: {exc or type(exc).__name__}"


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def eml_path(folder: Path, reference: str, message_id: int) -> Path:
    """``<outbox>/<case reference>-<message id>.eml``."""
    return folder / f"{_UNSAFE.sub('_', reference)}-{message_id}.eml"


def write_eml(path: Path, email: EmailMessage) -> None:
    """Write the message whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(email))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
