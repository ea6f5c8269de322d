"""Dates and fees as letters and messages print them, in each official language (one formatter
for both, so a letter and the e-mail that carries it never write a date two ways)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import MessageKind
from cases.notifications.rendering import render_message, sample_facts
from cases.values import format_date, format_fee
from cases.vocabulary import Language


@pytest.mark.parametrize(
    ("value", "language", "printed"),
    [
        (dt.date(2026, 3, 2), Language.EN, "2 March 2026"),
        (dt.date(2026, 3, 2), Language.ZH_HANT, "2026年3月2日"),
        ("2026-12-19", Language.ZH_HANT, "2026年12月19日"),
        ("2026-01-15T10:30:00+00:00", Language.EN, "15 January 2026"),
        (dt.datetime(2026, 1, 15, 23, 0), Language.EN, "15 January 2026"),
        ("not a date", Language.EN, "not a date"),
        (None, Language.ZH_HANT, ""),
    ],
)
def test_a_date_is_printed_as_an_official_letter_writes_it(
    value: object, language: Language, printed: str
) -> None:
    assert format_date(value, language) == printed


def test_a_fee_is_printed_in_hong_kong_dollars_in_each_language() -> None:
    assert format_fee(Decimal("5120"), Language.EN) == "HK$5,120.00"
    assert format_fee(5120, Language.ZH_HANT) == "港幣5,120.00元"
    assert format_fee(None) == ""


def test_a_message_writes_its_due_date_as_the_letter_does() -> None:
    facts = sample_facts(MessageKind.INFORMATION_REQUEST) | {"due_on": "2026-12-19"}
    message = render_message(MessageKind.INFORMATION_REQUEST, Language.ZH_HANT, facts)
    assert format_date("2026-12-19", Language.ZH_HANT) in message.body
