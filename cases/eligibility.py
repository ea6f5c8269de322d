"""Eligibility: evaluate a rule set (zen-engine expressions) against a case's values.

Computed values, then decision tables, then the fee, then the rules (each skipped as "not
applicable" when its ``applies_when`` is false). Expressions and table cells are compiled once and
cached; nothing is evaluated with Python's ``eval``. A rule that cannot be evaluated (a value
missing, a type that does not compare) does not pass or fail silently: it is reported as an error
and sends the case to a person (``refer``). Everything evaluated goes into the trace kept with the
case.

Table cells are evaluated with zen's own unary expressions row by row, not through a JDM decision
(``table_decision``): a decision costs about 0.25 ms per call in its runtime, more than a whole
15-rule case otherwise takes; the JDM graph is kept for validation and checked to agree in tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import zen
from sqlmodel import Session, select

from cases.audit import append_event
from cases.casework import get_case, transition
from cases.catalogue import (
    DecisionTable,
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
    "ComputedResult",
    "Evaluation",
    "RuleResult",
    "TableResult",
    "case_values",
    "check_case_eligibility",
    "clear_compiled",
    "decision_graph",
    "evaluate_ruleset",
    "expression_names",
    "run_inline_test",
    "run_inline_tests",
    "table_decision",
    "typed_value",
    "typed_values",
    "unary_cell",
]

SEVERITY = [Outcome.APPROVE, Outcome.REFER, Outcome.REQUEST_INFO, Outcome.REFUSE]
ACTOR = "system:eligibility"

_IDENTIFIER = re.compile(r"(?<![\w.\"'#$])([a-z_][a-z0-9_]*)\b(?!\s*\()")
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_NEGATION = re.compile(r"^\s*not\s*\((.*)\)\s*$", re.DOTALL)


@dataclass(slots=True)
class RuleResult:
    rule_id: str
    title: str
    legal_reference: str
    passed: bool
    outcome_if_failed: str
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


@dataclass(slots=True)
class TableResult:
    name: str
    description: str
    hit_policy: str
    inputs: dict[str, Any]
    matched_rows: list[dict[str, Any]]
    result: Any
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


def unary_cell(cell: Any) -> str | None:
    """A table cell as a zen unary expression; None for "any" (``-`` or empty).

    A number or boolean means "equals"; ``not("a", "b")`` means "none of these" (zen's own ``not``
    takes a boolean, so the list form is rewritten to ``not($ in [...])``).
    """
    if cell is None or (isinstance(cell, str) and cell.strip() in ("", "-")):
        return None
    if isinstance(cell, bool):
        return f"$ == {'true' if cell else 'false'}"
    if isinstance(cell, int | float):
        return f"$ == {cell}"
    negated = _NEGATION.match(cell)
    if negated:
        return f"not($ in [{negated.group(1)}])"
    return str(cell)


@dataclass(frozen=True)
class _CompiledTable:
    table: DecisionTable
    rows: list[list[tuple[str, Any]]]  # per row: (input name, compiled unary) for non-"any" cells
    broken: dict[int, str]  # row index -> why one of its cells does not compile


def _compile_cell(expression: str) -> Any:
    try:
        return zen.compile_unary_expression(expression)
    except RuntimeError as exc:
        return _zen_error(exc)


_TABLES: dict[int, _CompiledTable] = {}


def _compiled_table(table: DecisionTable) -> _CompiledTable:
    cached = _TABLES.get(id(table))
    if cached is not None and cached.table is table:
        return cached
    rows = [
        [
            (name, _compile_cell(expr))
            for name in table.inputs
            if (expr := unary_cell(row.when.get(name))) is not None
        ]
        for row in table.rows
    ]
    broken = {
        index: f"row {index}, {name}: {unary}"
        for index, cells in enumerate(rows)
        for name, unary in cells
        if isinstance(unary, str)
    }
    compiled = _CompiledTable(table, rows, broken)
    if len(_TABLES) >= 1024:  # tables of drafts and tests come and go; the catalogue's stay few
        _TABLES.clear()
    _TABLES[id(table)] = compiled
    return compiled


def clear_compiled() -> None:
    """Forget every compiled expression and table (the next evaluation compiles afresh)."""
    _compiled.cache_clear()
    expression_names.cache_clear()
    _TABLES.clear()
    _DECISIONS.clear()


def decision_graph(table: DecisionTable) -> str:
    """The table as a JDM decision graph (GoRules JSON: input -> decision table -> output)."""
    inputs = [{"id": f"i{i}", "name": name, "field": name} for i, name in enumerate(table.inputs)]
    outputs = [{"id": f"o{i}", "name": name, "field": name} for i, name in enumerate(table.outputs)]
    rules = []
    for r, row in enumerate(table.rows):
        cells: dict[str, str] = {"_id": f"r{r}"}
        for i, name in enumerate(table.inputs):
            cells[f"i{i}"] = unary_cell(row.when.get(name)) or ""
        for i, name in enumerate(table.outputs):
            cells[f"o{i}"] = json.dumps(row.then.get(name))
        rules.append(cells)
    position = {"x": 0, "y": 0}
    nodes = [
        {"id": "in", "type": "inputNode", "name": "Case", "position": position, "content": {}},
        {
            "id": table.name,
            "type": "decisionTableNode",
            "name": table.name,
            "position": position,
            "content": {
                "hitPolicy": table.hit_policy,
                "inputs": inputs,
                "outputs": outputs,
                "rules": rules,
            },
        },
        {"id": "out", "type": "outputNode", "name": "Result", "position": position, "content": {}},
    ]
    edges = [
        {"id": "e1", "sourceId": "in", "targetId": table.name, "type": "edge"},
        {"id": "e2", "sourceId": table.name, "targetId": "out", "type": "edge"},
    ]
    return json.dumps({"nodes": nodes, "edges": edges})


_DECISIONS: dict[int, tuple[DecisionTable, Any]] = {}


def table_decision(table: DecisionTable) -> Any:
    """The table compiled by zen-engine as a JDM decision (cached), for checks and export."""
    cached = _DECISIONS.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    decision = zen.ZenEngine().create_decision(decision_graph(table))
    _DECISIONS[id(table)] = (table, decision)
    return decision


# --- Evaluation --------------------------------------------------------------------------------


def _zen_error(exc: Exception) -> str:
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        return str(json.loads(first_line).get("source", first_line))
    except (ValueError, AttributeError):
        return first_line


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
        return None, f"value missing: {', '.join(missing)}" if missing else _zen_error(exc)


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
        outcome_if_failed=(Outcome.REFER if error else rule.outcome_if_failed).value,
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
        outcome_if_failed=(Outcome.REFER if error else rule.outcome_if_failed).value,
        reason=None if passed or not explain else _render_reason(rule.reason.en, values),
        values_read=read,
        error=error,
        status="passed" if passed else ("error" if error else "failed"),
        applies_when=rule.applies_when,
    )


def _row_matches(cells: list[tuple[str, Any]], inputs: dict[str, Any]) -> bool:
    for name, unary in cells:
        try:
            if unary.evaluate({"$": inputs[name]}) is not True:
                return False
        except RuntimeError:
            return False  # a cell that cannot compare with the value (text against a range) misses
    return True


def _evaluate_table(table: DecisionTable, values: dict[str, Any]) -> TableResult:
    inputs = {name: values.get(name) for name in table.inputs}
    missing = sorted(name for name, value in inputs.items() if value is None)
    matched: list[dict[str, Any]] = []
    compiled = _compiled_table(table)
    if not missing:
        for index, cells in enumerate(compiled.rows):
            if index in compiled.broken:
                continue
            if _row_matches(cells, inputs):
                row = table.rows[index]
                matched.append({"index": index, "when": dict(row.when), "then": dict(row.then)})
                if table.hit_policy == "first":
                    break
    outputs = [{name: m["then"].get(name) for name in table.outputs} for m in matched]
    result: Any = outputs if table.hit_policy == "collect" else (outputs[0] if outputs else None)
    return TableResult(
        name=table.name,
        description=table.description,
        hit_policy=table.hit_policy,
        inputs=inputs,
        matched_rows=matched,
        result=result,
        error=f"value missing: {', '.join(missing)}" if missing else _broken(compiled),
    )


def _broken(compiled: _CompiledTable) -> str | None:
    if not compiled.broken:
        return None
    return "a cell does not compile (its row never matches): " + "; ".join(compiled.broken.values())


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
        table_result = _evaluate_table(table, context)
        context[table.name] = table_result.result
        tables.append(table_result)
    fee, fee_error = _evaluate_fee(ruleset, context)
    results = [_evaluate_rule(rule, context, explain) for rule in ruleset.rules]
    outcome = max(
        (Outcome(r.outcome_if_failed) for r in results if not r.passed),
        key=SEVERITY.index,
        default=Outcome.APPROVE,
    )
    if fee_error is not None and outcome == Outcome.APPROVE:
        outcome = Outcome.REFER
    return Evaluation(ruleset.version, outcome, results, computed, tables, fee, fee_error)


def run_inline_test(ruleset: Ruleset, test: RuleTest) -> str | None:
    """Run one of a rule set's own tests; None when it passes, else what differed."""
    evaluation = evaluate_ruleset(ruleset, dict(test.input))
    expect = test.expect
    failed_ids = sorted(r.rule_id for r in evaluation.failed)
    expected_ids = sorted(expect.failed_rules)
    differences = []
    if evaluation.outcome != expect.outcome or (expect.failed_rules and failed_ids != expected_ids):
        differences.append(
            f"expected {expect.outcome} failing {expected_ids or 'nothing'}, "
            f"got {evaluation.outcome} failing {failed_ids or 'nothing'}"
        )
    if expect.not_applicable is not None:
        got = sorted(r.rule_id for r in evaluation.not_applicable)
        if got != sorted(expect.not_applicable):
            differences.append(
                f"expected not applicable {sorted(expect.not_applicable) or 'nothing'}, "
                f"got {got or 'nothing'}"
            )
    if expect.fee is not None and (
        evaluation.fee is None
        or evaluation.fee != Decimal(str(expect.fee)).quantize(Decimal("0.01"))
    ):
        got_fee = "no fee" if evaluation.fee is None else f"HK${evaluation.fee}"
        why = f" ({evaluation.fee_error})" if evaluation.fee_error else ""
        differences.append(f"expected fee HK${expect.fee:g}, got {got_fee}{why}")
    return f"test '{test.name}': {'; '.join(differences)}" if differences else None


def run_inline_tests(ruleset: Ruleset) -> list[tuple[str, str]]:
    """Run a rule set's own ``tests:``; return (test name, message) per failing test."""
    results = ((test.name, run_inline_test(ruleset, test)) for test in ruleset.tests)
    return [(name, message) for name, message in results if message is not None]


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
                fee=evaluation.fee,
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
