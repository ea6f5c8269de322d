"""Case statuses and the transitions allowed between them. Pure: no database, no I/O.

Every status change in the product goes through :func:`check_transition`, so the table below is the
whole truth about what may follow what; each illegal pair is tested.
"""

from __future__ import annotations

from enum import StrEnum

from cases.errors import TransitionNotAllowed

__all__ = ["ALLOWED", "AUTOMATIC_STATUSES", "OPEN_STATUSES", "CaseStatus", "check_transition"]


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    EXTRACTING = "extracting"
    AWAITING_VERIFICATION = "awaiting_verification"
    CHECKING = "checking"
    REVIEWING = "reviewing"
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
    S.REVIEWING: frozenset({S.AWAITING_DECISION}),
    S.AWAITING_DECISION: frozenset({S.DECIDED, S.AWAITING_APPLICANT, S.WITHDRAWN}),
    S.DECIDED: frozenset({S.LETTER_ISSUED}),
    S.LETTER_ISSUED: frozenset({S.CLOSED}),
    S.AWAITING_APPLICANT: frozenset({S.EXTRACTING, S.WITHDRAWN}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# Statuses in which the case still needs someone (a machine or a person) to act.
OPEN_STATUSES = frozenset(s for s, targets in ALLOWED.items() if targets)

# Statuses the case flow advances by itself; the others wait on a person.
AUTOMATIC_STATUSES = frozenset({S.SUBMITTED, S.EXTRACTING, S.CHECKING, S.REVIEWING, S.DECIDED})


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "none (the case is finished)"
        raise TransitionNotAllowed(
            f"a case cannot go from '{current}' to '{target}'; from '{current}' it may go to: "
            f"{allowed}"
        )
