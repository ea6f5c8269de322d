"""Rule files: applies_when, computed values, decision tables and fees, and what the checks catch.

Each check is shown failing on a broken copy of the shipped food licence, with the message and the
line an admin would be sent to.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cases.authoring import check_catalogue
from cases.catalogue import get_permit_type, load_ruleset
from cases.eligibility import (
    decision_graph,
    evaluate_ruleset,
    run_inline_test,
    table_decision,
    typed_values,
)
from cases.errors import CatalogueProblem
from cases.settings import PROJECT_ROOT
from cases.vocabulary import Outcome
from tests.catalogues import edit_file as _edit
from tests.factories import FOOD

RULES = PROJECT_ROOT / "rules"
RESTAURANT = {
    "floor_area_m2": 60,
    "business_type": "Restaurant",
    "hygiene_staff": 1,
    "seating_capacity": 40,
    "fire_certificate_no": "FSD-2026-01234",
}


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(RULES / FOOD, root / FOOD)
    return root


def _only(root: Path, needle: str) -> CatalogueProblem:
    problems, _summary = check_catalogue(root)
    matching = [p for p in problems if needle in p.message]
    assert len(matching) == 1, [str(p) for p in problems]
    return matching[0]


def _food_rules(root: Path) -> Path:
    return root / FOOD / "eligibility-2026.yaml"


# --- Evaluation: applies_when, computed values, tables, fee -------------------------------------


def test_a_rule_that_does_not_apply_is_recorded_as_not_applicable() -> None:
    ruleset = get_permit_type(FOOD).rulesets[0]
    trace = evaluate_ruleset(ruleset, RESTAURANT).as_trace()
    factory_rule = next(r for r in trace["rules"] if r["rule_id"] == "FBL-6")
    assert factory_rule["status"] == "not_applicable"
    assert factory_rule["passed"] is True
    assert factory_rule["applies_when"] == 'business_type == "Food factory"'
    assert factory_rule["values_read"] == {"business_type": "Restaurant"}
    assert trace["outcome"] == "approve"


def test_computed_values_are_in_the_trace_and_read_by_rules() -> None:
    ruleset = get_permit_type(FOOD).rulesets[0]
    crowded = {**RESTAURANT, "floor_area_m2": 20, "seating_capacity": 19}
    evaluation = evaluate_ruleset(ruleset, crowded)
    trace = evaluation.as_trace()
    area = next(c for c in trace["computed"] if c["name"] == "area_per_seat")
    assert area["value"] == pytest.approx(20 / 19)
    assert area["values_read"] == {"floor_area_m2": 20, "seating_capacity": 19}
    assert [r.rule_id for r in evaluation.failed] == ["FBL-4"]
    assert evaluation.failed[0].values_read == {"area_per_seat": pytest.approx(20 / 19)}


def test_fee_comes_from_the_first_matching_row_and_conditions_collect() -> None:
    ruleset = get_permit_type(FOOD).rulesets[0]
    evaluation = evaluate_ruleset(ruleset, {**RESTAURANT, "floor_area_m2": 200, "hygiene_staff": 2})
    assert evaluation.fee == Decimal("9870.00")
    fee_table, conditions = evaluation.as_trace()["tables"]
    assert fee_table["matched_rows"] == [
        {
            "index": 2,
            "when": {"business_type": '"Restaurant"', "floor_area_m2": ">= 150"},
            "then": {"fee": 9870, "band": "C"},
        }
    ]
    assert [row["index"] for row in conditions["matched_rows"]] == [1, 3]
    assert [c["condition"] for c in conditions["result"]] == [  # codes of permit.yaml
        "hygiene_manager_every_shift",
        "seats_displayed",
    ]


def test_no_fee_row_matching_sends_an_approvable_case_to_a_person(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    _edit(
        path,
        'floor_area_m2: "[50..150)"}, then: {fee: 5120',
        'floor_area_m2: "[55..150)"}, then: {fee: 5120',
    )
    evaluation = evaluate_ruleset(load_ruleset(path), {**RESTAURANT, "floor_area_m2": 52})
    assert evaluation.outcome == Outcome.REFER
    assert evaluation.fee is None
    assert "not an amount" in (evaluation.fee_error or "")


def test_the_jdm_decision_graph_agrees_with_the_fast_evaluation() -> None:
    """Each table compiled by zen-engine as a JDM graph matches the same rows on every test."""
    ruleset = get_permit_type(FOOD).rulesets[0]
    for test in ruleset.tests:
        if test.input.get("floor_area_m2") is None:
            continue
        evaluation = evaluate_ruleset(ruleset, dict(test.input))
        context = {**test.input, **{c.name: c.value for c in evaluation.computed}}
        for table, result in zip(ruleset.tables, evaluation.tables, strict=True):
            response = table_decision(table).evaluate(
                json.loads(json.dumps(context)), {"trace": True}
            )
            expected = result.result if result.result is not None else {}
            assert response["result"] == expected, (test.name, table.name)


def test_an_inline_test_can_expect_the_fee(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    _edit(path, "expect: {outcome: approve, fee: 2460}", "expect: {outcome: approve, fee: 2500}")
    ruleset = load_ruleset(path)
    test = next(t for t in ruleset.tests if t.expect.fee == 2500)
    assert run_inline_test(ruleset, test) == (
        "test 'a small light refreshment shop pays the band A fee': "
        "expected fee HK$2500, got HK$2460.00"
    )


# --- Checks -------------------------------------------------------------------------------------


def test_unknown_field_in_applies_when_is_reported_with_its_line(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    line = _edit(path, "applies_when: large_premises", "applies_when: large_premisses")
    problem = _only(catalogue, "unknown field")
    assert (problem.file, problem.line) == (path, line)
    assert problem.field == "rules.7.applies_when (FBL-8)"
    assert problem.message.startswith("unknown field(s) large_premisses;")


def test_unknown_field_in_a_computed_value_and_a_table_input(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    line = _edit(path, "expression: floor_area_m2 >= 150", "expression: floor_area >= 150")
    problem = _only(catalogue, "unknown field(s) floor_area;")
    assert (problem.line, problem.field) == (line, "computed.1.expression (large_premises)")

    line = _edit(path, "seating_capacity, large_premises]", "seating_capacity, big_premises]")
    _edit(path, "{large_premises: true}", "{big_premises: true}")
    problems, _ = check_catalogue(catalogue)
    (problem,) = [p for p in problems if "inputs must be" in p.message]
    assert (problem.line, problem.field, problem.message) == (
        line,
        "tables.1 (licence_conditions)",
        "unknown field(s) big_premises; inputs must be fields or computed values",
    )


def test_a_number_field_compared_with_text_is_a_type_mismatch(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    line = _edit(path, "expression: floor_area_m2 >= 10", 'expression: floor_area_m2 >= "10"')
    problem = _only(catalogue, "type mismatch")
    assert (problem.file, problem.line, problem.field) == (path, line, "rules.0.expression (FBL-1)")
    assert problem.message == (
        "type mismatch: floor_area_m2 is a number but is compared with text (drop the quotes)"
    )


def test_a_text_field_compared_with_a_number_is_a_type_mismatch(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    line = _edit(
        path,
        "expression: business_type in [",
        "expression: business_type != 3 and business_type in [",
    )
    problem = _only(catalogue, "type mismatch")
    assert (problem.line, problem.field) == (line, "rules.1.expression (FBL-2)")
    assert problem.message == "type mismatch: business_type is text but is compared with a number"


def test_a_range_in_a_text_column_is_a_type_mismatch(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    line = _edit(
        path,
        '{business_type: \'"Food factory"\', floor_area_m2: "< 100"}',
        '{business_type: "< 100", floor_area_m2: "< 100"}',
    )
    problem = _only(catalogue, "type mismatch")
    assert (problem.line, problem.field) == (line, "tables.0 (licence_fee) rows.6.business_type")
    assert "business_type is a text column but the cell is a number or range" in problem.message


def test_a_table_cell_with_a_syntax_error_names_row_and_input(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    line = _edit(path, '"[50..150)"}, then: {fee: 5120', '"[50..150"}, then: {fee: 5120')
    problem = _only(catalogue, "syntax")
    assert (problem.line, problem.field) == (line, "tables.0 (licence_fee) rows.1.floor_area_m2")


def test_a_row_shadowed_by_an_earlier_row_can_never_match(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    first = _edit(
        path,
        'floor_area_m2: "< 50"}, then: {fee: 3340',
        'floor_area_m2: "< 200"}, then: {fee: 3340',
    )
    problems, _ = check_catalogue(catalogue)
    shadowed = [p for p in problems if "can never match" in p.message]
    assert [p.field for p in shadowed] == ["tables.0 (licence_fee) rows.1"]
    assert shadowed[0].message == (
        f"can never match: row 0 (line {first}) comes first and matches all its cases"
    )
    overlaps = [p for p in problems if p.message.startswith("overlaps")]
    assert [p.field for p in overlaps] == ["tables.0 (licence_fee) rows.2"]


def test_an_empty_range_can_never_match(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    line = _edit(path, '"[50..150)"}, then: {fee: 5120', '"[150..50)"}, then: {fee: 5120')
    problem = _only(catalogue, "can never match")
    assert problem.line == line
    assert problem.message == "can never match: the range for floor_area_m2 is empty"


def test_overlapping_rows_under_hit_policy_first_are_reported(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    first = _edit(
        path, 'floor_area_m2: "< 50"}, then: {fee: 3340', 'floor_area_m2: "< 60"}, then: {fee: 3340'
    )
    problem = _only(catalogue, "overlaps")
    assert problem.field == "tables.0 (licence_fee) rows.1"
    assert problem.line == first + 1
    assert problem.message.startswith(f"overlaps row 0 (line {first}): with hit policy first")


def test_overlapping_rows_with_the_same_outputs_are_accepted(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    _edit(
        path,
        'floor_area_m2: "< 50"}, then: {fee: 3340, band: A}',
        'floor_area_m2: "< 60"}, then: {fee: 5120, band: B}',
    )
    problems, _ = check_catalogue(catalogue)
    assert [p for p in problems if "overlaps" in p.message] == []


def test_overlapping_rows_are_fine_under_hit_policy_collect(catalogue: Path) -> None:
    problems, _ = check_catalogue(catalogue)
    assert problems == []  # licence_conditions rows overlap on purpose: each adds a condition


def _second_version(root: Path, effective_from: str) -> Path:
    text = _food_rules(root).read_text(encoding="utf-8")
    path = root / FOOD / "eligibility-2027.yaml"
    path.write_text(
        text.replace('version: "2026.1"', 'version: "2027.1"').replace(
            "effective_from: 2026-01-01", f"effective_from: {effective_from}"
        ),
        encoding="utf-8",
    )
    return path


def test_a_version_without_an_end_overlapping_the_next_is_reported(catalogue: Path) -> None:
    later = _second_version(catalogue, "2027-01-01")
    problem = _only(catalogue, "versions overlap")
    assert problem.file == later
    lines = later.read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1] == "effective_from: 2027-01-01"
    assert problem.message == (
        "versions overlap: 2026.1 is in force with no end, but 2027.1 starts on 2027-01-01; "
        "set 2026.1's effective_to to 2027-01-01"
    )


def test_a_gap_between_versions_is_reported(catalogue: Path) -> None:
    _edit(
        _food_rules(catalogue),
        "effective_from: 2026-01-01\n",
        "effective_from: 2026-01-01\neffective_to: 2027-01-01\n",
    )
    later = _second_version(catalogue, "2027-03-01")
    problem = _only(catalogue, "gap between versions")
    assert problem.file == later
    assert problem.message == (
        "gap between versions: no rule set is in force from 2027-01-01 to 2027-02-28 "
        "(2026.1 ends on 2027-01-01, 2027.1 starts on 2027-03-01)"
    )


def test_adjoining_versions_are_accepted(catalogue: Path) -> None:
    _edit(
        _food_rules(catalogue),
        "effective_from: 2026-01-01\n",
        "effective_from: 2026-01-01\neffective_to: 2027-01-01\n",
    )
    _second_version(catalogue, "2027-01-01")
    problems, summary = check_catalogue(catalogue)
    assert problems == []
    assert "2 rule set(s)" in summary[0]


def test_an_empty_translation_is_reported_with_its_line(catalogue: Path) -> None:
    path = _food_rules(catalogue)
    line = _edit(path, "zh_hant: 最小樓面面積}", 'zh_hant: ""}')
    problem = _only(catalogue, "missing translation")
    assert (problem.file, problem.line, problem.field) == (path, line, "rules.0.title.zh_hant")
    assert problem.message == "missing translation: the Traditional Chinese text is empty"


def test_an_empty_label_in_permit_yaml_is_reported(catalogue: Path) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    line = _edit(permit, "label: {en: Contact telephone,", 'label: {en: " ",')
    problem = _only(catalogue, "missing translation")
    assert (problem.file, problem.line, problem.field) == (permit, line, "fields.2.label.en")
    assert problem.message == "missing translation: the English text is empty"


@pytest.fixture
def liquor(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(RULES / "liquor-licence", root / "liquor-licence")
    return root


def test_a_checkbox_compared_with_text_is_a_type_mismatch(liquor: Path) -> None:
    path = liquor / "liquor-licence" / "eligibility-2026.yaml"
    line = _edit(
        path, "expression: liquor_conviction == false", 'expression: liquor_conviction == "no"'
    )
    problem = _only(liquor, "type mismatch")
    assert (problem.line, problem.field) == (line, "rules.4.expression (LQL-5)")
    assert problem.message == (
        "type mismatch: liquor_conviction is a checkbox (true or false) but is compared with text"
    )


def test_a_text_cell_in_a_checkbox_column_is_a_type_mismatch(liquor: Path) -> None:
    path = liquor / "liquor-licence" / "eligibility-2026.yaml"
    line = _edit(
        path, "{when: {residential_building: true}", "{when: {residential_building: '\"yes\"'}"
    )
    problem = _only(liquor, "type mismatch")
    assert (problem.line, problem.field) == (
        line,
        "tables.1 (licence_conditions) rows.1.residential_building",
    )
    assert "is a checkbox column: write true or false" in problem.message


def test_a_ticked_checkbox_is_true_for_the_rules() -> None:
    permit_type = get_permit_type("liquor-licence")
    values = typed_values(
        permit_type,
        {"residential_building": "yes", "liquor_conviction": "no", "premises_type": "Bar"},
    )
    assert (values["residential_building"], values["liquor_conviction"]) == (True, False)
    assert typed_values(permit_type, {})["liquor_conviction"] is None


def test_not_in_a_table_cell_matches_everything_but_the_listed_texts() -> None:
    ruleset = get_permit_type(FOOD).rulesets[0]
    conditions = ruleset.tables[1]
    for business_type, matched in (("Restaurant", True), ("Food factory", False)):
        result = evaluate_ruleset(
            ruleset, {**RESTAURANT, "business_type": business_type, "seating_capacity": 10}
        )
        rows = [m["index"] for m in result.tables[1].matched_rows]
        assert (3 in rows) is matched, (business_type, conditions.rows[3].when)


# --- A table drawn in the GoRules editor (JDM) ---------------------------------------------------


def _table_from_editor(root: Path) -> tuple[Path, dict[str, Any]]:
    """Replace licence_fee by ``jdm: licence_fee.json``, the editor's export of the same table."""
    path = _food_rules(root)
    original = load_ruleset(path).tables[0]
    graph = json.loads(decision_graph(original))
    (path.parent / "licence_fee.json").write_text(json.dumps(graph, indent=2), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  - name: licence_fee\n"), text.index("  - name: licence_conditions\n")
    block = (
        "  - name: licence_fee\n"
        "    description: Annual licence fee in HK$, drawn in the GoRules editor.\n"
        "    jdm: licence_fee.json\n"
    )
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    return path, graph


def test_a_table_from_a_jdm_file_behaves_like_the_yaml_one(catalogue: Path) -> None:
    shipped = get_permit_type(FOOD).rulesets[0].tables[0]
    path, _graph = _table_from_editor(catalogue)
    imported = load_ruleset(path).tables[0]
    assert imported.source == "licence_fee.json"
    assert (imported.hit_policy, imported.inputs, imported.outputs) == (
        "first",
        ["business_type", "floor_area_m2"],
        ["fee", "band"],
    )
    assert imported.rows == shipped.rows
    problems, _summary = check_catalogue(catalogue)
    assert problems == []  # every inline test, fees included, still passes


def test_a_jdm_output_that_is_an_expression_is_reported(catalogue: Path) -> None:
    path, graph = _table_from_editor(catalogue)
    table = next(n for n in graph["nodes"] if n["type"] == "decisionTableNode")
    table["content"]["rules"][1]["o0"] = "5000 + 120"
    jdm = path.parent / "licence_fee.json"
    jdm.write_text(json.dumps(graph), encoding="utf-8")
    problems, _summary = check_catalogue(catalogue)
    (problem,) = problems
    assert (problem.file, problem.field) == (jdm, "rules.1.fee")
    assert (
        problem.message == "output '5000 + 120' is an expression; only literal values are imported"
    )
