"""The review stage: run the permit's reviewers over a case once, record each run and what it
found, score the risk, never decide.

Guardrails, structural: each reviewer gets a read-only :class:`ReviewContext` (snapshots and a
SELECT-only session) and runs inside a savepoint that is always rolled back, so nothing it does
to the database survives; a reviewer that changed anything, or returned anything but findings, is
recorded as failed (``guardrail``) and its output dropped. A failing reviewer never stops the
review: its error is recorded and the others go on. The eligibility outcome and the proposal are
checked unchanged after every reviewer.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from sqlmodel import Session, select

from cases.audit import append_event
from cases.db import session_scope
from cases.lifecycle import CaseStatus, Stage, runs_in
from cases.models import Case, EligibilityResult, Review, ReviewRun
from cases.repository import get_case, transition
from cases.review.base import Finding, GuardrailBreach, ReviewContext, Reviewer
from cases.review.context import build_context, inputs_hash
from cases.review.keys import record_case_keys
from cases.review.registry import reviewers_for
from cases.review.scoring import score
from cases.review.verdicts import carry_verdicts
from cases.vocabulary import Risk, Severity

__all__ = ["REVIEW_ACTOR", "RunResult", "review_case", "risk_of", "run_reviewer"]

REVIEW_ACTOR = "system:review"


def risk_of(findings: list[Finding]) -> Risk:
    """The risk of the most severe finding (low when there is none); the default table's level."""
    severities = {f.severity for f in findings}
    if Severity.HIGH in severities:
        return Risk.HIGH
    return Risk.MEDIUM if Severity.WARNING in severities else Risk.LOW


@dataclass(frozen=True)
class RunResult:
    reviewer: Reviewer
    inputs_hash: str
    findings: list[Finding]
    duration_ms: float
    error: str | None


def _decision_state(session: Session, case_id: int) -> tuple[object, ...]:
    case = session.get(Case, case_id, populate_existing=True)
    result = session.exec(
        select(EligibilityResult).where(EligibilityResult.case_id == case_id)
    ).first()
    return (
        case.proposed_outcome if case else None,
        case.decided_outcome if case else None,
        case.status if case else None,
        (result.outcome, result.trace) if result else None,
    )


def _checked(output: object, name: str) -> list[Finding]:
    if not isinstance(output, list) or not all(isinstance(f, Finding) for f in output):
        raise GuardrailBreach(f"{name} returned something other than a list of findings")
    return [dataclasses.replace(f, reviewer=name) for f in output]


def run_reviewer(session: Session, reviewer: Reviewer, ctx: ReviewContext) -> RunResult:
    """Run one reviewer in a savepoint that is always rolled back; record what went wrong."""
    policy = ctx.permit_type.permit.review
    settings = policy.settings_for(reviewer.name)
    ctx = ctx.with_settings(settings)
    digest = inputs_hash(ctx, settings)
    before = _decision_state(session, ctx.case.id)
    started = time.perf_counter()
    findings: list[Finding] = []
    error: str | None = None
    savepoint = session.begin_nested()
    try:
        findings = _checked(reviewer.review(ctx), reviewer.name)
        if session.new or session.dirty or session.deleted:
            raise GuardrailBreach(f"{reviewer.name} tried to change the database")
        session.flush()
    except GuardrailBreach as exc:
        error, findings = f"guardrail: {exc}", []
    except Exception as exc:  # a failing reviewer is recorded; the review goes on
        error, findings = f"{type(exc).__name__}: {exc}", []
    finally:
        savepoint.rollback()
        session.expire_all()
    if _decision_state(session, ctx.case.id) != before:  # pragma: no cover - savepoint undid it
        raise GuardrailBreach(f"{reviewer.name} changed the decision")
    elapsed = (time.perf_counter() - started) * 1000
    return RunResult(reviewer, digest, findings, elapsed, error)


def _record(session: Session, ctx: ReviewContext, results: list[RunResult]) -> Review:
    case_id = ctx.case.id
    findings = [f for r in results for f in r.findings]
    risk = score(findings, ctx.permit_type.permit.review.scoring)
    review = Review(
        case_id=case_id,
        reviewer=",".join(r.reviewer.name for r in results) or "none",
        reviewer_version=",".join(r.reviewer.version for r in results)[:32],
        inputs_hash=results[0].inputs_hash if results else "",
        risk=risk.level,
        risk_score=risk.total,
        findings={"findings": [f.as_json() for f in findings], "score": risk.as_json()},
    )
    session.add(review)
    session.flush()
    assert review.id is not None
    verdicts = carry_verdicts(session, review, findings)
    for r in results:
        session.add(
            ReviewRun(
                review_id=review.id,
                case_id=case_id,
                reviewer=r.reviewer.name,
                version=r.reviewer.version,
                model_name=r.reviewer.model_name,
                weights_hash=r.reviewer.weights_hash,
                inputs_hash=r.inputs_hash,
                findings=[f.as_json() for f in r.findings],
                duration_ms=round(r.duration_ms, 3),
                error=r.error,
            )
        )
    payload: dict[str, object] = {
        "risk": risk.level.value,
        "risk_score": risk.total,
        "findings": [f.code for f in findings],
        "runs": [_run_summary(r) for r in results],
    }
    if verdicts["kept"] or verdicts["resolved"]:  # made again: people's verdicts carried over
        payload["verdicts"] = verdicts
    append_event(
        session, actor=REVIEW_ACTOR, action="review.completed", case_id=case_id, payload=payload
    )
    return review


def _run_summary(result: RunResult) -> dict[str, object]:
    return {
        "reviewer": result.reviewer.name,
        "version": result.reviewer.version,
        "model": result.reviewer.model_name,
        "weights_hash": result.reviewer.weights_hash,
        "inputs_hash": result.inputs_hash,
        "findings": [f.code for f in result.findings],
        "duration_ms": round(result.duration_ms, 1),
        "error": result.error,
    }


def review_case(case_id: int) -> Risk | None:
    """Review the case once (idempotent); return the risk level (None: not reviewed yet)."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        existing = session.exec(select(Review).where(Review.case_id == case_id)).first()
        if existing is not None or case.status not in runs_in(Stage.REVIEW):
            return existing.risk if existing else None
        session.flush()
        ctx = build_context(session, case)
        reviewers = reviewers_for(ctx.permit_type.permit.review)
        results: list[RunResult] = []
        for reviewer in reviewers:
            earlier = [f for r in results for f in r.findings]
            results.append(run_reviewer(session, reviewer, ctx.with_earlier_findings(earlier)))
        case = get_case(session, case_id)
        review = _record(session, ctx, results)
        record_case_keys(session, ctx)
        transition(
            session,
            case,
            CaseStatus.REVIEWED,
            actor=REVIEW_ACTOR,
            why=f"reviewed: risk {review.risk} (score {review.risk_score})",
        )
        return review.risk
