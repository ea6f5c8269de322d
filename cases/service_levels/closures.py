"""Office closure days (typhoon signal 8, black rainstorm): added by an admin, audited, and every
open due date the day falls inside of moves one working day later.

A closure day "falls inside" a case's service level when it comes after the day the case was
submitted and no later than its due date: that day the office could not work the case. Each
case moved is audited once, as a fact, in the transaction that stores the closure day, so the
same day cannot be added (or move anything) twice. A request for information whose last day is
the closure day runs to the next working day, like a deadline set on a closed day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.calendar import (
    WorkingCalendar,
    closure_days,
    end_of_office_day,
    holiday_name,
    office_calendar,
    office_date,
)
from cases.db import session_scope
from cases.errors import InvalidInput
from cases.facts import Message
from cases.lifecycle import OPEN_STATUSES
from cases.models import Case, ClosureDay, InformationRequest
from cases.service_levels.clock import shift_case

__all__ = [
    "DEADLINE_MOVED_CLOSURE",
    "DUE_MOVED_CLOSURE",
    "ClosureAdded",
    "add_closure_day",
    "list_closure_days",
]

DUE_MOVED_CLOSURE = Message(
    "due_moved_closure",
    "The office was closed on %(closed_on)s (%(reason)s): due date moved from %(from_due)s to "
    "%(to_due)s.",
)
DEADLINE_MOVED_CLOSURE = Message(
    "deadline_moved_closure",
    "The office was closed on %(closed_on)s (%(reason)s), the last day to answer the request for "
    "information: it now runs to %(to_day)s.",
)
MAX_REASON_CHARS = 500


@dataclass
class ClosureAdded:
    day: dt.date
    reason: str
    moved: list[int] = field(default_factory=list)  # case ids whose due date moved


def _check(session: Session, day: dt.date, reason: str) -> None:
    if not reason:
        raise InvalidInput("Say why the office closed (for example: typhoon signal 8).")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"The reason is too long: write at most {MAX_REASON_CHARS} characters.")
    if session.exec(select(ClosureDay).where(ClosureDay.day == day)).first() is not None:
        raise InvalidInput(f"{day.isoformat()} is already a closure day; nothing was changed.")
    if day.weekday() >= 5:
        raise InvalidInput(
            f"{day.isoformat()} is a {day.strftime('%A')}, not a working day already; "
            "nothing was changed."
        )
    if name := holiday_name(day):
        raise InvalidInput(
            f"{day.isoformat()} is a public holiday ({name}), not a working day already; "
            "nothing was changed."
        )


def _affected(session: Session, day: dt.date) -> list[Case]:
    """Open cases whose service level runs over ``day`` (submitted before it, due on or after)."""
    rows = session.exec(
        select(Case)
        .where(
            col(Case.status).in_([str(s) for s in OPEN_STATUSES]),
            col(Case.due_at) > end_of_office_day(day - dt.timedelta(days=1)),
        )
        .order_by(col(Case.id))
        .with_for_update()
    ).all()
    return [
        case
        for case in rows
        if case.due_at and office_date(case.submitted_at) < day <= office_date(case.due_at)
    ]


def _move_request_deadlines(
    session: Session, day: dt.date, reason: str, calendar: WorkingCalendar, *, actor: str
) -> None:
    """A request for information whose last day (or last day after the reminder) is the closure
    day runs to the next working day, as a deadline on a closed day does."""
    requests = session.exec(
        select(InformationRequest).where(
            col(InformationRequest.resolution).is_(None),
            (col(InformationRequest.due_on) == day) | (col(InformationRequest.grace_until) == day),
        )
    ).all()
    to_day = calendar.add_working_days(day, 1)
    for request in requests:
        if request.due_on == day:
            request.due_on = to_day
        if request.grace_until == day:
            request.grace_until = to_day
        session.add(request)
        fact = DEADLINE_MOVED_CLOSURE(
            closed_on=day.isoformat(), reason=reason, to_day=to_day.isoformat()
        )
        append_event(
            session,
            actor=actor,
            action="information.deadline_moved",
            case_id=request.case_id,
            payload={"request_id": request.id, "fact": fact},
        )


def add_closure_day(day: dt.date, reason: str, *, actor: str) -> ClosureAdded:
    """Store the closure day and move every open due date it falls inside of, in one transaction."""
    reason = reason.strip()
    added = ClosureAdded(day, reason)
    with session_scope() as session:
        _check(session, day, reason)
        session.add(ClosureDay(day=day, reason=reason, added_by=actor))
        session.flush()
        append_event(
            session,
            actor=actor,
            action="calendar.closure_added",
            payload={"day": day.isoformat(), "reason": reason},
        )
        calendar = office_calendar(session)
        for case in _affected(session, day):
            shifted = shift_case(session, case, 1, calendar)
            if shifted is None:
                continue
            from_due, to_due, tasks = shifted
            fact = DUE_MOVED_CLOSURE(
                closed_on=day.isoformat(), reason=reason, from_due=from_due, to_due=to_due
            )
            append_event(
                session,
                actor=actor,
                action="service_level.due_moved",
                case_id=case.id,
                payload={"fact": fact, "tasks_moved": tasks},
            )
            added.moved.append(case.id or 0)
        _move_request_deadlines(session, day, reason, calendar, actor=actor)
    return added


def list_closure_days() -> list[ClosureDay]:
    with session_scope() as session:
        return closure_days(session)
