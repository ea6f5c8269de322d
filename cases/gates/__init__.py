"""Human gates: approval tasks (claims, exactly-once completion), the verification of flagged
fields, the decision with four-eyes, and requests for information from the applicant.

A gate is a row in the database, never a sleeping process: the flow run that opens one ends, and
the case waits for as long as a person takes.
"""

from __future__ import annotations

from cases.gates.decisions import decide, propose_decision
from cases.gates.requests import (
    NO_ANSWER,
    answer_deadline,
    check_request,
    open_information_request,
    proposed_answer_dates,
    refer_unanswered,
)
from cases.gates.tasks import (
    check_may_work,
    claim_task,
    close_task,
    create_task,
    get_task,
    open_task,
    release_task,
)
from cases.gates.verification import verify_fields

__all__ = [
    "NO_ANSWER",
    "answer_deadline",
    "check_may_work",
    "check_request",
    "claim_task",
    "close_task",
    "create_task",
    "decide",
    "get_task",
    "open_information_request",
    "open_task",
    "propose_decision",
    "proposed_answer_dates",
    "refer_unanswered",
    "release_task",
    "verify_fields",
]
