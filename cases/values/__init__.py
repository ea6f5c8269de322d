"""Values: OCR text turned into typed, canonical values (dates, money, numbers, identity card
numbers, telephone numbers, Hong Kong addresses), with a reason a person can act on when it fails.

Pure functions, no I/O; extraction, the verification gate, the rules and the review all use them,
so two documents compare by plain string equality.
"""

from __future__ import annotations

from cases.values import problems
from cases.values.addresses import AREAS, normalise_address
from cases.values.formatting import format_date, format_fee
from cases.values.hkid import hkid_check_digit, is_valid_hkid, normalise_hkid, repair_hkid
from cases.values.normalise import (
    Normalised,
    check_order,
    check_pattern,
    normalise,
    normalise_field,
    normalise_money,
    normalise_phone,
    parse_date,
    parse_integer,
    parse_number,
)

__all__ = [
    "AREAS",
    "Normalised",
    "check_order",
    "check_pattern",
    "format_date",
    "format_fee",
    "hkid_check_digit",
    "is_valid_hkid",
    "normalise",
    "normalise_address",
    "normalise_field",
    "normalise_hkid",
    "normalise_money",
    "normalise_phone",
    "parse_date",
    "parse_integer",
    "parse_number",
    "problems",
    "repair_hkid",
]
