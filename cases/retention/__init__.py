"""Retention: when a closed case's retention period (the permit type's ``retention_years``) has
ended, remove its documents and letters and blank the personal data in its rows, keeping the
decision record and an audit event that says what went."""

from __future__ import annotations

from cases.retention.purge import (
    ACTOR,
    CasePurge,
    RetentionReport,
    due_case_ids,
    plan_case,
    purge_case,
    run_retention,
)
from cases.retention.tombstones import TOMBSTONE, personal_fields

__all__ = [
    "ACTOR",
    "TOMBSTONE",
    "CasePurge",
    "RetentionReport",
    "due_case_ids",
    "personal_fields",
    "plan_case",
    "purge_case",
    "run_retention",
]
