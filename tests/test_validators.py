"""Normalisers and validators: HKID check digits, dates, numbers and phone numbers."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from cases.catalogue import FieldType, get_permit_type
from cases.facts import Fact, render
from cases.values import (
    hkid_check_digit,
    is_valid_hkid,
    normalise,
    normalise_field,
    normalise_hkid,
    normalise_phone,
    parse_date,
    parse_integer,
    parse_number,
    repair_hkid,
)


def _told(result: tuple[str | None, Fact | None]) -> tuple[str | None, str | None]:
    """A normaliser's answer with its problem said in English, as a caseworker reads it."""
    value, problem = result
    return value, None if problem is None else render(problem)


@pytest.mark.parametrize(
    ("body", "check"),
    [("A123456", "3"), ("AB987654", "3"), ("C100007", "A"), ("G100007", "0"), ("c123456", "9")],
)
def test_hkid_check_digit(body: str, check: str) -> None:
    assert hkid_check_digit(body) == check


def test_every_body_has_exactly_one_valid_check_digit() -> None:
    rng = random.Random(7)
    for _ in range(300):
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWYZ") for _ in range(rng.choice((1, 2))))
        body = f"{letters}{rng.randrange(10**6):06d}"
        valid = [c for c in "0123456789A" if is_valid_hkid(f"{body}({c})")]
        assert valid == [hkid_check_digit(body)]


@pytest.mark.parametrize("bad", ["", "A12345", "123456(3)", "ABC123456(3)", "A1234567(3)"])
def test_hkid_check_digit_rejects_malformed_bodies(bad: str) -> None:
    with pytest.raises(ValueError, match="six digits"):
        hkid_check_digit(bad)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("A1234563", "A123456(3)"),
        ("A123456(3)", "A123456(3)"),
        ("a 123456 (3)", "A123456(3)"),
        ("AB987654(3)", "AB987654(3)"),
        ("A123456(5)", "A123456(5)"),  # shape only: the check digit is judged by is_valid_hkid
        ("A12345(3)", None),
        ("1234567(3)", None),
        ("A123456(33)", None),
    ],
)
def test_normalise_hkid(text: str, canonical: str | None) -> None:
    assert normalise_hkid(text) == canonical


def test_is_valid_hkid() -> None:
    assert is_valid_hkid("A123456(3)")
    assert is_valid_hkid("a1234563")
    assert not is_valid_hkid("A123456(5)")
    assert not is_valid_hkid("not a number")


def test_repair_hkid_fixes_ocr_prefix_confusions_only_when_the_check_digit_agrees() -> None:
    assert repair_hkid("0400179((7)") == "D400179(7)"
    assert repair_hkid("2988230(9)") == "Z988230(9)"
    assert repair_hkid("RO60569(6)") == "R060569(6)"
    assert repair_hkid("2988230(8)") is None
    assert repair_hkid("hello") is None


def test_normalise_hkid_field_explains_a_wrong_check_digit() -> None:
    assert normalise(FieldType.HKID, "a 123456 (3)") == ("A123456(3)", None)
    assert _told(normalise(FieldType.HKID, "A123456(5)")) == (
        None,
        "check digit is wrong: expected 3, read 5",
    )
    value, error = _told(normalise(FieldType.HKID, "12-34"))
    assert value is None
    assert error is not None
    assert "e.g. A123456(3)" in error


@pytest.mark.parametrize("text", ["2026-11-02", "02/11/2026", "02-11-2026", " 2026-11-02 "])
def test_parse_date_formats(text: str) -> None:
    assert parse_date(text) == dt.date(2026, 11, 2)


@pytest.mark.parametrize("text", ["2026-02-30", "11/2026", "yesterday", ""])
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("45.5", Decimal("45.5")),
        ("1,234.50", Decimal("1234.50")),
        ("7", Decimal(7)),
        (".5", Decimal("0.5")),
    ],
)
def test_parse_number(text: str, number: Decimal) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["abc", "NaN", "inf", "1e5", "4.5.6", ""])
def test_parse_number_rejects(text: str) -> None:
    assert parse_number(text) is None


def test_parse_integer() -> None:
    assert parse_integer("30") == 30
    assert parse_integer("1,200") == 1200
    assert parse_integer("3.5") is None
    assert parse_integer("thirty") is None


@pytest.mark.parametrize(
    "text", ["91234567", "9123 4567", "9123-4567", "+852 9123 4567", "85291234567"]
)
def test_normalise_phone(text: str) -> None:
    assert normalise_phone(text) == "91234567"


@pytest.mark.parametrize("text", ["1234567", "912345678", "+86 91234567", "phone"])
def test_normalise_phone_rejects(text: str) -> None:
    assert normalise_phone(text) is None


@pytest.mark.parametrize(
    ("field_type", "text", "expected"),
    [
        (FieldType.DATE, "02/11/2026", ("2026-11-02", None)),
        (FieldType.INTEGER, "1,200", ("1200", None)),
        (FieldType.NUMBER, "45.5", ("45.5", None)),
        (FieldType.MONEY, "HK$1,200.50", ("1200.50", None)),
        (FieldType.PHONE, "+852 9123 4567", ("91234567", None)),
        (FieldType.TEXT, "  CHAN   Tai Man ", ("CHAN Tai Man", None)),
        (FieldType.TEXT, "   ", (None, "nothing was read")),
        (FieldType.INTEGER, "3.5", (None, "'3.5' is not a whole number")),
        (
            FieldType.DATE,
            "31/02/2026",
            (None, "'31/02/2026' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"),
        ),
    ],
)
def test_normalise(
    field_type: FieldType, text: str, expected: tuple[str | None, str | None]
) -> None:
    assert _told(normalise(field_type, text)) == expected


@pytest.mark.parametrize(
    ("text", "value"), [("yes", "yes"), ("X", "yes"), ("Ticked", "yes"), ("no", "no"), ("N", "no")]
)
def test_a_checkbox_answer_is_yes_or_no(text: str, value: str) -> None:
    assert normalise(FieldType.BOOLEAN, text) == (value, None)


def test_a_checkbox_answer_that_is_neither_is_explained() -> None:
    assert _told(normalise(FieldType.BOOLEAN, "maybe")) == (
        None,
        "'maybe' is not a yes or no answer",
    )


@pytest.mark.parametrize(
    ("read", "value"),
    [
        ("Light refreshment", "Light refreshment"),
        ("LIGHT REFRESHMENT", "Light refreshment"),  # block capitals, as the form asks
        ("UGHT REFRESHMENT", "Light refreshment"),  # handwritten L I read as U
        ("REST AURANT", "Restaurant"),
    ],
)
def test_a_field_with_choices_takes_the_rules_spelling(read: str, value: str) -> None:
    """The fee table compares "Restaurant": a handwritten RESTAURANT must reach it as that."""
    spec = get_permit_type("food-business-licence").permit.field("business_type")
    assert normalise_field(spec, read) == (value, None)


def test_a_value_that_is_none_of_the_choices_is_flagged_with_the_choices() -> None:
    spec = get_permit_type("food-business-licence").permit.field("business_type")
    assert _told(normalise_field(spec, "Take-away kiosk")) == (
        None,
        "'Take-away kiosk' is not one of: Restaurant, Light refreshment, Food factory",
    )
