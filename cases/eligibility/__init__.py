"""Eligibility: the rules engine (zen-engine), the stage that applies it to a case, rule sets'
inline tests, and the explanation a caseworker and an applicant read.
"""

from __future__ import annotations

from cases.eligibility.engine import (
    ComputedResult,
    Evaluation,
    RuleResult,
    clear_compiled,
    evaluate_ruleset,
    expression_names,
)
from cases.eligibility.explanation import Explanation, explain, rule_status, summarise_rules
from cases.eligibility.inline_tests import run_inline_test, run_inline_tests
from cases.eligibility.service import (
    case_values,
    check_case_eligibility,
    eligibility_result,
    typed_value,
    typed_values,
)
from cases.eligibility.tables import TableResult, decision_graph, table_decision, unary_cell

__all__ = [
    "ComputedResult",
    "Evaluation",
    "Explanation",
    "RuleResult",
    "TableResult",
    "case_values",
    "check_case_eligibility",
    "clear_compiled",
    "decision_graph",
    "eligibility_result",
    "evaluate_ruleset",
    "explain",
    "expression_names",
    "rule_status",
    "run_inline_test",
    "run_inline_tests",
    "summarise_rules",
    "table_decision",
    "typed_value",
    "typed_values",
    "unary_cell",
]
