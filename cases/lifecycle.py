"""Case statuses, the transitions allowed between them, and the stage table. Pure: no I/O.

Every status change in the product goes through :func:`check_transition`, so ``ALLOWED`` is the
whole truth about what may follow what; each illegal pair is tested.

``STAGES`` is the one table of what the machine does by itself: for each automatic stage, the
statuses it runs in and those it leads to. The automatic statuses, which stage a case needs next
(``cases.stages.next_stage``) and each stage's guard (``runs_in``) are read from it; the function
that performs each stage is bound to it in ``cases.stages``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cases.errors import TransitionNotAllowed

__all__ = [
    "ALLOWED",
    "AUTOMATIC_STATUSES",
    "CLOSING_STATUSES",
    "OPEN_STATUSES",
    "STAGES",
    "CaseStatus",
    "Stage",
    "StageStep",
    "check_transition",
    "runs_in",
    "stage_for",
]


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    EXTRACTING = "extracting"
    AWAITING_VERIFICATION = "awaiting_verification"
    CHECKING = "checking"
    REVIEWING = "reviewing"
    REVIEWED = "reviewed"
    AWAITING_DECISION = "awaiting_decision"
    DECIDED = "decided"
    LETTER_ISSUED = "letter_issued"
    CLOSED = "closed"
    AWAITING_APPLICANT = "awaiting_applicant"
    WITHDRAWN = "withdrawn"


S = CaseStatus

ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.SUBMITTED: frozenset({S.EXTRACTING, S.WITHDRAWN}),
    S.EXTRACTING: frozenset({S.AWAITING_VERIFICATION, S.CHECKING, S.WITHDRAWN}),
    S.AWAITING_VERIFICATION: frozenset({S.CHECKING, S.AWAITING_APPLICANT, S.WITHDRAWN}),
    S.CHECKING: frozenset({S.REVIEWING}),
    S.REVIEWING: frozenset({S.REVIEWED}),
    S.REVIEWED: frozenset({S.AWAITING_DECISION}),
    S.AWAITING_DECISION: frozenset({S.DECIDED, S.AWAITING_APPLICANT, S.WITHDRAWN}),
    S.DECIDED: frozenset({S.LETTER_ISSUED}),
    S.LETTER_ISSUED: frozenset({S.CLOSED}),
    # answered: the new documents are read; unanswered after the reminder: lapsed (withdrawn) or
    # referred back to a caseworker's decision, as the permit's policy says
    S.AWAITING_APPLICANT: frozenset({S.EXTRACTING, S.AWAITING_DECISION, S.WITHDRAWN}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# Statuses in which the case still needs someone (a machine or a person) to act.
OPEN_STATUSES = frozenset(s for s, targets in ALLOWED.items() if targets)

# Reaching one closes the case: its decision is issued (a reissue may still follow) or it was
# withdrawn or lapsed. Its retention period runs from then (``Case.closed_at``).
CLOSING_STATUSES = frozenset({S.LETTER_ISSUED, S.CLOSED, S.WITHDRAWN})


class Stage(StrEnum):
    EXTRACT = "extract"
    ELIGIBILITY = "eligibility"
    REVIEW = "review"
    PROPOSE = "propose"
    LETTER = "letter"


@dataclass(frozen=True)
class StageStep:
    """An automatic stage: it runs while a case is in ``runs_in`` and leaves it in ``leads_to``."""

    stage: Stage
    runs_in: frozenset[CaseStatus]
    leads_to: frozenset[CaseStatus]


STAGES: tuple[StageStep, ...] = (
    StageStep(
        Stage.EXTRACT,
        runs_in=frozenset({S.SUBMITTED, S.EXTRACTING}),  # extracting: a read that was cut off
        leads_to=frozenset({S.AWAITING_VERIFICATION, S.CHECKING}),
    ),
    StageStep(
        Stage.ELIGIBILITY, runs_in=frozenset({S.CHECKING}), leads_to=frozenset({S.REVIEWING})
    ),
    StageStep(Stage.REVIEW, runs_in=frozenset({S.REVIEWING}), leads_to=frozenset({S.REVIEWED})),
    StageStep(
        Stage.PROPOSE, runs_in=frozenset({S.REVIEWED}), leads_to=frozenset({S.AWAITING_DECISION})
    ),
    StageStep(Stage.LETTER, runs_in=frozenset({S.DECIDED}), leads_to=frozenset({S.LETTER_ISSUED})),
)

_BY_STATUS = {status: step.stage for step in STAGES for status in step.runs_in}
_BY_STAGE = {step.stage: step for step in STAGES}

# Statuses the case flow advances by itself; the others wait on a person (or are finished).
AUTOMATIC_STATUSES = frozenset(_BY_STATUS)


def stage_for(status: CaseStatus) -> Stage | None:
    """The stage a case in ``status`` needs next; None when it waits on a person or is done."""
    return _BY_STATUS.get(status)


def runs_in(stage: Stage) -> frozenset[CaseStatus]:
    """The statuses ``stage`` may run in: its guard (anything else means done, or not yet)."""
    return _BY_STAGE[stage].runs_in


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "none (the case is finished)"
        raise TransitionNotAllowed(
            f"a case cannot go from '{current}' to '{target}'; from '{current}' it may go to: "
            f"{allowed}"
        )
