"""Dates and amounts as a letter or a message in each official language prints them.

English: ``2 March 2026`` and ``HK$5,120.00``; Traditional Chinese, as Hong Kong government
letters write them: ``2026年3月2日`` and ``港幣5,120.00元``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from cases.vocabulary import Language

__all__ = ["format_date", "format_fee"]


def format_fee(fee: Decimal | float | None, language: str = Language.EN) -> str:
    """A fee as a letter prints it; empty when no fee applies."""
    if fee is None:
        return ""
    amount = f"{Decimal(str(fee)):,.2f}"
    return f"港幣{amount}元" if language == Language.ZH_HANT else f"HK${amount}"


def format_date(day: dt.date | str | Any, language: str = Language.EN) -> str:
    """A date (or an ISO date as a field stores it) as a letter prints it; anything else as is,
    so a template's ``|date`` never hides a value it cannot read."""
    if isinstance(day, str):
        text = day
        try:
            day = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return text
    if isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        return "" if day is None else str(day)
    if language == Language.ZH_HANT:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day:%B %Y}"
