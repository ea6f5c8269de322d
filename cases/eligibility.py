"""Eligibility: evaluate a rule set (zen-engine expressions) against a case's values.

Expressions are compiled once per rule set and cached; nothing is evaluated with Python's ``eval``.
A rule that cannot be evaluated (a value missing, a type that does not compare) does not pass or
fail silently: it is reported as an error and sends the case to a person (``refer``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import zen
from sqlmodel import Session, select

from cases.audit import append_event
from cases.casework import get_case, transition
from cases.catalogue import (
    FieldType,
    Outcome,
    PermitType,
    Rule,
    Ruleset,
    RuleTest,
    get_permit_type,
)
from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import EligibilityResult, ExtractedField
from cases.validators import parse_integer, parse_number

__all__ = [
    "Evaluation",
    "RuleResult",
    "case_values",
    "check_case_eligibility",
    "evaluate_ruleset",
    "run_inline_test",
    "run_inline_tests",
    "typed_value",
]

SEVERITY = [Outcome.APPROVE, Outcome.REFER, Outcome.REQUEST_INFO, Outcome.REFUSE]
ACTOR = "system:eligibility"


@dataclass(frozen=True)
class RuleResult:
    rule_id: str
    title: str
    legal_reference: str
    passed: bool
    outcome_if_failed: str
    reason: str | None
    values_read: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class Evaluation:
    ruleset_version: str
    outcome: Outcome
    results: list[RuleResult] = field(default_factory=list)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    def as_trace(self) -> dict[str, Any]:
        return {
            "ruleset_version": self.ruleset_version,
            "outcome": self.outcome.value,
            "rules": [asdict(r) for r in self.results],
        }


@lru_cache(maxsize=4096)
def _compiled(expression: str) -> Any:
    return zen.compile_expression(expression)


def _zen_error(exc: Exception) -> str:
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        return str(json.loads(first_line).get("source", first_line))
    except (ValueError, AttributeError):
        return first_line


def _values_read(rule: Rule, values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in values if name in rule.expression}


def _render_reason(text: str, values: dict[str, Any]) -> str:
    try:
        return str(zen.render_template(text, values))
    except RuntimeError:
        return text


def _evaluate_rule(rule: Rule, values: dict[str, Any]) -> RuleResult:
    read = _values_read(rule, values)
    try:
        result = _compiled(rule.expression).evaluate(values)
        error = (
            None if isinstance(result, bool) else f"the expression gave {result!r}, not true/false"
        )
    except RuntimeError as exc:
        missing = sorted(name for name, value in read.items() if value is None)
        result = False
        error = f"value missing: {', '.join(missing)}" if missing else _zen_error(exc)
    passed = result is True and error is None
    return RuleResult(
        rule_id=rule.id,
        title=rule.title.en,
        legal_reference=rule.legal_reference,
        passed=passed,
        outcome_if_failed=(Outcome.REFER if error else rule.outcome_if_failed).value,
        reason=None if passed else _render_reason(rule.reason.en, values),
        values_read=read,
        error=error,
    )


def evaluate_ruleset(ruleset: Ruleset, values: dict[str, Any]) -> Evaluation:
    results = [_evaluate_rule(rule, values) for rule in ruleset.rules]
    outcome = max(
        (Outcome(r.outcome_if_failed) for r in results if not r.passed),
        key=SEVERITY.index,
        default=Outcome.APPROVE,
    )
    return Evaluation(ruleset.version, outcome, results)


def run_inline_test(ruleset: Ruleset, test: RuleTest) -> str | None:
    """Run one of a rule set's own tests; None when it passes, else what differed."""
    evaluation = evaluate_ruleset(ruleset, dict(test.input))
    failed_ids = sorted(r.rule_id for r in evaluation.failed)
    expected_ids = sorted(test.expect.failed_rules)
    if evaluation.outcome == test.expect.outcome and (
        not test.expect.failed_rules or failed_ids == expected_ids
    ):
        return None
    return (
        f"test '{test.name}': expected {test.expect.outcome} failing "
        f"{expected_ids or 'nothing'}, got {evaluation.outcome} failing {failed_ids or 'nothing'}"
    )


def run_inline_tests(ruleset: Ruleset) -> list[tuple[str, str]]:
    """Run a rule set's own ``tests:``; return (test name, message) per failing test."""
    results = ((test.name, run_inline_test(ruleset, test)) for test in ruleset.tests)
    return [(name, message) for name, message in results if message is not None]


def typed_value(field_type: FieldType, text: str) -> Any:
    """A stored field's text as the value rules compare: numbers as numbers, else the text."""
    if field_type in (FieldType.NUMBER, FieldType.MONEY):
        number = parse_number(text)
        return float(number) if number is not None else None
    if field_type == FieldType.INTEGER:
        return parse_integer(text)
    return text


def case_values(session: Session, case_id: int, permit_type: PermitType) -> dict[str, Any]:
    """The case's fields as typed values for the rules (numbers as numbers, missing text as '')."""
    fields = {
        f.name: f
        for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case_id))
    }
    values: dict[str, Any] = {}
    for spec in permit_type.permit.fields:
        extracted = fields.get(spec.name)
        values[spec.name] = typed_value(spec.type, extracted.value if extracted else "")
    return values


def check_case_eligibility(case_id: int) -> Outcome:
    """Evaluate the case under the rule set in force on its application date (idempotent)."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        existing = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).first()
        if existing is not None or case.status != CaseStatus.CHECKING:
            return (
                Outcome(existing.outcome) if existing else Outcome(case.proposed_outcome or "refer")
            )
        permit_type = get_permit_type(case.permit_type)
        application_date = case.application_date or case.submitted_at.date()
        ruleset = permit_type.ruleset_for(application_date)
        evaluation = evaluate_ruleset(ruleset, case_values(session, case_id, permit_type))
        session.add(
            EligibilityResult(
                case_id=case_id,
                ruleset_version=ruleset.version,
                outcome=evaluation.outcome.value,
                trace=evaluation.as_trace(),
            )
        )
        case.ruleset_version = ruleset.version
        case.proposed_outcome = evaluation.outcome.value
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
