"""A case's status as the JSON API answers it: a typed shape, so the API's schema is complete.

Times are UTC and written as ``isoformat()`` writes them (``+00:00``), as before the shape had a
type; the words (status, outcomes, task kinds) are the product's enums.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, PlainSerializer, WithJsonSchema
from sqlmodel import Session, select

from cases.catalogue import get_permit_type, glossary_for
from cases.errors import NotFound
from cases.facts import ENGLISH, Glossary, render
from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, FindingVerdict, TaskKind, TaskStatus
from cases.queries.inbox import as_utc
from cases.repository import get_case
from cases.review import Finding, review_record
from cases.vocabulary import Decision, Outcome, Risk, Severity

__all__ = [
    "CaseSummary",
    "FindingSummary",
    "OpenTaskSummary",
    "ReviewRunSummary",
    "ReviewSummary",
    "UtcDateTime",
    "case_summary",
]

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


class ReviewRunSummary(BaseModel):
    """One reviewer's run: who, which version and model, a hash of its full input, its time."""

    reviewer: str
    version: str
    model_name: str | None
    weights_hash: str | None
    inputs_hash: str
    findings: list[str]  # codes
    duration_ms: float
    error: str | None


class FindingSummary(BaseModel):
    code: str
    severity: Severity
    text: str  # in English, rendered from the stored fact
    fact: dict[str, Any]
    evidence: dict[str, Any]
    reviewer: str
    proposes_referral: bool
    verdict: str | None  # confirmed | dismissed, by a caseworker


class ReviewSummary(BaseModel):
    """The review: risk level and score (with the points per finding), findings and runs."""

    risk: Risk
    risk_score: int
    points: list[tuple[str, int]]
    findings: list[FindingSummary]
    runs: list[ReviewRunSummary]
    # Findings people marked that the review, made again, no longer finds.
    resolved: list[FindingSummary] = []


def _finding_summary(
    finding: Finding, verdict: FindingVerdict | None, glossary: Glossary
) -> FindingSummary:
    return FindingSummary(
        code=finding.code,
        severity=finding.severity,
        text=render(finding.fact, glossary),
        fact=finding.fact,
        evidence=finding.evidence.as_json(),
        reviewer=finding.reviewer,
        proposes_referral=finding.proposes_referral,
        verdict=verdict.verdict if verdict else None,
    )


def _review_summary(session: Session, case_id: int, permit_type: str) -> ReviewSummary | None:
    record = review_record(session, case_id)
    if record is None:
        return None
    try:
        glossary = glossary_for(get_permit_type(permit_type))
    except NotFound:
        glossary = ENGLISH
    return ReviewSummary(
        risk=record.review.risk,
        risk_score=record.review.risk_score,
        points=list(record.score.points) if record.score else [],
        findings=[_finding_summary(m.finding, m.verdict, glossary) for m in record.findings],
        resolved=[_finding_summary(r.finding, r.verdict, glossary) for r in record.resolved],
        runs=[
            ReviewRunSummary(
                reviewer=r.reviewer,
                version=r.version,
                model_name=r.model_name,
                weights_hash=r.weights_hash,
                inputs_hash=r.inputs_hash,
                findings=[str(f["fact"]["code"]) for f in r.findings],
                duration_ms=r.duration_ms,
                error=r.error,
            )
            for r in record.runs
        ],
    )


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
    review: ReviewSummary | None = None  # None: not reviewed yet


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
        review=_review_summary(session, case_id, case.permit_type),
    )
