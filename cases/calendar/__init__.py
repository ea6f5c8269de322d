"""The office's working days: Hong Kong general holidays (the ``holidays`` package, offline),
weekends, and the closure days an admin adds (typhoon signal 8, black rainstorm).

``WorkingCalendar`` is pure arithmetic on dates; ``office_calendar(session)`` is the one the office
keeps today (holidays plus the stored closure days). Times are stored in UTC and the office counts
its days in Asia/Hong_Kong: ``office_date`` and ``end_of_office_day`` convert between the two.
"""

from __future__ import annotations

from cases.calendar.days import (
    OFFICE_TZ,
    WorkingCalendar,
    end_of_office_day,
    holiday_name,
    office_date,
)
from cases.calendar.store import closure_days, office_calendar

__all__ = [
    "OFFICE_TZ",
    "WorkingCalendar",
    "closure_days",
    "end_of_office_day",
    "holiday_name",
    "office_calendar",
    "office_date",
]
