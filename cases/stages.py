"""Stage selection: which stage a case needs next, read from its status, and the function that
performs each stage of the lifecycle's stage table.

The flow asks this after every stage, so a case resumes exactly where it stopped whatever happened
before: a restart, a gate that waited for days, a run started twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from sqlmodel import col, select

from cases.db import read_scope, session_scope
from cases.eligibility import check_case_eligibility
from cases.extraction import extract_case
from cases.gates import propose_decision
from cases.letters import issue_letters
from cases.lifecycle import AUTOMATIC_STATUSES, STAGES, Stage, stage_for
from cases.models import ApprovalTask, Case, utcnow
from cases.precedents import record_precedent
from cases.processing_failures import gave_up_on
from cases.repository import get_case
from cases.review import review_case
from cases.review.record import referral_findings

__all__ = [
    "RUNNERS",
    "describe_wait",
    "next_stage",
    "run_stage",
    "stalled_cases",
]


def propose(case_id: int) -> ApprovalTask | None:
    """The decision gate, told which of the review's findings propose referral to a senior."""
    return propose_decision(case_id, referrals=referral_findings)


def _letters(case_id: int) -> object:
    """The decided case becomes a precedent for later reviews, then its letters are written."""
    record_precedent(case_id)
    return issue_letters(case_id)


#: The function that performs each stage of ``lifecycle.STAGES``; each is idempotent and checks
#: its own guard (``lifecycle.runs_in``) under the case's row lock.
RUNNERS: Mapping[Stage, Callable[[int], object]] = {
    Stage.EXTRACT: extract_case,
    Stage.ELIGIBILITY: check_case_eligibility,
    Stage.REVIEW: review_case,
    Stage.PROPOSE: propose,
    Stage.LETTER: _letters,
}
assert set(RUNNERS) == {step.stage for step in STAGES}, "every stage has one function"


def next_stage(case_id: int) -> Stage | None:
    """The stage to run now, or None when the case waits on a person or is finished."""
    with read_scope() as session:
        return stage_for(get_case(session, case_id).status)


def run_stage(stage: Stage, case_id: int) -> object:
    """Perform one stage for the case (nothing happens if the case has moved past it)."""
    return RUNNERS[stage](case_id)


def describe_wait(case_id: int) -> str:
    """A one-line summary of where the case stands, for the flow run's artifact and logs."""
    with read_scope() as session:
        case = get_case(session, case_id)
        return f"{case.reference}: {case.status.replace('_', ' ')}"


def stalled_cases(older_than: dt.timedelta, *, limit: int = 100) -> list[int]:
    """Cases the flow should be advancing but that have not moved for ``older_than``.

    A lost trigger (the orchestrator was down when a decision was recorded, a process restarted
    mid-run) leaves a case in such a status; the resume flow starts its flow again.
    """
    cutoff = utcnow() - older_than
    with session_scope() as session:
        rows = session.exec(
            select(Case.id)
            .where(col(Case.status).in_(list(AUTOMATIC_STATUSES)), col(Case.updated_at) < cutoff)
            .order_by(col(Case.updated_at))
            .limit(limit)
        ).all()
        # A case whose runs keep failing is left for a person (the operator queue).
        return [row for row in rows if row is not None and not gave_up_on(session, row)]
