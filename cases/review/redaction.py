"""Personal data out of what is sent to a language model: each personal value the case holds
(names, identity card numbers, telephone numbers, e-mail and street addresses) is replaced by a
placeholder naming what it was, wherever it appears (a finding may quote a name), and anything
shaped like an identity card number, an e-mail address or a Hong Kong telephone number goes too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cases.catalogue import FieldType, PermitType

__all__ = ["PERSON_NAME_FIELDS", "Redactor", "personal_values"]

#: Fields that hold a person's name (the catalogue types numbers and addresses, not names).
PERSON_NAME_FIELDS = frozenset(
    {"applicant_name", "id_card_name", "tenancy_landlord", "tenancy_tenant", "contact_name"}
)
_PERSONAL_TYPES = frozenset({FieldType.HKID, FieldType.PHONE, FieldType.ADDRESS})

_HKID = re.compile(r"\b[A-Z]{1,2}\s?\d{6}\s?\(?[0-9A]\)?", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+?852[\s-]?)?[2-9]\d{3}[\s-]?\d{4}(?!\d)")
_MIN_NAME_PART = 3  # shorter parts of a name ("Ho", "Li") would also blot out ordinary words


def personal_values(permit_type: PermitType, values: Mapping[str, str]) -> dict[str, str]:
    """``{field: value}`` for the fields of the case that hold personal data."""
    personal = {
        spec.name
        for spec in permit_type.permit.all_fields
        if spec.type in _PERSONAL_TYPES or spec.name in PERSON_NAME_FIELDS
    }
    personal |= {name for name in values if "email" in name}
    return {name: value for name, value in values.items() if name in personal and value.strip()}


class Redactor:
    """Replaces the case's personal values (and anything shaped like them) in a text."""

    def __init__(self, personal: Mapping[str, str]) -> None:
        patterns: list[tuple[re.Pattern[str], str]] = []
        for name, value in sorted(personal.items(), key=lambda item: -len(item[1])):
            placeholder = f"[{name.upper()}]"
            patterns.append((_loose(value), placeholder))
            if name in PERSON_NAME_FIELDS:  # the same name written another way round
                for part in re.split(r"[\s,.\-]+", value):
                    if len(part) >= _MIN_NAME_PART:
                        patterns.append((_word(part), placeholder))
        self._patterns = patterns

    def __call__(self, text: str) -> str:
        for pattern, placeholder in self._patterns:
            text = pattern.sub(placeholder, text)
        text = _EMAIL.sub("[EMAIL]", text)
        text = _HKID.sub("[HKID]", text)
        return _PHONE.sub("[PHONE]", text)


def _loose(value: str) -> re.Pattern[str]:
    """The value whatever its case and however its spaces and punctuation were written."""
    pieces = [re.escape(piece) for piece in re.split(r"[\s,().\-/]+", value.strip()) if piece]
    return re.compile(r"[\s,().\-/]*".join(pieces), re.IGNORECASE)


def _word(part: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(part)}(?!\w)", re.IGNORECASE)
