"""Working-day arithmetic: pure, no database.

A working day is a weekday that is neither a Hong Kong general holiday (``holidays.HK``, public and
optional categories: the optional ones are the general holidays government offices keep, such as
Good Friday) nor a closure day. ``add_working_days(start, n)`` is the n-th working day after
``start`` (``start`` itself never counts, so a case submitted on a holiday starts counting on the
next working day); ``working_days_between(a, b)`` counts the working days in ``(a, b]`` and is its
inverse: ``working_days_between(a, add_working_days(a, n)) == n``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "OFFICE_TZ",
    "WorkingCalendar",
    "end_of_office_day",
    "holiday_name",
    "office_date",
]

OFFICE_TZ = ZoneInfo("Asia/Hong_Kong")
_ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=4)
def _hong_kong(language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("HK", categories=("public", "optional"), language=language)


def holiday_name(day: dt.date, language: str = "en_HK") -> str | None:
    """The Hong Kong general holiday on ``day`` (named in ``language``: en_HK, zh_HK), or None."""
    name = _hong_kong(language).get(day)
    return str(name) if name else None


def office_date(moment: dt.datetime) -> dt.date:
    """The office's (Hong Kong) calendar date of a stored moment (UTC; naive means UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(OFFICE_TZ).date()


def end_of_office_day(day: dt.date) -> dt.datetime:
    """The last moment of ``day`` in Hong Kong, in UTC: something due on ``day`` is due then."""
    last = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=OFFICE_TZ)
    return last.astimezone(dt.UTC)


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekends and Hong Kong holidays off, and ``closures`` (the office's closure days)."""

    closures: frozenset[dt.date] = field(default_factory=frozenset)

    def with_closures(self, days: Iterable[dt.date]) -> WorkingCalendar:
        return WorkingCalendar(self.closures | frozenset(days))

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.closures and holiday_name(day) is None

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (n >= 0; 0 gives ``start`` back)."""
        if n < 0:
            raise ValueError("add_working_days counts forwards: n must be 0 or more")
        day = start
        while n:
            day += _ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in ``(a, b]``; negative (minus those in ``(b, a]``) when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count
