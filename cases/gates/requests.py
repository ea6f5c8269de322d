"""Asking the applicant for more information instead of deciding: the case waits for them.

The request is recorded here, in the caller's transaction; the letter that carries it and the
message that delivers it are written with it by ``cases.letters.request_information`` (a gate
never writes letters). What is asked is stored as facts: the caseworker's own words, the kinds of
document (the permit's ``required_documents``) and the date, each rendered in the applicant's
language where they read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session

from cases.access import Actor
from cases.audit import append_event
from cases.calendar import office_calendar, office_date
from cases.catalogue import get_permit_type
from cases.errors import InvalidInput
from cases.facts import Fact, Message
from cases.gates.tasks import close_task, create_task, get_task
from cases.lifecycle import CaseStatus
from cases.models import (
    ApprovalTask,
    Case,
    InformationRequest,
    RequestResolution,
    Role,
    TaskKind,
    TaskStatus,
    utcnow,
)
from cases.repository import get_case, transition

__all__ = [
    "DEFAULT_ANSWER_WORKING_DAYS",
    "NO_ANSWER",
    "answer_deadline",
    "check_request",
    "open_information_request",
    "proposed_answer_dates",
    "refer_unanswered",
]

DEFAULT_ANSWER_WORKING_DAYS = 10  # what the request form proposes: two working weeks

NO_ANSWER = Message(
    "no_answer",
    "The applicant did not answer the request for information due %(due_on)s, nor after the "
    "reminder (last day %(grace_until)s). Decide on the evidence there is, or ask again.",
)


def answer_deadline(session: Session, due_on: dt.date) -> dt.date:
    """The last day to answer: ``due_on``, or the next working day when the office is closed
    that day (a deadline on a general holiday runs to the next working day, as Hong Kong's
    Interpretation and General Clauses Ordinance, s.71, has it). The letter shows this date."""
    calendar = office_calendar(session)
    while not calendar.is_working_day(due_on):
        due_on += dt.timedelta(days=1)
    return due_on


def proposed_answer_dates(session: Session) -> tuple[dt.date, dt.date]:
    """The earliest date the request form accepts and the one it proposes (working days)."""
    calendar = office_calendar(session)
    today = office_date(utcnow())
    return calendar.add_working_days(today, 1), calendar.add_working_days(
        today, DEFAULT_ANSWER_WORKING_DAYS
    )


def check_request(
    permit_type: str, what: str, document_kinds: Sequence[str], due_on: dt.date
) -> None:
    """Refuse a request the applicant could not act on (nothing asked, a date passed, a kind of
    document the permit does not know), before anything is written or printed."""
    if not what.strip() and not document_kinds:
        raise InvalidInput(
            "Say what the applicant should send, or tick the documents to ask for: it is shown "
            "to them."
        )
    if due_on <= office_date(utcnow()):
        raise InvalidInput("The date the applicant has to answer by must be in the future.")
    known = {d.kind for d in get_permit_type(permit_type).permit.required_documents}
    unknown = sorted(set(document_kinds) - known)
    if unknown:  # only a tampered form sends one: the page offers the permit's kinds
        message = f"This permit has no document of kind {', '.join(unknown)}; choose among "
        raise InvalidInput(message + f"{', '.join(sorted(known))}.")


def open_information_request(
    session: Session,
    task_id: int,
    what: str,
    due_on: dt.date,
    *,
    document_kinds: Sequence[str] = (),
    actor: Actor,
) -> tuple[Case, InformationRequest]:
    """Record the request in ``session`` (not committed): the open gate task is cancelled, the
    case waits for the applicant. Returns the locked case and the request."""
    what = what.strip()
    task = get_task(session, task_id)
    case = get_case(session, task.case_id, for_update=True)
    check_request(case.permit_type, what, document_kinds, due_on)
    close_task(session, task_id, None, actor, status=TaskStatus.CANCELLED)
    request = InformationRequest(
        case_id=case.id or 0,
        what=what,
        due_on=due_on,
        requested_by=actor.username,
        document_kinds=list(dict.fromkeys(document_kinds)),
    )
    session.add(request)
    session.flush()
    append_event(
        session,
        actor=actor.username,
        action="information.requested",
        case_id=case.id,
        payload={
            "task_id": task_id,
            "request_id": request.id,
            "document_kinds": request.document_kinds,
            "due_on": due_on.isoformat(),
        },
        personal={"what": what} if what else None,
    )
    transition(
        session,
        case,
        CaseStatus.AWAITING_APPLICANT,
        actor=actor.username,
        why=f"information requested, due {due_on.isoformat()}",
    )
    return case, request


def refer_unanswered(
    session: Session, case: Case, request: InformationRequest, *, actor: str
) -> ApprovalTask:
    """The applicant did not answer: the case goes back to a caseworker's decision, with a task
    that says so (``session`` holds the case's row lock)."""
    fact: Fact = NO_ANSWER(
        due_on=request.due_on.isoformat(),
        grace_until=(request.grace_until or request.due_on).isoformat(),
    )
    task = create_task(
        session, case, TaskKind.DECIDE, reason=fact, role=Role.CASEWORKER, actor=actor
    )
    request.resolution, request.resolved_at = RequestResolution.REFERRED, utcnow()
    session.add(request)
    append_event(
        session,
        actor=actor,
        action="information.referred",
        case_id=case.id,
        payload={"request_id": request.id, "task_id": task.id, "reason": fact},
    )
    transition(
        session,
        case,
        CaseStatus.AWAITING_DECISION,
        actor=actor,
        why="the applicant did not answer the request for information; back to a caseworker",
    )
    return task
