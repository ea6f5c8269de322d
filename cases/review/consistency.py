"""The cross-document consistency reviewer: local and deterministic.

It compares the applicant's name and identity card number on the application form with the copy
of the identity card, and says which evidence is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from cases.columns import stored_word
from cases.facts import Fact, Message
from cases.values import normalise_hkid
from cases.vocabulary import Severity

__all__ = ["REVIEWER", "REVIEWER_VERSION", "Finding", "cross_check"]

REVIEWER = "cross-document-consistency"
REVIEWER_VERSION = "1.0"
NAME_MATCH_THRESHOLD = 90.0


NAME_MISMATCH = Message(
    "name_mismatch",
    "The form names '%(form_name)s' but the identity card shows '%(card_name)s' "
    "(similarity %(similarity).0f%%).",
)
ID_NUMBER_MISMATCH = Message(
    "id_number_mismatch",
    "The identity card number on the form (%(form_id)s) differs from the card (%(card_id)s).",
)
MISSING_EVIDENCE = Message(
    "missing_evidence", "%(field)s is empty; not cross-checked.", fields=frozenset({"field"})
)


@dataclass(frozen=True)
class Finding:
    """What a reviewer found: the fact (``cases.facts``), how much it matters, and the fields
    it rests on (linked from the case page)."""

    fact: Fact
    severity: Severity
    evidence: list[str]

    @property
    def code(self) -> str:
        return str(self.fact["code"])

    def as_json(self) -> dict[str, Any]:
        return {"fact": self.fact, "severity": self.severity.value, "evidence": self.evidence}

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> Finding:
        """A finding as a review stored it (``as_json``)."""
        severity = stored_word(Severity, stored["severity"])
        return cls(dict(stored["fact"]), severity, list(stored.get("evidence") or []))


def _name_key(name: str) -> str:
    return " ".join(sorted(name.upper().replace(",", " ").split()))


def cross_check(values: dict[str, str]) -> list[Finding]:
    """Compare what the form says with what the identity card copy says."""
    findings: list[Finding] = []
    form_name, card_name = values.get("applicant_name", ""), values.get("id_card_name", "")
    if form_name and card_name:
        score = fuzz.ratio(_name_key(form_name), _name_key(card_name))
        if score < NAME_MATCH_THRESHOLD:
            fact = NAME_MISMATCH(form_name=form_name, card_name=card_name, similarity=round(score))
            findings.append(Finding(fact, Severity.HIGH, ["applicant_name", "id_card_name"]))
    form_id = normalise_hkid(values.get("hkid", "")) or values.get("hkid", "")
    card_id = normalise_hkid(values.get("id_card_number", "")) or values.get("id_card_number", "")
    if form_id and card_id and form_id != card_id:
        fact = ID_NUMBER_MISMATCH(form_id=form_id, card_id=card_id)
        findings.append(Finding(fact, Severity.HIGH, ["hkid", "id_card_number"]))
    for name in ("applicant_name", "hkid", "id_card_name", "id_card_number"):
        if not values.get(name):
            findings.append(Finding(MISSING_EVIDENCE(field=name), Severity.WARNING, [name]))
    return findings
