"""Who and what a case is: staff, the applicant, the case, its documents, the fields read from
them and the eligibility result."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cases.columns import EnumText
from cases.lifecycle import CaseStatus
from cases.vocabulary import Decision, Language, Outcome


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
