"""The office's calendar as stored: the closure days an admin added, over the holidays."""

from __future__ import annotations

from sqlmodel import Session, col, select

from cases.calendar.days import WorkingCalendar
from cases.models import ClosureDay

__all__ = ["closure_days", "office_calendar"]


def closure_days(session: Session) -> list[ClosureDay]:
    """Every closure day, in date order."""
    return list(session.exec(select(ClosureDay).order_by(col(ClosureDay.day))))


def office_calendar(session: Session) -> WorkingCalendar:
    """Today's calendar: weekends, Hong Kong holidays and every stored closure day."""
    return WorkingCalendar(frozenset(closure.day for closure in closure_days(session)))
