"""Database tables (SQLModel). Migrations in ``migrations/`` must match these exactly (tested).

The tables live in modules by what they hold: ``core`` (staff, applicant, case, documents,
fields, eligibility), ``review`` (reviews, runs, verdicts, repeat keys, fingerprints,
precedents), ``work`` (tasks, notices, closure days, requests, letters) and ``records`` (audit
trail, failed logins, outbox, drop box receipts); ``kpi`` holds the dashboard's summaries.
Everything is named from here.
"""

from __future__ import annotations

from cases.models.core import (
    Applicant,
    Case,
    Document,
    EligibilityResult,
    ExtractedField,
    FieldStatus,
    Role,
    User,
    utcnow,
)
from cases.models.kpi import CaseKpi, KpiSum
from cases.models.records import (
    AuditChainHead,
    AuditEvent,
    AuditPersonal,
    DeliveryStatus,
    DropBoxReceipt,
    FailedAttempt,
    MessageKind,
    OutboxMessage,
)
from cases.models.review import (
    CaseKey,
    FindingVerdict,
    PageFingerprint,
    PageHashBand,
    Precedent,
    Review,
    ReviewRun,
)
from cases.models.work import (
    ApprovalTask,
    ClosureDay,
    InformationRequest,
    Letter,
    RequestResolution,
    StaffNotice,
    TaskKind,
    TaskStatus,
)

__all__ = [
    "Applicant",
    "ApprovalTask",
    "AuditChainHead",
    "AuditEvent",
    "AuditPersonal",
    "Case",
    "CaseKey",
    "CaseKpi",
    "ClosureDay",
    "DeliveryStatus",
    "Document",
    "DropBoxReceipt",
    "EligibilityResult",
    "ExtractedField",
    "FailedAttempt",
    "FieldStatus",
    "FindingVerdict",
    "InformationRequest",
    "KpiSum",
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
