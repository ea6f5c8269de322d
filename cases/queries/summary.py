"""A case's status as the JSON API answers it: a typed shape, so the API's schema is complete.

Times are UTC and written as ``isoformat()`` writes them (``+00:00``), as before the shape had a
type; the words (status, outcomes, task kinds) are the product's enums.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, PlainSerializer, WithJsonSchema
from sqlmodel import Session, select

from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, TaskKind, TaskStatus
from cases.queries.inbox import as_utc
from cases.repository import get_case
from cases.vocabulary import Decision, Outcome

__all__ = ["CaseSummary", "OpenTaskSummary", "UtcDateTime", "case_summary"]

UtcDateTime = Annotated[
    dt.datetime,
    AfterValidator(as_utc),
    PlainSerializer(dt.datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A stored time (SQLite hands it back without a zone: it is UTC), written with its offset."""


class OpenTaskSummary(BaseModel):
    """A gate task waiting for a person."""

    id: int
    kind: TaskKind
    due_at: UtcDateTime | None


class CaseSummary(BaseModel):
    """Where a case stands: its status, what the rules proposed, what a person decided."""

    id: int
    reference: str
    permit_type: str
    status: CaseStatus
    submitted_at: UtcDateTime
    application_date: dt.date | None
    ruleset_version: str | None
    proposed_outcome: Outcome | None
    decided_outcome: Decision | None
    open_tasks: list[OpenTaskSummary]


def case_summary(case_id: int, *, session: Session) -> CaseSummary:
    """A case's status, for the API (and anything else that reports one)."""
    case = get_case(session, case_id)
    tasks = session.exec(
        select(ApprovalTask).where(
            ApprovalTask.case_id == case_id, ApprovalTask.status == TaskStatus.OPEN
        )
    )
    return CaseSummary(
        id=case.id or 0,
        reference=case.reference,
        permit_type=case.permit_type,
        status=case.status,
        submitted_at=case.submitted_at,
        application_date=case.application_date,
        ruleset_version=case.ruleset_version,
        proposed_outcome=case.proposed_outcome,
        decided_outcome=case.decided_outcome,
        open_tasks=[OpenTaskSummary(id=t.id or 0, kind=t.kind, due_at=t.due_at) for t in tasks],
    )
