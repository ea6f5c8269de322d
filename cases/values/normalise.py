"""Normalisers and validators that turn OCR text into typed, canonical values.

Pure functions, no I/O: extraction calls :func:`normalise` for every field, and the review and
rules layers rely on the canonical forms produced here (``A123456(3)``, ``2026-11-02``,
``91234567``) so that two documents compare by plain string equality. Error messages are written
for a caseworker who has to decide whether the applicant or the scanner got it wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from rapidfuzz import fuzz, process

from cases.catalogue import FieldSpec, FieldType
from cases.facts import Fact
from cases.values import problems
from cases.values.addresses import normalise_address
from cases.values.hkid import hkid_check_digit, normalise_hkid, repair_hkid

__all__ = [
    "Normalised",
    "check_order",
    "check_pattern",
    "normalise",
    "normalise_field",
    "normalise_money",
    "normalise_phone",
    "parse_date",
    "parse_integer",
    "parse_number",
]


#: A canonical value, or None and why not (a ``cases.values.problems`` fact).
Normalised = tuple[str | None, Fact | None]

# Day-first, as Hong Kong writes dates; certificates and agreements also spell the month out
# ("5 March 2026", "5 Mar 2026"), with the spaces removed before parsing.
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d%B%Y", "%d%b%Y", "%d%b.%Y")


def parse_date(text: str) -> dt.date | None:
    """A date written YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY or with the month's English name."""
    compact = re.sub(r"[\s,]+", "", text)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(compact, fmt).date()
        except ValueError:
            continue
    return None


def parse_number(text: str) -> Decimal | None:
    """A decimal number such as ``45.5`` or ``1,234.50``; None for anything else (no NaN/inf)."""
    compact = re.sub(r"[\s,]", "", text)
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", compact):
        return None
    try:
        return Decimal(compact)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid literals
        return None


def parse_integer(text: str) -> int | None:
    """A whole number such as ``30`` or ``1,200``; None for fractions and anything else."""
    compact = re.sub(r"[\s,]", "", text)
    return int(compact) if re.fullmatch(r"[+-]?\d+", compact) else None


_MONEY_PREFIX = re.compile(r"^(HK\s*[$S]|HKD|\$)\s*", re.IGNORECASE)
_MONEY_SUFFIX = re.compile(r"\s*(per\s+month|/\s*month|a\s+month|p\.?m\.?)$", re.IGNORECASE)


def normalise_money(text: str) -> str | None:
    """An amount in Hong Kong dollars, ``HK$38,500.00`` -> ``38500.00``; None if not an amount.

    Accepts the ways an agreement writes it (``HK$``, ``HKD``, ``$``, ``per month``) and the
    scanner's usual misreading of ``$`` as ``S`` right after ``HK``.
    """
    bare = _MONEY_SUFFIX.sub("", _MONEY_PREFIX.sub("", text.strip()))
    number = parse_number(bare)
    return str(number) if number is not None else None


_CHOICE_SCORE = 80  # rapidfuzz ratio, case ignored: "UGHT REFRESHMENT" is "Light refreshment"


def normalise_field(spec: FieldSpec, text: str) -> tuple[str | None, Fact | None]:
    """The field's canonical value: its type's normaliser, then its choices and its pattern."""
    value, error = normalise(spec.type, text)
    if value is None or error is not None:
        return value, error
    if spec.choices:
        found = process.extractOne(
            value.casefold(),
            {choice: choice.casefold() for choice in spec.choices},
            scorer=fuzz.ratio,
            score_cutoff=_CHOICE_SCORE,
        )
        if found is None:
            return None, problems.NOT_A_CHOICE(value=value, choices=list(spec.choices))
        value = found[2]
    return value, check_pattern(spec, value)


def check_pattern(spec: FieldSpec, value: str) -> Fact | None:
    """Why a value does not have the shape the catalogue gives the field, or None."""
    if spec.pattern is None or re.fullmatch(spec.pattern, value):
        return None
    if spec.example:
        return problems.NOT_THE_PATTERN_EXAMPLE(value=value, field=spec.name, example=spec.example)
    return problems.NOT_THE_PATTERN(value=value, field=spec.name)


def check_order(spec: FieldSpec, value: str, others: Mapping[str, str]) -> Fact | None:
    """Why a date is not after the dates the catalogue says it must follow, or None.

    ``others`` holds the canonical (ISO) values of the case's other fields; a field with no
    value is not compared, since its absence is flagged on its own.
    """
    day = parse_date(value)
    for name in spec.must_be_after:
        other = parse_date(others.get(name, "") or "")
        if day is not None and other is not None and day <= other:
            return problems.NOT_AFTER(
                day=day.isoformat(), other_field=name, other=other.isoformat()
            )
    return None


def normalise_phone(text: str) -> str | None:
    """Eight-digit Hong Kong number, optionally written with +852 / 852 and spaces or dashes."""
    compact = re.sub(r"[\s\-()]", "", text)
    compact = re.sub(r"^(\+852|00852)", "", compact)
    if len(compact) == 11 and compact.startswith("852"):
        compact = compact[3:]
    return compact if re.fullmatch(r"\d{8}", compact) else None


def _normalise_hkid_field(text: str) -> Normalised:
    canonical = normalise_hkid(text) or repair_hkid(text)
    if canonical is None:
        return None, problems.NOT_AN_HKID(text=text)
    expected = hkid_check_digit(canonical[:-3])
    read = canonical[-2]
    if expected != read:
        return None, problems.HKID_CHECK_DIGIT(expected=expected, read=read)
    return canonical, None


def _normalise_text(text: str) -> Normalised:
    cleaned = " ".join(text.split())
    return (cleaned, None) if cleaned else (None, problems.NOTHING_READ())


def _normalise_number(field_type: FieldType, text: str) -> Normalised:
    if field_type is FieldType.MONEY:
        amount = normalise_money(text)
    else:
        number = parse_number(text.upper().removeprefix("HK").removeprefix("$"))
        amount = str(number) if number is not None else None
    return (amount, None) if amount is not None else (None, problems.NOT_A_NUMBER(text=text))


_BOOLEAN_WORDS = dict.fromkeys(("yes", "y", "true", "ticked", "x"), "yes") | dict.fromkeys(
    ("no", "n", "false", "not ticked"), "no"
)


def _normalise_date(text: str) -> Normalised:
    day = parse_date(text)
    if day is None:
        return None, problems.NOT_A_DATE(text=text)
    return day.isoformat(), None


def _normalise_integer(text: str) -> Normalised:
    whole = parse_integer(text)
    if whole is None:
        return None, problems.NOT_A_WHOLE_NUMBER(text=text)
    return str(whole), None


def _normalise_boolean(text: str) -> Normalised:
    answer = _BOOLEAN_WORDS.get(text.lower())
    return (answer, None) if answer else (None, problems.NOT_YES_OR_NO(text=text))


def _normalise_phone_field(text: str) -> Normalised:
    phone = normalise_phone(text)
    if phone is None:
        return None, problems.NOT_A_PHONE(text=text)
    return phone, None


_NORMALISERS: dict[FieldType, Callable[[str], Normalised]] = {
    FieldType.HKID: _normalise_hkid_field,
    FieldType.DATE: _normalise_date,
    FieldType.INTEGER: _normalise_integer,
    FieldType.NUMBER: lambda text: _normalise_number(FieldType.NUMBER, text),
    FieldType.MONEY: lambda text: _normalise_number(FieldType.MONEY, text),
    FieldType.BOOLEAN: _normalise_boolean,
    FieldType.PHONE: _normalise_phone_field,
    FieldType.ADDRESS: normalise_address,
}


def normalise(field_type: FieldType, text: str) -> Normalised:
    """Canonical text for a field of a given type, or ``(None, problem)`` for a caseworker."""
    text = " ".join(text.split())
    if not text:
        return None, problems.NOTHING_READ()
    return _NORMALISERS.get(field_type, _normalise_text)(text)
