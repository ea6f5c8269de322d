"""What the pages need to show service levels: due dates in working days, read with the
office's calendar loaded once per page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlmodel import Session

from cases.calendar import office_calendar
from cases.service_levels import DueState, due_state

__all__ = ["due_reader"]


def due_reader(session: Session) -> Callable[[dt.datetime | None], DueState | None]:
    """``due(moment)``: how a due date stands today, for the templates."""
    calendar, now = office_calendar(session), dt.datetime.now(dt.UTC)
    return lambda moment: due_state(moment, calendar, now)
