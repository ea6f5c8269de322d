"""A rule set's own ``tests:`` (OpenFisca style): input values and the outcome they must give.

``permits rules test``, the admin pages and pytest (through the root ``conftest.py``) all run them
with these functions, so the three always agree.
"""

from __future__ import annotations

from decimal import Decimal

from cases.catalogue import Ruleset, RuleTest
from cases.eligibility.engine import evaluate_ruleset

__all__ = ["run_inline_test", "run_inline_tests"]


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
