"""Database tables (SQLModel). Migrations in ``migrations/`` must match these exactly (tested)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Numeric, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cases.columns import EnumText
from cases.lifecycle import CaseStatus
from cases.vocabulary import Decision, Language, LetterKind, Outcome, Risk

__all__ = [
    "Applicant",
    "ApprovalTask",
    "AuditChainHead",
    "AuditEvent",
    "AuditPersonal",
    "Case",
    "CaseKey",
    "ClosureDay",
    "DeliveryStatus",
    "Document",
    "DropBoxReceipt",
    "EligibilityResult",
    "ExtractedField",
    "FieldStatus",
    "FindingVerdict",
    "InformationRequest",
    "Letter",
    "MessageKind",
    "OutboxMessage",
    "PageFingerprint",
    "PageHashBand",
    "Precedent",
    "RequestResolution",
    "Review",
    "ReviewRun",
    "Role",
    "StaffNotice",
    "TaskKind",
    "TaskStatus",
    "User",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _json_column() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SENIOR_CASEWORKER = "senior_caseworker"
    ADMIN = "admin"
    AUDITOR = "auditor"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    display_name: str = Field(max_length=200)
    role: Role = Field(sa_type=String(32))
    password_hash: str = Field(max_length=255)
    active: bool = True
    # Carried in the signed session cookie; a cookie of an older generation no longer opens
    # anything. Logging out, deactivation and a password change move it on.
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: dt.datetime = Field(default_factory=utcnow)


class Applicant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    hkid: str | None = Field(default=None, max_length=16, index=True)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    # What messages and letters are written in; English until the applicant says otherwise.
    preferred_language: Language = Field(
        default=Language.EN,
        sa_type=EnumText(Language, 8),
        sa_column_kwargs={"server_default": "en"},
    )
    created_at: dt.datetime = Field(default_factory=utcnow)


class Case(SQLModel, table=True):
    # The inbox's "recent cases" reads the newest first from this index instead of sorting them all.
    __table_args__ = (Index("ix_case_submitted_at_id", "submitted_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True, max_length=32)
    permit_type: str = Field(index=True, max_length=64)
    status: CaseStatus = Field(default=CaseStatus.SUBMITTED, index=True, sa_type=String(32))
    applicant_id: int | None = Field(default=None, foreign_key="applicant.id")
    submitted_at: dt.datetime = Field(default_factory=utcnow)
    application_date: dt.date | None = None
    ruleset_version: str | None = Field(default=None, max_length=64)
    proposed_outcome: Outcome | None = Field(default=None, sa_type=EnumText(Outcome))
    decided_outcome: Decision | None = Field(default=None, sa_type=EnumText(Decision))
    decision_reason: str | None = None
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # argon2 hash of the applicant's access code for the public status page (cases.access).
    access_code_hash: str | None = Field(default=None, max_length=255)
    # Service level: due at the end of an office day, counted in working days from submission;
    # the clock is paused (since ``clock_paused_at``) while the case waits for the applicant.
    due_at: dt.datetime | None = Field(default=None, index=True)
    clock_paused_at: dt.datetime | None = None
    # when it reached a final status (its retention period runs from here; cases.retention)
    closed_at: dt.datetime | None = Field(default=None, index=True)
    # when retention removed its documents and personal data, keeping the decision record
    purged_at: dt.datetime | None = None


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=32)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    media_type: str = Field(max_length=64)
    size_bytes: int
    page_count: int = 1
    width_px: int | None = None
    height_px: int | None = None
    uploaded_at: dt.datetime = Field(default_factory=utcnow)
    # the request for information this document answers (None: sent with the application)
    information_request_id: int | None = Field(default=None, foreign_key="informationrequest.id")
    read_at: dt.datetime | None = None  # when extraction read it; None: not read yet


class FieldStatus(StrEnum):
    ACCEPTED = "accepted"  # read with enough confidence, valid
    FLAGGED = "flagged"  # a person must check it (reason says why)
    VERIFIED = "verified"  # a person confirmed or corrected it


class ExtractedField(SQLModel, table=True):
    # The KPI correction counts read every field's name and status from the first index, and
    # the fields a person changed from the second (partial: only those rows).
    __table_args__ = (
        UniqueConstraint("case_id", "name"),
        Index("ix_extractedfield_name_status", "name", "status", "case_id"),
        Index(
            "ix_extractedfield_corrected",
            "name",
            "case_id",
            sqlite_where=text("original_value IS NOT NULL"),
            postgresql_where=text("original_value IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    name: str = Field(max_length=64)
    value: str = ""
    raw_text: str = ""
    confidence: float = 0.0
    page: int = 1
    bbox: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    engine: str = Field(default="", max_length=64)
    status: FieldStatus = Field(default=FieldStatus.ACCEPTED, sa_type=String(16))
    # Why a person must check it: a fact (cases.facts), rendered in the reader's language.
    flag: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    original_value: str | None = None
    verified_by: str | None = Field(default=None, max_length=64)
    verified_at: dt.datetime | None = None


class EligibilityResult(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    ruleset_version: str = Field(max_length=64)
    outcome: Outcome = Field(sa_type=EnumText(Outcome))
    fee: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    trace: dict[str, Any] = _json_column()
    evaluated_at: dt.datetime = Field(default_factory=utcnow)


class Precedent(SQLModel, table=True):
    """A decided case as later reviews compare with it (``cases.precedents``): the embedding of
    its summary (model, weights hash, float32 vector), its outcome and its key values."""

    __table_args__ = (Index("ix_precedent_permit_type_id", "permit_type", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    permit_type: str = Field(max_length=64)
    outcome: Decision = Field(sa_type=EnumText(Decision))
    model_name: str = Field(max_length=200)
    weights_hash: str = Field(max_length=64)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The numbers and choices the summary names ({field: value}), for the unusual-values reviewer.
    key_values: dict[str, Any] = _json_column()
    summary: str = ""
    created_at: dt.datetime = Field(default_factory=utcnow)


class Review(SQLModel, table=True):
    # The inbox's risk filter counts open tasks by their review's risk without reading reviews.
    __table_args__ = (Index("ix_review_case_id_risk", "case_id", "risk"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    reviewer: str = Field(max_length=64)
    reviewer_version: str = Field(max_length=32)
    inputs_hash: str = Field(max_length=64)
    risk: Risk = Field(sa_type=EnumText(Risk, 16))
    findings: dict[str, Any] = _json_column()
    created_at: dt.datetime = Field(default_factory=utcnow)
    # Points from the permit's scoring table (cases.review.scoring); the inbox sorts by it.
    risk_score: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ReviewRun(SQLModel, table=True):
    """One reviewer's run within a review: who it was, what it was given, found, and took."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    reviewer: str = Field(max_length=64)
    version: str = Field(max_length=32)
    model_name: str | None = Field(default=None, max_length=200)
    weights_hash: str | None = Field(default=None, max_length=64)
    inputs_hash: str = Field(max_length=64)
    findings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    duration_ms: float = 0.0
    error: str | None = None  # why it failed (its findings are then empty); processing went on
    created_at: dt.datetime = Field(default_factory=utcnow)


class FindingVerdict(SQLModel, table=True):
    """A caseworker's word on a finding (confirmed or dismissed, with a reason): what the
    reviewers learn from (``permits review stats``)."""

    __table_args__ = (UniqueConstraint("review_id", "finding_index"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id")
    case_id: int = Field(foreign_key="case.id", index=True)
    finding_index: int
    code: str = Field(max_length=64, index=True)
    verdict: str = Field(max_length=16)  # confirmed | dismissed
    reason: str = ""
    decided_by: str = Field(max_length=64)
    decided_at: dt.datetime = Field(default_factory=utcnow)


class CaseKey(SQLModel, table=True):
    """What identifies an application for finding repeats: the applicant's identity card number
    and the premises' normalised address, with when the case was submitted."""

    __table_args__ = (Index("ix_casekey_kind_value_submitted", "kind", "value", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=16)  # hkid | premises
    value: str = Field(max_length=300)
    submitted_at: dt.datetime


class PageFingerprint(SQLModel, table=True):
    """A scanned page's perceptual hash (256 bits as 64 hex digits; cases.review.keys)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    document_id: int = Field(foreign_key="document.id")
    page: int = 1
    phash: str = Field(max_length=64)


class PageHashBand(SQLModel, table=True):
    """One of a fingerprint's sixteen 16-bit bands, indexed: two pages within Hamming distance
    ``d`` share at least ``16 - d`` bands exactly, so the rarest ``d + 1`` find every match."""

    __table_args__ = (Index("ix_pagehashband_band_value", "band", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    fingerprint_id: int = Field(foreign_key="pagefingerprint.id", index=True)
    case_id: int = Field(foreign_key="case.id")
    band: int
    value: int


class TaskKind(StrEnum):
    VERIFY_FIELDS = "verify_fields"
    DECIDE = "decide"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ApprovalTask(SQLModel, table=True):
    # The inbox walks open tasks in due order and counts its queues and filters over all of them:
    # the columns it filters on follow (status, due_at, id), so the counts never read the table.
    __table_args__ = (
        Index(
            "ix_approvaltask_open_queue",
            "status",
            "due_at",
            "id",
            "required_role",
            "kind",
            "claimed_by",
            "case_id",
        ),
        # The KPIs' decision times, gate waits and service levels read the times from here.
        Index(
            "ix_approvaltask_kpi_times",
            "kind",
            "status",
            "case_id",
            "completed_at",
            "decision",
            "step",
            "created_at",
            "claimed_at",
            "due_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: TaskKind = Field(sa_type=String(32))
    status: TaskStatus = Field(default=TaskStatus.OPEN, index=True, sa_type=String(16))
    # Why the task was opened: a fact (cases.facts), rendered in the reader's language.
    reason: dict[str, Any] = _json_column()
    required_role: Role = Field(default=Role.CASEWORKER, sa_type=String(32))
    created_at: dt.datetime = Field(default_factory=utcnow)
    due_at: dt.datetime | None = Field(default=None, index=True)
    completed_by: str | None = Field(default=None, max_length=64)
    completed_at: dt.datetime | None = None
    decision: Decision | None = Field(default=None, sa_type=EnumText(Decision))
    decision_reason: str | None = None
    claimed_by: str | None = Field(default=None, max_length=64, index=True)
    claimed_at: dt.datetime | None = None
    # Four-eyes: step 2 confirms the decision ``first_decision`` made by ``first_decision_by``,
    # who may not complete it.
    step: int = 1
    first_decision: Decision | None = Field(default=None, sa_type=EnumText(Decision))
    first_decision_by: str | None = Field(default=None, max_length=64)
    # Service level (cases.service_levels): reminded once before due, escalated once when overdue
    # (moved to the senior queue; ``escalated_from`` is who held it then, and was told).
    reminded_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    escalated_from: str | None = Field(default=None, max_length=64)


class StaffNotice(SQLModel, table=True):
    """Something the system tells one member of staff in the app (staff have no e-mail here):
    a fact rendered in their language, shown in their inbox until they mark it read."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="approvaltask.id")
    notice: dict[str, Any] = _json_column()
    created_at: dt.datetime = Field(default_factory=utcnow)
    read_at: dt.datetime | None = None


class ClosureDay(SQLModel, table=True):
    """A day the office closed though it is no holiday (typhoon signal 8, black rainstorm)."""

    id: int | None = Field(default=None, primary_key=True)
    day: dt.date = Field(unique=True, index=True)
    reason: str = Field(max_length=500)
    added_by: str = Field(max_length=64)
    added_at: dt.datetime = Field(default_factory=utcnow)


class RequestResolution(StrEnum):
    """How a request for information ended (None while it is open)."""

    ANSWERED = "answered"
    LAPSED = "lapsed"  # no answer after the reminder; the application was closed
    REFERRED = "referred"  # no answer after the reminder; back to a caseworker


class InformationRequest(SQLModel, table=True):
    """What a caseworker asked the applicant for, and by when (shown on the status page)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    what: str  # the caseworker's own words, shown to the applicant as written
    due_on: dt.date
    requested_by: str = Field(max_length=64)
    requested_at: dt.datetime = Field(default_factory=utcnow)
    # kinds of document (the permit's ``required_documents``) asked for, besides ``what``
    document_kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answer_note: str | None = None  # the applicant's note, as they wrote it
    reminded_at: dt.datetime | None = None
    grace_until: dt.date | None = None  # the last day to answer after the reminder
    resolution: RequestResolution | None = Field(
        default=None, sa_type=EnumText(RequestResolution, 16)
    )
    resolved_at: dt.datetime | None = None  # for an answered request, when the answer came

    @property
    def answered(self) -> bool:
        return self.resolution == RequestResolution.ANSWERED


class Letter(SQLModel, table=True):
    """An issued letter: its HTML and PDF in the content store (``cases.documents``), named by
    paths relative to the data folder. ``html_sha256`` is None only for a letter issued before
    the store whose HTML file was already gone when the database was upgraded.

    A case has at most one letter per (outcome, language, serial, version): ``serial`` is 0 for
    a decision or lapse letter and the request's id for a request letter (a case may be asked
    more than once). A reissue keeps the old version (``superseded_at`` set, ``superseded_by``
    naming its successor, still downloadable) and records the new one with the next version
    number and the staff member's reason."""

    __table_args__ = (
        UniqueConstraint(
            "case_id",
            "outcome",
            "language",
            "serial",
            "version",
            name="uq_letter_case_outcome_language_serial_version",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    outcome: LetterKind = Field(sa_type=EnumText(LetterKind))
    language: str = Field(max_length=8)
    # 0 for a decision or lapse letter (one per case); a request letter's request id
    serial: int = 0
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    template: str = Field(max_length=255)
    template_sha256: str = Field(max_length=64)
    html_path: str = Field(max_length=500)
    html_sha256: str | None = Field(default=None, max_length=64)
    pdf_path: str = Field(max_length=500)
    pdf_sha256: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    issued_by: str = Field(
        default="system:letters",
        max_length=64,
        sa_column_kwargs={"server_default": "system:letters"},
    )
    reissue_reason: str | None = None
    superseded_at: dt.datetime | None = None
    superseded_by: int | None = Field(default=None, foreign_key="letter.id")

    @property
    def current(self) -> bool:
        return self.superseded_at is None


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
