"""The service-level sweep: due dates for open cases that have none, one reminder before a task
is due, one escalation once it is overdue. Run by the scheduled ``service-levels`` flow and by
``permits sla sweep``; safe to run as often as wanted.

Escalation moves the task to the senior caseworkers' queue and, if its holder may no longer work
it there, releases their claim; the holder is told by an in-app notice in their inbox (staff have
no e-mail address here). The reminder is a mark on the task in the team's inbox and, when
someone holds it, a notice to them. Each step is recorded on the task under its row lock, so a
second sweep (or two at once) reminds and escalates nothing twice; each is audited as a fact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.calendar import WorkingCalendar, end_of_office_day, office_calendar, office_date
from cases.db import session_scope
from cases.facts import Fact, Message
from cases.lifecycle import OPEN_STATUSES
from cases.models import ApprovalTask, Case, Role, StaffNotice, TaskStatus, User, utcnow
from cases.service_levels.clock import DueState, due_state, ensure_case_due
from cases.settings import get_settings

__all__ = [
    "ACTOR",
    "DUE_REMINDER",
    "NOTICE_ESCALATED",
    "NOTICE_REMINDER",
    "TASK_ESCALATED",
    "ServiceLevelSweep",
    "sweep_service_levels",
]

ACTOR = "system:service-levels"

DUE_REMINDER = Message(
    "due_reminder", "Due soon: this task is due %(due_on)s, %(days_left)s working days left."
)
TASK_ESCALATED = Message(
    "task_escalated",
    "Overdue since %(due_on)s (%(overdue_by)s working days): moved from the %(from_role)s queue "
    "to the %(to_role)s queue.",
    terms=frozenset({"from_role", "to_role"}),
)
NOTICE_REMINDER = Message(
    "notice_reminder",
    "Case %(reference)s: the task you hold is due %(due_on)s, %(days_left)s working days left.",
)
NOTICE_ESCALATED = Message(
    "notice_escalated",
    "Case %(reference)s: the task you held was overdue since %(due_on)s and moved to the senior "
    "caseworkers' queue.",
)


@dataclass
class ServiceLevelSweep:
    due_set: list[int] = field(default_factory=list)  # case ids
    reminded: list[int] = field(default_factory=list)  # task ids
    escalated: list[int] = field(default_factory=list)  # task ids


def _set_missing_dues(calendar: WorkingCalendar) -> list[int]:
    """Open cases with no due date (received before service levels were kept) get one."""
    with session_scope() as session:
        cases = session.exec(
            select(Case).where(
                col(Case.due_at).is_(None), col(Case.status).in_([str(s) for s in OPEN_STATUSES])
            )
        ).all()
        for case in cases:
            ensure_case_due(session, case, actor=ACTOR, calendar=calendar)
            for task in session.exec(
                select(ApprovalTask).where(
                    ApprovalTask.case_id == case.id,
                    ApprovalTask.status == TaskStatus.OPEN,
                    col(ApprovalTask.due_at).is_(None),
                )
            ):
                task.due_at = case.due_at
                session.add(task)
        return [case.id or 0 for case in cases]


def _candidates(horizon: dt.datetime) -> list[int]:
    """Open, not yet escalated tasks due by ``horizon``, of cases whose clock runs."""
    with session_scope() as session:
        rows = session.exec(
            select(ApprovalTask.id)
            .join(Case, col(Case.id) == col(ApprovalTask.case_id))
            .where(
                col(ApprovalTask.status) == TaskStatus.OPEN,
                col(ApprovalTask.escalated_at).is_(None),
                col(ApprovalTask.due_at) <= horizon,
                col(Case.clock_paused_at).is_(None),
            )
            .order_by(col(ApprovalTask.due_at), col(ApprovalTask.id))
        ).all()
        return [row for row in rows if row is not None]


def _notify(session: Session, task: ApprovalTask, username: str | None, notice: Fact) -> None:
    if username:
        session.add(
            StaffNotice(username=username, case_id=task.case_id, task_id=task.id, notice=notice)
        )


def _remind(session: Session, task: ApprovalTask, case: Case, state: DueState) -> None:
    task.reminded_at = utcnow()
    session.add(task)
    due_on = state.due_on.isoformat()
    fact = DUE_REMINDER(due_on=due_on, days_left=state.days_left)
    notice = NOTICE_REMINDER(reference=case.reference, due_on=due_on, days_left=state.days_left)
    _notify(session, task, task.claimed_by, notice)
    append_event(
        session,
        actor=ACTOR,
        action="task.reminded",
        case_id=case.id,
        payload={"task_id": task.id, "fact": fact, "told": task.claimed_by},
    )


def _holder_is_senior(session: Session, holder: str | None) -> bool:
    user = session.exec(select(User).where(User.username == holder)).first() if holder else None
    return user is not None and user.role == Role.SENIOR_CASEWORKER


def _escalate(session: Session, task: ApprovalTask, case: Case, state: DueState) -> None:
    # The senior queue is the top one (cases.access.ROLE_RANK); a senior holder keeps the task.
    holder, from_role, to_role = task.claimed_by, task.required_role, Role.SENIOR_CASEWORKER
    released = holder is not None and not _holder_is_senior(session, holder)
    task.required_role, task.escalated_at, task.escalated_from = to_role, utcnow(), holder
    if released:
        task.claimed_by, task.claimed_at = None, None
    session.add(task)
    due_on = state.due_on.isoformat()
    fact = TASK_ESCALATED(
        due_on=due_on, overdue_by=state.overdue_by, from_role=from_role, to_role=to_role
    )
    _notify(session, task, holder, NOTICE_ESCALATED(reference=case.reference, due_on=due_on))
    append_event(
        session,
        actor=ACTOR,
        action="task.escalated",
        case_id=case.id,
        payload={"task_id": task.id, "fact": fact, "told": holder, "claim_released": released},
    )


def _act(task_id: int, calendar: WorkingCalendar, now: dt.datetime, reminder_days: int) -> str:
    """Remind or escalate one task under its row lock; says which ('' for neither)."""
    with session_scope() as session:
        task = session.exec(
            select(ApprovalTask).where(ApprovalTask.id == task_id).with_for_update()
        ).first()
        if task is None or task.status != TaskStatus.OPEN or task.escalated_at is not None:
            return ""
        case = session.get(Case, task.case_id)
        state = due_state(task.due_at, calendar, now)
        if case is None or state is None or case.clock_paused_at is not None:
            return ""
        if state.overdue:
            _escalate(session, task, case, state)
            return "escalated"
        if task.reminded_at is None and state.days_left <= reminder_days:
            _remind(session, task, case, state)
            return "reminded"
        return ""


def sweep_service_levels(
    now: dt.datetime | None = None, *, reminder_days: int | None = None
) -> ServiceLevelSweep:
    """Set missing due dates, remind once before due, escalate once when overdue."""
    now = now or utcnow()
    if reminder_days is None:
        reminder_days = get_settings().sla_reminder_days
    with session_scope() as session:
        calendar = office_calendar(session)
    sweep = ServiceLevelSweep(due_set=_set_missing_dues(calendar))
    horizon = end_of_office_day(calendar.add_working_days(office_date(now), reminder_days))
    for task_id in _candidates(horizon):
        done = _act(task_id, calendar, now, reminder_days)
        if done == "escalated":
            sweep.escalated.append(task_id)
        elif done == "reminded":
            sweep.reminded.append(task_id)
    return sweep
