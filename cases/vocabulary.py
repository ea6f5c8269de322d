"""The words a case is decided in, one enum each, used end to end (catalogue, tables, API, pages).

Stored as their string values, so a row written before these were enums reads the same
(``cases.columns.EnumText`` turns them back into members). Text from a form or the API becomes a
member through :func:`parse_word` (or ``parse_decision``), whose error says which words it takes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from cases.errors import InvalidInput

__all__ = [
    "Decision",
    "Language",
    "LetterKind",
    "Outcome",
    "Risk",
    "Severity",
    "parse_decision",
    "parse_word",
]

_Word = TypeVar("_Word", bound=StrEnum)


class Outcome(StrEnum):
    """What the rules propose for a case (and what a failed rule asks for)."""

    APPROVE = "approve"
    REFUSE = "refuse"
    REFER = "refer"
    REQUEST_INFO = "request_info"


class Decision(StrEnum):
    """What a person decides at the decision gate; a letter is written for each."""

    APPROVE = "approve"
    REFUSE = "refuse"


class LetterKind(StrEnum):
    """What a letter is for: a decision (one of :class:`Decision`), a request for information,
    or the notice that an unanswered request lapsed and the application was closed."""

    APPROVE = "approve"
    REFUSE = "refuse"
    INFORMATION_REQUEST = "information_request"
    LAPSE = "lapse"

    @classmethod
    def of_decision(cls, decision: Decision | None) -> LetterKind | None:
        """The letter a decision is written in (None for an undecided case)."""
        return None if decision is None else cls(decision.value)


class Language(StrEnum):
    """The office's two official languages: what an applicant reads messages and letters in."""

    EN = "en"
    ZH_HANT = "zh-Hant"


class Severity(StrEnum):
    """How much a review finding matters, least first."""

    INFO = "info"
    WARNING = "warning"
    HIGH = "high"


class Risk(StrEnum):
    """A review's overall risk, from its most severe finding."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def parse_word(vocabulary: type[_Word], text: object, *, what: str) -> _Word:
    """``text`` as a member of ``vocabulary``; anything else is :class:`InvalidInput` (a 4xx
    answer on a page or the API) naming the words allowed."""
    if isinstance(text, str):
        for member in vocabulary:
            if member.value == text:
                return member
    choices = ", ".join(vocabulary)
    raise InvalidInput(f"{what} must be one of {choices}, not '{text}'")


def parse_decision(text: object) -> Decision:
    """A decision typed or posted by a person: ``approve`` or ``refuse``."""
    return parse_word(Decision, text, what="decision")
