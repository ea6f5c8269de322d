"""`permits bench rules`: the numbers it reports come from real runs (kept tiny here)."""

from __future__ import annotations

import json

from cases.catalogue import get_permit_type
from cases.eligibility import evaluate_ruleset
from tests.conftest import Invoke
from tests.factories import FOOD
from tools.bench.rules import bench_ruleset, generated_values


def test_the_bench_rule_set_has_fifteen_rules_with_unique_ids() -> None:
    ruleset = bench_ruleset(get_permit_type(FOOD))
    ids = [rule.id for rule in ruleset.rules]
    assert len(ids) == 15
    assert len(set(ids)) == 15


def test_generated_cases_reach_every_outcome_and_fee_band() -> None:
    ruleset = bench_ruleset(get_permit_type(FOOD))
    evaluations = [evaluate_ruleset(ruleset, v) for v in generated_values(1, 400)]
    assert {e.outcome.value for e in evaluations} == {"approve", "refuse", "refer", "request_info"}
    assert len({e.fee for e in evaluations}) == 9  # eight fee rows, and no fee for the unknown type


def test_bench_command_reports_rates_and_the_impact_run(cli: Invoke) -> None:
    result = cli("bench", "rules", "--json", "--cases", "300", "--stored", "500")
    assert result.exit_code == 0, result.output
    numbers = json.loads(result.stdout)  # progress lines go to stderr
    assert numbers["rules"] == 15
    assert numbers["cases_per_s_compiled"] > 0
    assert numbers["cases_per_s_cold"] > 0
    assert numbers["impact_cases"] == 500
    assert numbers["impact_changed"] > 0  # the draft drops FBL-8, so some cases are approved
    assert numbers["impact_100k_s"] >= 0
