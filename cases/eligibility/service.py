"""The eligibility stage: evaluate a case under the rule set in force on its application date.

The case's stored field texts become typed values (numbers as numbers, a checkbox as true/false),
the rule set is evaluated once, and the result with its whole trace is stored with the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlmodel import Session, select

from cases.audit import append_event
from cases.catalogue import FieldType, PermitType, Ruleset, get_permit_type
from cases.db import session_scope
from cases.eligibility.engine import Evaluation, evaluate_ruleset
from cases.lifecycle import CaseStatus, Stage, runs_in
from cases.models import EligibilityResult, ExtractedField
from cases.repository import get_case, transition
from cases.values import parse_integer, parse_number
from cases.vocabulary import Outcome

__all__ = [
    "case_values",
    "check_case_eligibility",
    "eligibility_result",
    "typed_value",
    "typed_values",
]

ACTOR = "system:eligibility"


def typed_value(field_type: FieldType, text: str) -> Any:
    """A stored field's text as the value rules compare: numbers as numbers, a checkbox as
    true/false (None when unanswered), else the text."""
    if field_type in (FieldType.NUMBER, FieldType.MONEY):
        number = parse_number(text)
        return float(number) if number is not None else None
    if field_type == FieldType.INTEGER:
        return parse_integer(text)
    if field_type == FieldType.BOOLEAN:  # stored as "yes" / "no"; rules compare true / false
        return {"yes": True, "no": False}.get(text.strip().lower())
    return text


def typed_values(permit_type: PermitType, texts: Mapping[str, str]) -> dict[str, Any]:
    """Stored field texts as the values rules read (numbers as numbers, missing text as '')."""
    return {
        spec.name: typed_value(spec.type, texts.get(spec.name, ""))
        for spec in permit_type.permit.all_fields
    }


def case_values(session: Session, case_id: int, permit_type: PermitType) -> dict[str, Any]:
    """The case's fields as typed values for the rules (numbers as numbers, missing text as '')."""
    fields = session.exec(select(ExtractedField).where(ExtractedField.case_id == case_id))
    return typed_values(permit_type, {f.name: f.value for f in fields})


def eligibility_result(case_id: int, ruleset: Ruleset, evaluation: Evaluation) -> EligibilityResult:
    """The row that stores a case's evaluation: outcome, fee and the trace that explains them."""
    return EligibilityResult(
        case_id=case_id,
        ruleset_version=ruleset.version,
        outcome=evaluation.outcome,
        fee=evaluation.fee,
        trace=evaluation.as_trace(),
    )


def check_case_eligibility(case_id: int) -> Outcome:
    """Evaluate the case under the rule set in force on its application date (idempotent)."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        existing = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).first()
        if existing is not None or case.status not in runs_in(Stage.ELIGIBILITY):
            return existing.outcome if existing else (case.proposed_outcome or Outcome.REFER)
        permit_type = get_permit_type(case.permit_type)
        application_date = case.application_date or case.submitted_at.date()
        ruleset = permit_type.ruleset_for(application_date)
        evaluation = evaluate_ruleset(ruleset, case_values(session, case_id, permit_type))
        session.add(eligibility_result(case_id, ruleset, evaluation))
        case.ruleset_version = ruleset.version
        case.proposed_outcome = evaluation.outcome
        append_event(
            session,
            actor=ACTOR,
            action="eligibility.evaluated",
            case_id=case_id,
            payload={
                "ruleset": f"{permit_type.id}/{ruleset.version}",
                "application_date": application_date,
                "outcome": evaluation.outcome.value,
                "failed_rules": [r.rule_id for r in evaluation.failed],
                "fee": None if evaluation.fee is None else str(evaluation.fee),
                "engine": f"zen-engine {_zen_version()}",
            },
        )
        transition(
            session,
            case,
            CaseStatus.REVIEWING,
            actor=ACTOR,
            why=f"eligibility evaluated under rule set {ruleset.version}",
        )
        return evaluation.outcome


@lru_cache(maxsize=1)
def _zen_version() -> str:
    from importlib.metadata import version

    return version("zen-engine")
