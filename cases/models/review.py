"""What the review stage keeps: reviews and each reviewer's run, caseworkers' verdicts on
findings, repeat keys, page fingerprints and precedents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from cases.columns import EnumText
from cases.models.core import _json_column, utcnow
from cases.vocabulary import Decision, Risk


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
    reviewers learn from (``permits review stats``).

    It survives the review being made again: it is kept with the finding (``finding``) and the
    finding's key (code and evidence, ``cases.review.base.Finding.key``); the new review takes
    it back when the same finding comes back, and until then it belongs to no review
    (``review_id`` None) and is shown as resolved."""

    __table_args__ = (UniqueConstraint("review_id", "finding_index"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int | None = Field(default=None, foreign_key="review.id")
    case_id: int = Field(foreign_key="case.id", index=True)
    finding_index: int
    code: str = Field(max_length=64, index=True)
    finding_key: str = Field(default="", max_length=64)
    finding: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
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
