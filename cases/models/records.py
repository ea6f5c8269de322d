"""Records kept beside the case: the audit trail, failed logins, the outbox, drop box receipts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from cases.columns import EnumText
from cases.models.core import _json_column, utcnow
from cases.vocabulary import Language


class AuditEvent(SQLModel, table=True):
    """One entry of the append-only, hash-chained audit trail. Never updated, never deleted."""

    # The KPIs find one kind of event per case (``eligibility.evaluated``) by action.
    __table_args__ = (Index("ix_auditevent_action_case_id", "action", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    at: dt.datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    payload: dict[str, Any] = _json_column()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class FailedAttempt(SQLModel, table=True):
    """One failed log-in or status look-up; the key is a SHA-256 digest (cases.access.attempts)."""

    __table_args__ = (Index("ix_failedattempt_scope_key_at", "scope", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=32)
    key: str = Field(max_length=64)
    at: float  # seconds since the epoch: every web process shares the clock


class AuditChainHead(SQLModel, table=True):
    """A single row whose update serialises appends, so the chain never forks under concurrency."""

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)
    # which audit key the chain is HMAC-ed with (cases.audit.keys.key_id); None: the unkeyed
    # SHA-256 chain of earlier versions, re-keyed on the first append with a key
    key_id: str | None = Field(default=None, max_length=16)


class AuditPersonal(SQLModel, table=True):
    """Personal values an audit event refers to, kept beside it rather than in it: the event's
    payload holds only the names of the values and a salted digest of them, so retention can
    blank this row (values and salt) and the chain, which never covered the values themselves,
    still verifies. A blanked row is valid only when the chain records the case's purge."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="auditevent.id", unique=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    values: dict[str, Any] = _json_column()
    salt: str | None = Field(default=None, max_length=64)
    purged_at: dt.datetime | None = None


class MessageKind(StrEnum):
    """Why the office writes to an applicant; each kind has a template per language."""

    ACKNOWLEDGEMENT = "acknowledgement"
    INFORMATION_REQUEST = "information_request"
    REMINDER = "reminder"
    DECISION = "decision"
    LAPSE = "lapse"


class DeliveryStatus(StrEnum):
    """Where a queued message stands. ``no_address`` is final: the applicant gave no e-mail."""

    PENDING = "pending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    NO_ADDRESS = "no_address"


class OutboxMessage(SQLModel, table=True):
    """A message to an applicant, written in the same transaction as the event that causes it
    (the transactional outbox): a sender delivers it later and records how that went. ``facts``
    holds what the message says as data (reference, what is asked, by when...); its subject and
    body are rendered from them in ``language`` when it is sent, never stored as sentences.
    ``letter_ids`` names the issued letters attached to it."""

    __table_args__ = (
        Index("ix_outboxmessage_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: MessageKind = Field(sa_type=EnumText(MessageKind))
    language: Language = Field(sa_type=EnumText(Language, 8))
    recipient: str | None = Field(default=None, max_length=254)
    facts: dict[str, Any] = _json_column()
    letter_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, sa_type=EnumText(DeliveryStatus))
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    last_error: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: dt.datetime | None = None


class DropBoxReceipt(SQLModel, table=True):
    """One application the scanner drop box turned into a case, known by its content: a file's
    SHA-256, or for a sub-folder the SHA-256 of its files' digests (sorted, so names and order do
    not matter). The same application dropped again is recognised and not processed twice.
    Written in the case's own transaction: no receipt without its case, no case without it."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True, index=True)
    permit_type: str = Field(max_length=64)
    dropped_as: str = Field(max_length=255)  # its name in incoming/
    files: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # [{"name": ..., "sha256": ..., "kind": ...}]
    case_id: int = Field(foreign_key="case.id", index=True)
    received_at: dt.datetime = Field(default_factory=utcnow)
