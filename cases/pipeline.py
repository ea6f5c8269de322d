"""Which stage a case needs next, read from its state in the database.

The flow asks this after every stage, so a case resumes exactly where it stopped whatever happened
before: a restart, a gate that waited for days, a run started twice.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import select

from cases.casework import get_case
from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import Review

__all__ = ["Stage", "next_stage"]


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
