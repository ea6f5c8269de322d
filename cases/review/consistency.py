"""The cross-document consistency reviewer: local and deterministic.

It compares the applicant's name and identity card number on the application form with the copy
of the identity card, and says which evidence is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from cases.values import normalise_hkid

__all__ = ["REVIEWER", "REVIEWER_VERSION", "Finding", "cross_check"]

REVIEWER = "cross-document-consistency"
REVIEWER_VERSION = "1.0"
NAME_MATCH_THRESHOLD = 90.0


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "info" | "warning" | "high"
    message: str
    evidence: list[str]  # field names the finding points at


def _name_key(name: str) -> str:
    return " ".join(sorted(name.upper().replace(",", " ").split()))


def cross_check(values: dict[str, str]) -> list[Finding]:
    """Compare what the form says with what the identity card copy says."""
    findings: list[Finding] = []
    form_name, card_name = values.get("applicant_name", ""), values.get("id_card_name", "")
    if form_name and card_name:
        score = fuzz.ratio(_name_key(form_name), _name_key(card_name))
        if score < NAME_MATCH_THRESHOLD:
            findings.append(
                Finding(
                    "name_mismatch",
                    "high",
                    f"The form names '{form_name}' but the identity card shows '{card_name}' "
                    f"(similarity {score:.0f}%).",
                    ["applicant_name", "id_card_name"],
                )
            )
    form_id = normalise_hkid(values.get("hkid", "")) or values.get("hkid", "")
    card_id = normalise_hkid(values.get("id_card_number", "")) or values.get("id_card_number", "")
    if form_id and card_id and form_id != card_id:
        findings.append(
            Finding(
                "id_number_mismatch",
                "high",
                f"The identity card number on the form ({form_id}) differs from the card "
                f"({card_id}).",
                ["hkid", "id_card_number"],
            )
        )
    for name in ("applicant_name", "hkid", "id_card_name", "id_card_number"):
        if not values.get(name):
            findings.append(
                Finding(
                    "missing_evidence", "warning", f"'{name}' is empty; not cross-checked.", [name]
                )
            )
    return findings
