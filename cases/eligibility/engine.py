"""Evaluating a rule set (zen-engine expressions) against a case's values; pure, no database.

Computed values, then decision tables, then the fee, then the rules (each skipped as "not
applicable" when its ``applies_when`` is false). Expressions are compiled once and cached; nothing
is evaluated with Python's ``eval``. A rule that cannot be evaluated (a value missing, a type that
does not compare) does not pass or fail silently: it is reported as an error and sends the case to
a person (``refer``). Everything evaluated goes into the trace kept with the case.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import zen

from cases.catalogue import Rule, Ruleset
from cases.eligibility.tables import (
    TableResult,
    clear_compiled_tables,
    evaluate_table,
    zen_error,
)
from cases.vocabulary import Outcome

__all__ = [
    "ComputedResult",
    "Evaluation",
    "RuleResult",
    "clear_compiled",
    "evaluate_ruleset",
    "expression_names",
]

SEVERITY = [Outcome.APPROVE, Outcome.REFER, Outcome.REQUEST_INFO, Outcome.REFUSE]

_IDENTIFIER = re.compile(r"(?<![\w.\"'#$])([a-z_][a-z0-9_]*)\b(?!\s*\()")
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})


@dataclass(slots=True)
class RuleResult:
    rule_id: str
    title: str
    legal_reference: str
    passed: bool
    outcome_if_failed: Outcome
    reason: str | None
    values_read: dict[str, Any]
    error: str | None = None
    status: str = "passed"  # passed | failed | not_applicable | error
    applies_when: str | None = None


@dataclass(slots=True)
class ComputedResult:
    name: str
    description: str
    expression: str
    value: Any
    values_read: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class Evaluation:
    ruleset_version: str
    outcome: Outcome
    results: list[RuleResult] = field(default_factory=list)
    computed: list[ComputedResult] = field(default_factory=list)
    tables: list[TableResult] = field(default_factory=list)
    fee: Decimal | None = None
    fee_error: str | None = None

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    @property
    def not_applicable(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == "not_applicable"]

    def as_trace(self) -> dict[str, Any]:
        return {
            "ruleset_version": self.ruleset_version,
            "outcome": self.outcome.value,
            "fee": None if self.fee is None else float(self.fee),
            "fee_error": self.fee_error,
            "computed": [asdict(c) for c in self.computed],
            "tables": [asdict(t) for t in self.tables],
            "rules": [asdict(r) for r in self.results],
        }


# --- Compilation (cached) ----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _compiled(expression: str) -> Any:
    return zen.compile_expression(expression)


@lru_cache(maxsize=4096)
def expression_names(expression: str) -> frozenset[str]:
    """The field, computed and table names an expression reads (not functions, not literals)."""
    without_strings = re.sub(r"\"[^\"]*\"|'[^']*'", '""', expression)
    return frozenset(_IDENTIFIER.findall(without_strings)) - _KEYWORDS


def clear_compiled() -> None:
    """Forget every compiled expression and table (the next evaluation compiles afresh)."""
    _compiled.cache_clear()
    expression_names.cache_clear()
    clear_compiled_tables()


# --- Evaluation --------------------------------------------------------------------------------


def _values_read(expression: str, values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in expression_names(expression) if name in values}


def _render_reason(text: str, values: dict[str, Any]) -> str:
    try:
        return str(zen.render_template(text, values))
    except RuntimeError:
        return text


def _run(expression: str, values: dict[str, Any], read: dict[str, Any]) -> tuple[Any, str | None]:
    """Evaluate; on failure name the missing values (or zen's message) instead of a result.

    Only the values the expression reads are passed: zen converts the whole context on every
    call, and that conversion, not the evaluation, is most of the cost.
    """
    try:
        return _compiled(expression).evaluate(read), None
    except RuntimeError as exc:
        missing = sorted(name for name, value in read.items() if value is None)
        return None, f"value missing: {', '.join(missing)}" if missing else zen_error(exc)


def _not_applicable(rule: Rule, values: dict[str, Any]) -> RuleResult | None:
    """The rule's result when its ``applies_when`` is false or cannot be evaluated, else None."""
    if rule.applies_when is None:
        return None
    read = _values_read(rule.applies_when, values)
    applies, error = _run(rule.applies_when, values, read)
    if error is None and not isinstance(applies, bool):
        error = f"applies_when gave {applies!r}, not true/false"
    if error is None and applies:
        return None
    return RuleResult(
        rule_id=rule.id,
        title=rule.title.en,
        legal_reference=rule.legal_reference,
        passed=error is None,
        outcome_if_failed=Outcome.REFER if error else rule.outcome_if_failed,
        reason=None,
        values_read=read,
        error=error,
        status="error" if error else "not_applicable",
        applies_when=rule.applies_when,
    )


def _evaluate_rule(rule: Rule, values: dict[str, Any], explain: bool = True) -> RuleResult:
    skipped = _not_applicable(rule, values)
    if skipped is not None:
        return skipped
    read = _values_read(rule.expression, values)
    result, error = _run(rule.expression, values, read)
    if error is None and not isinstance(result, bool):
        error = f"the expression gave {result!r}, not true/false"
    passed = result is True and error is None
    return RuleResult(
        rule_id=rule.id,
        title=rule.title.en,
        legal_reference=rule.legal_reference,
        passed=passed,
        outcome_if_failed=Outcome.REFER if error else rule.outcome_if_failed,
        reason=None if passed or not explain else _render_reason(rule.reason.en, values),
        values_read=read,
        error=error,
        status="passed" if passed else ("error" if error else "failed"),
        applies_when=rule.applies_when,
    )


def _evaluate_fee(ruleset: Ruleset, values: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    if ruleset.fee is None:
        return None, None
    result, error = _run(ruleset.fee, values, _values_read(ruleset.fee, values))
    if error is not None:
        return None, error
    if isinstance(result, bool) or not isinstance(result, int | float):
        return None, f"the fee expression gave {result!r}, not an amount (did no table row match?)"
    return Decimal(str(result)).quantize(Decimal("0.01")), None


def evaluate_ruleset(
    ruleset: Ruleset, values: dict[str, Any], *, explain: bool = True
) -> Evaluation:
    """Computed values in order, then decision tables, then the fee, then every rule.

    A fee that cannot be worked out does not block a refusal, but an otherwise approvable case
    goes to a person (``refer``) rather than to a letter without a fee. ``explain=False`` skips
    rendering the reasons of failed rules (impact analysis compares outcomes, not wording).
    """
    context = dict(values)
    computed = []
    for item in ruleset.computed:
        read = _values_read(item.expression, context)
        value, error = _run(item.expression, context, read)
        context[item.name] = value
        computed.append(
            ComputedResult(item.name, item.description, item.expression, value, read, error)
        )
    tables = []
    for table in ruleset.tables:
        table_result = evaluate_table(table, context)
        context[table.name] = table_result.result
        tables.append(table_result)
    fee, fee_error = _evaluate_fee(ruleset, context)
    results = [_evaluate_rule(rule, context, explain) for rule in ruleset.rules]
    outcome = max(
        (r.outcome_if_failed for r in results if not r.passed),
        key=SEVERITY.index,
        default=Outcome.APPROVE,
    )
    if fee_error is not None and outcome == Outcome.APPROVE:
        outcome = Outcome.REFER
    return Evaluation(ruleset.version, outcome, results, computed, tables, fee, fee_error)
