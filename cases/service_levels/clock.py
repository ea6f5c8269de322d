"""A case's service-level clock: due in working days from submission, paused while the case
waits for the applicant, moved by the working days it waited when it resumes.

Every change is recorded in the audit trail as a fact in the caller's transaction. The case's
open tasks carry the case's due date (a task is due when its case is), so they move with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.calendar import WorkingCalendar, end_of_office_day, office_calendar, office_date
from cases.catalogue import get_permit_type
from cases.facts import Fact, Message
from cases.models import ApprovalTask, Case, TaskStatus, utcnow

__all__ = [
    "CLOCK_PAUSED",
    "CLOCK_RESUMED",
    "DUE_SET",
    "DueState",
    "due_state",
    "ensure_case_due",
    "move_due",
    "pause_clock",
    "resume_clock",
    "shift_case",
]

DUE_SET = Message(
    "due_set",
    "Due %(due_on)s: %(days)s working days from submission on %(submitted_on)s.",
)
CLOCK_PAUSED = Message(
    "clock_paused",
    "Service-level clock paused on %(paused_on)s: the case waits for the applicant.",
)
CLOCK_RESUMED = Message(
    "clock_resumed",
    "Service-level clock resumed after %(waited)s working days waiting for the applicant: due "
    "date moved from %(from_due)s to %(to_due)s.",
)


def _iso(moment: dt.datetime) -> str:
    return office_date(moment).isoformat()


def ensure_case_due(
    session: Session, case: Case, *, actor: str, calendar: WorkingCalendar | None = None
) -> dt.datetime:
    """The case's due date, set (and audited) from its permit's service level if it has none."""
    if case.due_at is not None:
        return case.due_at
    calendar = calendar or office_calendar(session)
    days = get_permit_type(case.permit_type).permit.service_level_days
    submitted_on = office_date(case.submitted_at)
    case.due_at = end_of_office_day(calendar.add_working_days(submitted_on, days))
    session.add(case)
    fact = DUE_SET(due_on=_iso(case.due_at), days=days, submitted_on=submitted_on.isoformat())
    append_event(
        session,
        actor=actor,
        action="service_level.due_set",
        case_id=case.id,
        payload={"fact": fact, "due_at": case.due_at.isoformat()},
    )
    return case.due_at


def move_due(moment: dt.datetime, days: int, calendar: WorkingCalendar) -> dt.datetime:
    """``days`` working days later, at the end of that office day."""
    return end_of_office_day(calendar.add_working_days(office_date(moment), days))


def _open_tasks(session: Session, case_id: int | None) -> list[ApprovalTask]:
    return list(
        session.exec(
            select(ApprovalTask).where(
                col(ApprovalTask.case_id) == case_id, col(ApprovalTask.status) == TaskStatus.OPEN
            )
        )
    )


def shift_case(
    session: Session, case: Case, days: int, calendar: WorkingCalendar
) -> tuple[str, str, list[int]] | None:
    """Move the case's due date and its open tasks' by ``days`` working days; returns the old
    and new due dates and the tasks moved, or None when there was nothing to move."""
    if case.due_at is None or days <= 0:
        return None
    before = case.due_at
    case.due_at = move_due(before, days, calendar)
    session.add(case)
    moved = []
    for task in _open_tasks(session, case.id):
        if task.due_at is not None:
            task.due_at = move_due(task.due_at, days, calendar)
            session.add(task)
            moved.append(task.id or 0)
    return _iso(before), _iso(case.due_at), moved


def pause_clock(
    session: Session, case: Case, *, actor: str, now: dt.datetime | None = None
) -> None:
    """Stop the clock: the case now waits for the applicant."""
    if case.clock_paused_at is not None:
        return
    case.clock_paused_at = now or utcnow()
    session.add(case)
    fact = CLOCK_PAUSED(paused_on=_iso(case.clock_paused_at))
    append_event(
        session, actor=actor, action="service_level.paused", case_id=case.id, payload={"fact": fact}
    )


def resume_clock(
    session: Session, case: Case, *, actor: str, now: dt.datetime | None = None
) -> Fact | None:
    """Start the clock again; the due dates move by the working days spent waiting."""
    if case.clock_paused_at is None:
        return None
    calendar = office_calendar(session)
    paused, now = case.clock_paused_at, now or utcnow()
    waited = max(0, calendar.working_days_between(office_date(paused), office_date(now)))
    case.clock_paused_at = None
    session.add(case)
    shifted = shift_case(session, case, waited, calendar)
    due = _iso(case.due_at) if case.due_at else "-"
    from_due, to_due, tasks = shifted or (due, due, [])
    fact = CLOCK_RESUMED(waited=waited, from_due=from_due, to_due=to_due)
    append_event(
        session,
        actor=actor,
        action="service_level.resumed",
        case_id=case.id,
        payload={"fact": fact, "paused_at": paused.isoformat(), "tasks_moved": tasks},
    )
    return fact


@dataclass(frozen=True)
class DueState:
    """How a due date stands today, in working days (what the inbox and case page show)."""

    due_on: dt.date
    days_left: int  # working days left; 0 on the due day
    overdue_by: int  # working days past due (0 when not overdue, or overdue since a day off)
    overdue: bool


def due_state(
    due_at: dt.datetime | None, calendar: WorkingCalendar, now: dt.datetime | None = None
) -> DueState | None:
    if due_at is None:
        return None
    now = now or utcnow()
    aware = due_at if due_at.tzinfo else due_at.replace(tzinfo=dt.UTC)
    due_on, today = office_date(aware), office_date(now)
    overdue = now > aware
    return DueState(
        due_on=due_on,
        days_left=max(0, calendar.working_days_between(today, due_on)),
        overdue_by=max(0, calendar.working_days_between(due_on, today)) if overdue else 0,
        overdue=overdue,
    )
