"""The words a case is decided in, one enum each, used end to end (catalogue, tables, API, pages).

Stored as their string values, so a row written before these were enums reads the same.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Decision", "Outcome", "Risk", "Severity"]


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
