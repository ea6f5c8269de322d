"""The review stage: run the reviewers over a case once, store what they found, never decide.

Each review stores the reviewer's name and version and a hash of its inputs, so anyone can later
see what the machine said and why; the risk level only orders the inbox and informs the person
who decides.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import select

from cases.audit import append_event
from cases.db import session_scope
from cases.lifecycle import CaseStatus, Stage, runs_in
from cases.models import ExtractedField, Review
from cases.repository import get_case, transition
from cases.review.consistency import REVIEWER, REVIEWER_VERSION, Finding, cross_check
from cases.vocabulary import Risk, Severity

__all__ = ["review_case", "risk_of"]


def risk_of(findings: list[Finding]) -> Risk:
    """The review's risk: that of its most severe finding (low when there is none)."""
    severities = {f.severity for f in findings}
    if Severity.HIGH in severities:
        return Risk.HIGH
    return Risk.MEDIUM if Severity.WARNING in severities else Risk.LOW


def review_case(case_id: int) -> Risk | None:
    """Review the case once (idempotent); return the risk level (None: not reviewed yet)."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        existing = session.exec(select(Review).where(Review.case_id == case_id)).first()
        if existing is not None or case.status not in runs_in(Stage.REVIEW):
            return existing.risk if existing else None
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
        risk = risk_of(findings)
        output: dict[str, Any] = {"findings": [f.as_json() for f in findings]}
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
                "risk": risk.value,
                "findings": [f.code for f in findings],
            },
        )
        transition(
            session,
            case,
            CaseStatus.REVIEWED,
            actor=f"system:{REVIEWER}",
            why=f"reviewed: risk {risk}",
        )
        return risk
