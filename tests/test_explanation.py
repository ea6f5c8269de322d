"""The eligibility explanation shaped from a stored trace: order, statuses, Chinese, rows, fee."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cases.catalogue import get_permit_type
from cases.eligibility import (
    eligibility_result,
    evaluate_ruleset,
    explain,
    rule_status,
    summarise_rules,
)
from cases.facts import render
from cases.models import EligibilityResult
from tests.factories import FOOD, SMALL_RESTAURANT


def _stored(values: dict[str, Any]) -> EligibilityResult:
    ruleset = get_permit_type(FOOD).rulesets[0]
    evaluation = evaluate_ruleset(ruleset, values)
    return eligibility_result(1, ruleset, evaluation)


def test_failed_rules_come_first_with_their_reason_in_both_languages() -> None:
    explanation = explain(_stored(SMALL_RESTAURANT), get_permit_type(FOOD))
    assert explanation.outcome == "refuse"
    assert [r.rule_id for r in explanation.failures] == ["FBL-1", "FBL-4"]
    assert [r.rule_id for r in explanation.rules[:2]] == ["FBL-1", "FBL-4"]
    first = explanation.rules[0]
    assert first.status == "failed"
    assert first.outcome_if_failed == "refuse"
    assert first.values_read == {"floor_area_m2": 8}
    assert first.expression == "floor_area_m2 >= 10"
    assert first.reason is not None
    assert "floor area of 8 m²" in first.reason.en
    assert first.reason.zh_hant.startswith("處所樓面面積為 8 平方米")
    assert first.title.zh_hant == "最小樓面面積"
    statuses = [r.status for r in explanation.rules]
    assert statuses == sorted(statuses, key=["failed", "passed", "not_applicable"].index)


def test_rules_that_do_not_apply_are_counted_apart_with_their_condition() -> None:
    explanation = explain(_stored(SMALL_RESTAURANT), get_permit_type(FOOD))
    factory_only = next(r for r in explanation.rules if r.rule_id == "FBL-6")
    assert factory_only.status == "not_applicable"
    assert factory_only.applies_when == 'business_type == "Food factory"'
    assert factory_only.reason is None
    counts = explanation.counts
    assert counts["failed"] == 2
    assert counts["not_applicable"] >= 1
    assert sum(counts.values()) == len(explanation.rules)
    assert "error" not in counts  # statuses nobody has are left out


def test_tables_show_the_matched_rows_and_the_fee() -> None:
    explanation = explain(_stored(SMALL_RESTAURANT), get_permit_type(FOOD))
    fee_table = next(t for t in explanation.tables if t.name == "licence_fee")
    assert fee_table.inputs == {"business_type": "Restaurant", "floor_area_m2": 8}
    assert fee_table.row_count == 8
    [row] = fee_table.matched
    assert row.number == 1
    assert row.cells == [("business_type", '"Restaurant"'), ("floor_area_m2", "< 50")]
    assert row.result == [("fee", 3340), ("band", "A")]
    assert fee_table.legal_reference == "Cap. 132X, Sch. 10 (illustrative amounts)"
    conditions = next(t for t in explanation.tables if t.name == "licence_conditions")
    assert conditions.hit_policy == "collect"
    assert [r.number for r in conditions.matched] == [4]
    assert explanation.fee == Decimal("3340.00")
    assert explanation.fee_expression == "licence_fee.fee"
    assert explanation.fee_error is None
    per_seat = next(c for c in explanation.computed if c.name == "area_per_seat")
    assert per_seat.value == 0.2
    assert per_seat.values_read == {"floor_area_m2": 8, "seating_capacity": 40}


def test_a_fee_that_cannot_be_worked_out_says_why() -> None:
    explanation = explain(
        _stored({**SMALL_RESTAURANT, "business_type": "Karaoke"}), get_permit_type(FOOD)
    )
    assert explanation.fee is None
    assert explanation.fee_error is not None
    assert explanation.tables[0].matched == []


def test_a_rule_set_gone_from_the_catalogue_still_explains_itself_in_english() -> None:
    stored = _stored(SMALL_RESTAURANT)
    explanation = explain(stored, None)
    first = explanation.rules[0]
    assert first.title.en == first.title.zh_hant == "Minimum floor area"
    assert first.reason is not None
    assert first.reason.zh_hant == first.reason.en
    assert first.expression is None
    assert explanation.effective_from is None
    assert explanation.tables[0].row_count is None
    assert explanation.tables[0].matched[0].result == [("fee", 3340), ("band", "A")]


def test_older_traces_without_statuses_read_as_passed_or_failed() -> None:
    assert rule_status({"passed": True}) == "passed"
    assert rule_status({"passed": False}) == "failed"
    assert rule_status({"passed": False, "error": "value missing: x"}) == "error"
    assert rule_status({"passed": True, "status": "not_applicable"}) == "not_applicable"


def test_summary_counts_each_status_and_names_what_failed() -> None:
    rules = [
        {"rule_id": "R-1", "status": "passed", "passed": True, "outcome_if_failed": "refuse"},
        {
            "rule_id": "R-2",
            "status": "not_applicable",
            "passed": True,
            "outcome_if_failed": "refer",
        },
        {
            "rule_id": "R-3",
            "status": "failed",
            "passed": False,
            "outcome_if_failed": "request_info",
        },
        {"rule_id": "R-4", "status": "error", "passed": False, "outcome_if_failed": "refer"},
    ]
    assert ", ".join(map(render, summarise_rules(rules))) == (
        "1 passed, 1 not applicable, 1 failed (R-3 request info), "
        "1 could not be evaluated (R-4 refer)"
    )
    assert [render(fact) for fact in summarise_rules(rules[:1])] == ["1 passed"]
