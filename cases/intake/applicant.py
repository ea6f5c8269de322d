"""Who is applying: the contact details an applicant gives when applying online (or a script
gives for them), checked before anything is stored.

A problem is kept as a code per field (``{"email": "email_shape"}``); the English sentence for
each code is in ``APPLICANT_PROBLEMS`` and the pages translate it, so one check speaks both
languages and every wrong field is named at once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cases.errors import InvalidInput
from cases.values import normalise_phone
from cases.vocabulary import Language

__all__ = [
    "APPLICANT_PROBLEMS",
    "ApplicantDetails",
    "InvalidApplicant",
    "check_applicant",
]

NAME_MAX, EMAIL_MAX, PHONE_MAX = 200, 254, 32

# code -> what the applicant reads (the English msgid; web/i18n.py lists them for translation)
APPLICANT_PROBLEMS = {
    "name_missing": "Give your name as it appears on your identity card.",
    "name_too_long": "The name is longer than 200 characters; shorten it.",
    "name_control": "The name contains characters that cannot be printed; type it again.",
    "email_missing": "Give an e-mail address: the office writes to you there.",
    "email_shape": "This does not look like an e-mail address (name@example.org); check it.",
    "phone_shape": (
        "This does not look like a telephone number: give 8 digits for a Hong Kong number, "
        "or + and the country code for another."
    ),
    "language_unknown": "Choose English or 繁體中文 for the messages we send you.",
}

# One @, no spaces, a dot in the domain: the shape, not deliverability (the acknowledgement tells).
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")


class InvalidApplicant(InvalidInput):
    """One or more of the applicant's details cannot be used; ``problems`` maps each field
    (``name``, ``email``, ``phone``, ``preferred_language``) to a code of ``APPLICANT_PROBLEMS``."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{field}: {APPLICANT_PROBLEMS[code]}" for field, code in problems.items())
        )


@dataclass(frozen=True)
class ApplicantDetails:
    """Checked contact details (see :func:`check_applicant`); stored on the case's Applicant."""

    name: str
    email: str
    phone: str | None = None
    preferred_language: Language = Language.EN


def _check_name(name: str) -> tuple[str, str | None]:
    name = " ".join(name.split())
    if not name:
        return name, "name_missing"
    if len(name) > NAME_MAX:
        return name, "name_too_long"
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co") for char in name):
        return name, "name_control"
    return name, None


def _check_email(email: str) -> tuple[str, str | None]:
    email = email.strip()
    if not email:
        return email, "email_missing"
    if len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email):
        return email, "email_shape"
    return email, None


def _check_phone(phone: str) -> tuple[str | None, str | None]:
    """A Hong Kong number as its 8 digits; another as + and its digits; blank as None."""
    if not phone.strip():
        return None, None
    local = normalise_phone(phone)
    if local is not None:
        return local, None
    compact = re.sub(r"[\s\-().]", "", phone)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if _INTERNATIONAL.fullmatch(compact) and len(compact) <= PHONE_MAX:
        return compact, None
    return None, "phone_shape"


def check_applicant(
    *, name: str, email: str, phone: str = "", preferred_language: str = Language.EN.value
) -> ApplicantDetails:
    """The details as they will be stored (spaces tidied, phone normalised); raise
    :class:`InvalidApplicant` naming every field that cannot be used."""
    problems: dict[str, str] = {}
    clean_name, problem = _check_name(name)
    if problem:
        problems["name"] = problem
    clean_email, problem = _check_email(email)
    if problem:
        problems["email"] = problem
    clean_phone, problem = _check_phone(phone)
    if problem:
        problems["phone"] = problem
    language = next((lang for lang in Language if lang.value == preferred_language), None)
    if language is None:
        problems["preferred_language"] = "language_unknown"
    if problems or language is None:
        raise InvalidApplicant(problems)
    return ApplicantDetails(clean_name, clean_email, clean_phone, language)
