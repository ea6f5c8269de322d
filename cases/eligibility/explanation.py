"""A case's eligibility result explained for a person: every rule, value, table row and the fee.

The trace stored with the case (``cases.eligibility``) is the record of what was evaluated; this
module shapes it for the case page without re-evaluating anything: failed rules first, rules that
did not apply apart (with the condition that left them out), the computed values, each decision
table's matched rows, the fee and the rule set's version. Titles and reasons come in English and
Traditional Chinese: the trace keeps the English, and the Chinese is taken from the rule set in
the catalogue (a reason rendered with the values the trace recorded). A rule set that has left the
catalogue still explains itself, in English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import zen

from cases.catalogue import CONDITION_OUTPUT, DecisionTable, PermitType, Rule, Ruleset, Text
from cases.facts import Fact, Message
from cases.models import EligibilityResult
from cases.vocabulary import Outcome

__all__ = [
    "RULE_STATUSES",
    "ComputedLine",
    "Explanation",
    "MatchedRow",
    "RuleLine",
    "TableLine",
    "explain",
    "rule_status",
    "summarise_rules",
]

# The order the page lists rules in: what stops or holds up the case first.
RULE_STATUSES = ("error", "failed", "passed", "not_applicable")
_PLACEHOLDER = re.compile(r"{{\s*([A-Za-z_][\w.]*)\s*}}")


@dataclass(frozen=True)
class RuleLine:
    rule_id: str
    title: Text
    status: str  # one of RULE_STATUSES
    outcome_if_failed: Outcome
    reason: Text | None  # why it failed, in both languages
    error: str | None  # why it could not be evaluated
    legal_reference: str
    values_read: dict[str, Any]
    applies_when: str | None
    expression: str | None  # what must hold for the rule to pass (None: rule set not in catalogue)

    @property
    def stops_approval(self) -> bool:
        return self.status in ("error", "failed")


@dataclass(frozen=True)
class ComputedLine:
    name: str
    description: str
    expression: str
    value: Any
    values_read: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class MatchedRow:
    number: int  # counted from 1, as the rule file lists the rows
    cells: list[tuple[str, str]]  # (input, the row's test as written; "-" for any value)
    result: list[tuple[str, Any]]  # (output, value)


@dataclass(frozen=True)
class TableLine:
    name: str
    description: str
    legal_reference: str | None
    hit_policy: str  # "first": the first matching row; "collect": every matching row
    inputs: dict[str, Any]  # the values looked up
    row_count: int | None  # rows in the table (None when the rule set left the catalogue)
    matched: list[MatchedRow]
    error: str | None


@dataclass(frozen=True)
class Explanation:
    ruleset_version: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    outcome: Outcome
    fee: Decimal | None
    fee_expression: str | None
    fee_error: str | None
    computed: list[ComputedLine]
    tables: list[TableLine]
    rules: list[RuleLine]  # errors and failures first, then passed, then not applicable
    counts: dict[str, int]  # rule status -> how many, in RULE_STATUSES order, zeros left out

    @property
    def failures(self) -> list[RuleLine]:
        return [r for r in self.rules if r.stops_approval]


def rule_status(rule: Mapping[str, Any]) -> str:
    """A traced rule's status; traces from before statuses were recorded only say passed or not."""
    status = rule.get("status")
    if status in RULE_STATUSES:
        return str(status)
    if rule.get("passed"):
        return "passed"
    return "error" if rule.get("error") else "failed"


RULES_PASSED = Message("rules_passed", "%(n)d passed")
RULES_NOT_APPLICABLE = Message("rules_not_applicable", "%(n)d not applicable")
RULE_OUTCOME = Message("rule_outcome", "%(rule)s %(outcome)s", terms=frozenset({"outcome"}))
RULES_FAILED = Message("rules_failed", "%(n)d failed (%(rules)s)", facts=frozenset({"rules"}))
RULES_IN_ERROR = Message(
    "rules_in_error", "%(n)d could not be evaluated (%(rules)s)", facts=frozenset({"rules"})
)


def summarise_rules(rules: Iterable[Mapping[str, Any]]) -> list[Fact]:
    """The rules' results in a line, as facts: ``9 passed, 2 not applicable, 1 failed (FBL-7
    refer)`` in English."""
    by_status: dict[str, list[Mapping[str, Any]]] = {status: [] for status in RULE_STATUSES}
    for rule in rules:
        by_status[rule_status(rule)].append(rule)
    parts = [RULES_PASSED(n=len(by_status["passed"]))]
    if by_status["not_applicable"]:
        parts.append(RULES_NOT_APPLICABLE(n=len(by_status["not_applicable"])))
    for status, message in (("failed", RULES_FAILED), ("error", RULES_IN_ERROR)):
        if by_status[status]:
            named = [
                RULE_OUTCOME(rule=r["rule_id"], outcome=str(r["outcome_if_failed"]))
                for r in by_status[status]
            ]
            parts.append(message(n=len(named), rules=named))
    return parts


def _ruleset(permit_type: PermitType | None, version: str) -> Ruleset | None:
    if permit_type is None:
        return None
    return next((r for r in permit_type.rulesets if r.version == version), None)


def _known_values(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Every value the evaluation recorded, by name: what a reason text may quote."""
    values: dict[str, Any] = {}
    for item in trace.get("computed", []):
        values.update(item.get("values_read") or {})
    for table in trace.get("tables", []):
        values.update(table.get("inputs") or {})
    for rule in trace.get("rules", []):
        values.update(rule.get("values_read") or {})
    for item in trace.get("computed", []):
        values[item["name"]] = item.get("value")
    for table in trace.get("tables", []):
        values[table["name"]] = table.get("result")
    return values


def _render(template: str, values: Mapping[str, Any]) -> str | None:
    """The reason text with the recorded values; None when it quotes a value not recorded."""
    names = {name.split(".")[0] for name in _PLACEHOLDER.findall(template)}
    if not names <= values.keys():
        return None
    try:
        return str(zen.render_template(template, dict(values)))
    except RuntimeError:
        return None


def _rule_line(traced: Mapping[str, Any], rule: Rule | None, values: Mapping[str, Any]) -> RuleLine:
    status = rule_status(traced)
    english = traced.get("reason")
    reason = None
    if status == "failed" and english:
        chinese = _render(rule.reason.zh_hant, values) if rule else None
        reason = Text(en=english, zh_hant=chinese or english)
    title_en = str(traced.get("title") or (rule.title.en if rule else traced["rule_id"]))
    return RuleLine(
        rule_id=traced["rule_id"],
        title=rule.title if rule else Text(en=title_en, zh_hant=title_en),
        status=status,
        outcome_if_failed=Outcome(traced.get("outcome_if_failed") or Outcome.REFER),
        reason=reason,
        error=traced.get("error"),
        legal_reference=str(
            traced.get("legal_reference") or (rule.legal_reference if rule else "")
        ),
        values_read=dict(traced.get("values_read") or {}),
        applies_when=traced.get("applies_when") or (rule.applies_when if rule else None),
        expression=rule.expression if rule else None,
    )


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table_line(
    traced: Mapping[str, Any], table: DecisionTable | None, conditions: Mapping[str, Text]
) -> TableLine:
    inputs = dict(traced.get("inputs") or {})
    outputs = table.outputs if table else None

    def shown(name: str, value: Any) -> Any:
        """A condition code as the permit's words for it (in both languages)."""
        if name == CONDITION_OUTPUT and isinstance(value, str):
            return conditions.get(value, value)
        return value

    matched = []
    for row in traced.get("matched_rows", []):
        when, then = row.get("when") or {}, row.get("then") or {}
        matched.append(
            MatchedRow(
                number=int(row.get("index", 0)) + 1,
                cells=[(name, _cell(when.get(name))) for name in inputs],
                result=[(name, shown(name, then.get(name))) for name in (outputs or list(then))],
            )
        )
    return TableLine(
        name=traced["name"],
        description=str(traced.get("description", "")),
        legal_reference=table.legal_reference if table else None,
        hit_policy=str(traced.get("hit_policy", "first")),
        inputs=inputs,
        row_count=len(table.rows) if table else None,
        matched=matched,
        error=traced.get("error"),
    )


def explain(result: EligibilityResult, permit_type: PermitType | None) -> Explanation:
    """The stored result, shaped for the case page (nothing is evaluated again)."""
    trace = result.trace
    version = str(trace.get("ruleset_version") or result.ruleset_version)
    ruleset = _ruleset(permit_type, version)
    rules_by_id = {r.id: r for r in ruleset.rules} if ruleset else {}
    tables_by_name = {t.name: t for t in ruleset.tables} if ruleset else {}
    conditions = permit_type.permit.conditions if permit_type else {}
    values = _known_values(trace)
    lines = [_rule_line(r, rules_by_id.get(r["rule_id"]), values) for r in trace.get("rules", [])]
    lines.sort(key=lambda line: RULE_STATUSES.index(line.status))  # stable: file order within
    counts = Counter(line.status for line in lines)
    fee = result.fee if result.fee is not None else trace.get("fee")
    return Explanation(
        ruleset_version=version,
        effective_from=ruleset.effective_from if ruleset else None,
        effective_to=ruleset.effective_to if ruleset else None,
        outcome=Outcome(trace.get("outcome") or result.outcome),
        fee=None if fee is None else Decimal(str(fee)).quantize(Decimal("0.01")),
        fee_expression=ruleset.fee if ruleset else None,
        fee_error=trace.get("fee_error"),
        computed=[
            ComputedLine(
                name=c["name"],
                description=str(c.get("description", "")),
                expression=str(c.get("expression", "")),
                value=c.get("value"),
                values_read=dict(c.get("values_read") or {}),
                error=c.get("error"),
            )
            for c in trace.get("computed", [])
        ],
        tables=[
            _table_line(t, tables_by_name.get(t["name"]), conditions)
            for t in trace.get("tables", [])
        ],
        rules=lines,
        counts={status: counts[status] for status in RULE_STATUSES if counts[status]},
    )
