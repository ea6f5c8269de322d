"""Asking the applicant for more information instead of deciding: the case waits for them."""

from __future__ import annotations

import datetime as dt

from cases.access import Actor
from cases.audit import append_event
from cases.db import session_scope
from cases.errors import InvalidInput
from cases.gates.tasks import close_task, get_task
from cases.lifecycle import CaseStatus
from cases.models import Case, InformationRequest, TaskStatus, utcnow
from cases.repository import get_case, transition

__all__ = ["request_information"]


def request_information(task_id: int, what: str, due_on: dt.date, *, actor: Actor) -> Case:
    """Ask the applicant for something instead of deciding: the open gate task is cancelled."""
    what = what.strip()
    if not what:
        raise InvalidInput("Say what the applicant should send: it is shown to them.")
    if due_on <= utcnow().date():
        raise InvalidInput("The date the applicant has to answer by must be in the future.")
    with session_scope() as session:
        task = get_task(session, task_id)
        case = get_case(session, task.case_id, for_update=True)
        close_task(session, task_id, None, actor, status=TaskStatus.CANCELLED)
        request = InformationRequest(
            case_id=case.id or 0, what=what, due_on=due_on, requested_by=actor.username
        )
        session.add(request)
        session.flush()
        append_event(
            session,
            actor=actor.username,
            action="information.requested",
            case_id=case.id,
            payload={"task_id": task_id, "what": what, "due_on": due_on.isoformat()},
        )
        transition(
            session,
            case,
            CaseStatus.AWAITING_APPLICANT,
            actor=actor.username,
            why=f"information requested, due {due_on.isoformat()}",
        )
        return case
