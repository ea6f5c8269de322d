"""What a case is, in a sentence a sentence-embedding model can compare: its permit type, the
business it is for, its key values (numbers, yes/no answers, choices) and the rules it failed.

Personal data (names, identity numbers, addresses, telephone numbers, dates) is never part of
it: two applications are alike by what they ask for, not by who asks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from cases.catalogue import FieldSpec, FieldType, PermitType

__all__ = ["NUMERIC_TYPES", "case_summary", "failed_rules", "key_fields", "key_values"]

NUMERIC_TYPES = frozenset({FieldType.NUMBER, FieldType.INTEGER, FieldType.MONEY})
_KEY_TYPES = NUMERIC_TYPES | {FieldType.BOOLEAN}


def key_fields(permit_type: PermitType) -> list[FieldSpec]:
    """The form's fields a summary names: numbers, yes/no answers and fields with choices."""
    return [
        spec
        for spec in permit_type.permit.fields
        if spec.source == "application_form" and (spec.type in _KEY_TYPES or spec.choices)
    ]


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def key_values(permit_type: PermitType, values: Mapping[str, str]) -> dict[str, Any]:
    """``{field: value}`` for the key fields that have a value: numbers as numbers."""
    found: dict[str, Any] = {}
    for spec in key_fields(permit_type):
        text = (values.get(spec.name) or "").strip()
        if not text:
            continue
        if spec.type in NUMERIC_TYPES:
            number = _number(text)
            if number is not None:
                found[spec.name] = number
        else:
            found[spec.name] = text
    return found


def failed_rules(trace: Mapping[str, Any] | None) -> list[str]:
    """The ids and titles of the rules a case failed, as its eligibility trace records them."""
    rules: Iterable[Mapping[str, Any]] = (trace or {}).get("rules", [])
    return [
        f"{rule.get('rule_id', '')} {rule.get('title', '')}".strip()
        for rule in rules
        if rule.get("status") in {"failed", "error"}
    ]


def _size_word(value: float, usual: tuple[float, float] | None) -> str:
    """Where a number sits in the field's usual range, in a word: the model compares words far
    better than digits (80 and 800 square metres embed almost alike)."""
    if usual is None:
        return ""
    low, high = usual
    if value < low:
        return "very small, "
    if value > high:
        return "very large, "
    span = math.log1p(high) - math.log1p(low) or 1.0
    third = (math.log1p(value) - math.log1p(low)) / span
    return "small, " if third < 1 / 3 else "medium, " if third < 2 / 3 else "large, "


def _rounded(value: float) -> str:
    """Two significant digits (116.8 -> 120): finer differences are noise to a comparison, and
    the model weighs how digits are written (a decimal point made 116.8 and 220.8 look alike)."""
    return f"{float(f'{value:.2g}'):g}"


def case_summary(permit_type: PermitType, values: Mapping[str, Any], failed: list[str]) -> str:
    """The case in one paragraph: its choices first, then the rules it failed (their titles
    say what is wrong), then each number in words and digits, then the yes/no answers."""
    specs = [spec for spec in key_fields(permit_type) if spec.name in values]
    parts = [str(values[spec.name]) for spec in specs if spec.choices]
    parts.append("Failed rules: " + ("; ".join(failed) if failed else "none"))
    for spec in specs:
        value = values[spec.name]
        if spec.type in NUMERIC_TYPES and not spec.choices:
            parts.append(f"{spec.label.en}: {_size_word(value, spec.usual_range)}{_rounded(value)}")
        elif not spec.choices:
            parts.append(f"{spec.label.en}: {value}")
    return ". ".join(parts) + "."
