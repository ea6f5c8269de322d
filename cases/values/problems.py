"""Why a value does not validate, as facts (``cases.facts``): a caseworker reads the reason in
their own language, with what was read kept as it was read."""

from __future__ import annotations

from cases.facts import Message

__all__ = [
    "HKID_CHECK_DIGIT",
    "NOTHING_READ",
    "NOT_AFTER",
    "NOT_AN_HKID",
    "NOT_A_CHOICE",
    "NOT_A_DATE",
    "NOT_A_NUMBER",
    "NOT_A_PHONE",
    "NOT_A_WHOLE_NUMBER",
    "NOT_IN_DISTRICT",
    "NOT_THE_PATTERN",
    "NOT_THE_PATTERN_EXAMPLE",
    "NOT_YES_OR_NO",
]

NOTHING_READ = Message("nothing_read", "nothing was read")
NOT_AN_HKID = Message(
    "not_an_hkid",
    "'%(text)s' is not an identity card number: expected one or two letters, six digits and a "
    "check digit, e.g. A123456(3)",
)
HKID_CHECK_DIGIT = Message(
    "hkid_check_digit", "check digit is wrong: expected %(expected)s, read %(read)s"
)
NOT_A_NUMBER = Message("not_a_number", "'%(text)s' is not a number")
NOT_A_WHOLE_NUMBER = Message("not_a_whole_number", "'%(text)s' is not a whole number")
NOT_A_DATE = Message("not_a_date", "'%(text)s' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)")
NOT_YES_OR_NO = Message("not_yes_or_no", "'%(text)s' is not a yes or no answer")
NOT_A_PHONE = Message("not_a_phone", "'%(text)s' is not an 8-digit Hong Kong telephone number")
NOT_IN_DISTRICT = Message(
    "not_in_district",
    "'%(text)s' does not end with a Hong Kong district or area (e.g. Wan Chai, Mong Kok); check "
    "the address against the document",
)
NOT_A_CHOICE = Message(
    "not_a_choice", "'%(value)s' is not one of: %(choices)s", lists=frozenset({"choices"})
)
NOT_THE_PATTERN = Message(
    "not_the_pattern",
    "'%(value)s' is not a valid value for '%(field)s'",
    fields=frozenset({"field"}),
)
NOT_THE_PATTERN_EXAMPLE = Message(
    "not_the_pattern_example",
    "'%(value)s' is not a valid value for '%(field)s', e.g. %(example)s",
    fields=frozenset({"field"}),
)
NOT_AFTER = Message(
    "not_after",
    "%(day)s is not after '%(other_field)s' (%(other)s)",
    fields=frozenset({"other_field"}),
)
