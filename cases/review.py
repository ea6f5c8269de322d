"""AI-assisted review: advisory findings with evidence, never a decision.

The first reviewer is local and deterministic: it cross-checks the applicant's name and identity
card number between the application form and the copy of the identity card. Each review stores the
reviewer's name and version and a hash of its inputs, so anyone can later see what it said and why.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlmodel import select

from cases.audit import append_event
from cases.casework import get_case
from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import ExtractedField, Review
from cases.validators import normalise_hkid

__all__ = ["Finding", "cross_check", "review_case"]

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


def _risk(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    return "high" if "high" in severities else "medium" if "warning" in severities else "low"


def review_case(case_id: int) -> str:
    """Review the case once (idempotent); return the risk level."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        existing = session.exec(select(Review).where(Review.case_id == case_id)).first()
        if existing is not None or case.status != CaseStatus.REVIEWING:
            return existing.risk if existing else "unknown"
        values = {
            f.name: f.value
            for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case_id))
        }
        inputs = {
            k: values.get(k, "")
            for k in ("applicant_name", "hkid", "id_card_name", "id_card_number")
        }
        inputs_hash = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
        findings = cross_check(values)
        risk = _risk(findings)
        output: dict[str, Any] = {"findings": [asdict(f) for f in findings]}
        session.add(
            Review(
                case_id=case_id,
                reviewer=REVIEWER,
                reviewer_version=REVIEWER_VERSION,
                inputs_hash=inputs_hash,
                risk=risk,
                findings=output,
            )
        )
        append_event(
            session,
            actor=f"system:{REVIEWER}",
            action="review.completed",
            case_id=case_id,
            payload={
                "reviewer": REVIEWER,
                "version": REVIEWER_VERSION,
                "inputs_hash": inputs_hash,
                "risk": risk,
                "findings": [f.code for f in findings],
            },
        )
        return risk
