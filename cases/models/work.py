"""The work on a case: approval-gate tasks, staff notices, office closure days, requests for
information and letters."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from cases.columns import EnumText
from cases.models.core import Role, _json_column, utcnow
from cases.vocabulary import Decision, LetterKind


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
