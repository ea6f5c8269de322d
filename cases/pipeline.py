"""Which stage a case needs next, read from its state in the database.

The flow asks this after every stage, so a case resumes exactly where it stopped whatever happened
before: a restart, a gate that waited for days, a run started twice.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import col, select

from cases.casework import get_case
from cases.db import session_scope
from cases.lifecycle import AUTOMATIC_STATUSES, CaseStatus
from cases.models import Case, Review, utcnow

__all__ = ["Stage", "describe_wait", "next_stage", "stalled_cases"]


class Stage(StrEnum):
    EXTRACT = "extract"
    ELIGIBILITY = "eligibility"
    REVIEW = "review"
    PROPOSE = "propose"
    LETTER = "letter"


def next_stage(case_id: int) -> Stage | None:
    """The stage to run now, or None when the case waits on a person or is finished."""
    with session_scope() as session:
        case = get_case(session, case_id)
        match case.status:
            case CaseStatus.SUBMITTED | CaseStatus.EXTRACTING:
                return Stage.EXTRACT
            case CaseStatus.CHECKING:
                return Stage.ELIGIBILITY
            case CaseStatus.REVIEWING:
                reviewed = session.exec(select(Review.id).where(Review.case_id == case_id)).first()
                return Stage.PROPOSE if reviewed else Stage.REVIEW
            case CaseStatus.DECIDED:
                return Stage.LETTER
            case _:
                return None


def describe_wait(case_id: int) -> str:
    """A one-line summary of where the case stands, for the flow run's artifact and logs."""
    with session_scope() as session:
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
    return [row for row in rows if row is not None]
