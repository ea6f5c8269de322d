"""`permits catalogue check`: every admin mistake is reported with its file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import Result
from jinja2.sandbox import SecurityError

from cases.authoring import check_catalogue, check_templates
from cases.catalogue import get_permit_type
from cases.eligibility import evaluate_ruleset
from cases.errors import CatalogueError, CatalogueProblem
from cases.letters import render_letter_html
from cases.settings import PROJECT_ROOT
from cases.vocabulary import Outcome
from tests.catalogues import edit_file as _edit
from tests.conftest import Invoke
from tests.factories import FOOD

SHIPPED_RULES = PROJECT_ROOT / "rules"
SHIPPED_LETTERS = PROJECT_ROOT / "templates" / "letters"


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """A private copy of the shipped catalogue to break; returns its root folder."""
    root = tmp_path / "rules"
    shutil.copytree(SHIPPED_RULES / FOOD, root / FOOD)
    return root


@pytest.fixture
def letters(tmp_path: Path) -> Path:
    root = tmp_path / "letters"
    shutil.copytree(SHIPPED_LETTERS, root)
    return root


def _problems(root: Path) -> list[CatalogueProblem]:
    problems, _summary = check_catalogue(root)
    assert problems, "the broken catalogue was reported as valid"
    return problems


def _matching(problems: list[CatalogueProblem], needle: str) -> list[CatalogueProblem]:
    return [p for p in problems if needle in str(p)]


def _printed(result: Result, needle: str) -> bool:
    """Whether the output holds ``needle``, ignoring where Rich wrapped (even mid-word) the line."""
    return "".join(needle.split()) in "".join(result.output.split())


def test_shipped_catalogue_has_no_problems() -> None:
    problems, summary = check_catalogue()
    assert problems == []
    fields = len(get_permit_type(FOOD).permit.fields)
    assert f"{FOOD}: {fields} fields, 1 rule set(s), 13 rules, 17 inline tests" in summary


def test_copy_of_shipped_catalogue_is_valid(catalogue: Path) -> None:
    problems, summary = check_catalogue(catalogue)
    assert problems == []
    assert len(summary) == 1


def test_misspelt_key_is_reported_with_file_line_and_field(catalogue: Path) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    line = _edit(permit, "    confidence_threshold: 0.5\n", "    confidence_treshold: 0.5\n")
    (problem,) = _problems(catalogue)
    assert problem.file == permit
    assert problem.line == line
    assert problem.field == "fields.0.confidence_treshold"
    assert "unknown key" in problem.message
    assert str(problem).startswith(f"{permit}:{line}: fields.0.confidence_treshold: unknown key")


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "says"),
    [
        (  # a code permit.yaml does not define, with the codes it does
            "eligibility-2026.yaml",
            "{condition: seats_displayed}",
            "{condition: seats_on_display}",
            "tables.1.rows.3.then.condition",
            "'seats_on_display' is not a condition of permit.yaml (its conditions: "
            "consignment_records, crowd_management_plan",
        ),
        (  # a condition the Chinese letter could not print
            "permit.yaml",
            '    zh_hant: "在處所內備存人群管理計劃。"',
            '    zh_hant: ""',
            "conditions.crowd_management_plan.zh_hant",
            "missing translation",
        ),
    ],
)
def test_a_licence_condition_problem_is_reported_with_its_line(
    catalogue: Path, file: str, old: str, new: str, field: str, says: str
) -> None:
    path = catalogue / FOOD / file
    line = _edit(path, old, new)
    (problem,) = _problems(catalogue)
    assert (problem.file, problem.line, problem.field) == (path, line, field)
    assert says in problem.message


def test_usual_range_written_the_wrong_way_round_is_reported_with_its_line(
    catalogue: Path,
) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    line = _edit(permit, "    usual_range: [5, 500]", "    usual_range: [500, 5]")
    (problem,) = _problems(catalogue)
    assert problem.file == permit
    assert "usual_range is [low, high] with low below high" in problem.message
    assert problem.line is not None
    assert abs(problem.line - line) <= 4  # the field's entry, which the line error names


def test_yaml_syntax_error_is_reported_with_its_line(catalogue: Path) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    line = _edit(permit, "reference_prefix: FBL\n", "reference_prefix: FBL: FB\n")
    (problem,) = _problems(catalogue)
    assert problem.file == permit
    assert problem.line == line
    assert "YAML syntax error" in problem.message


def test_missing_required_key_is_reported(catalogue: Path) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    _edit(permit, "retention_years: 7\n", "")
    (problem,) = _problems(catalogue)
    assert problem.file == permit
    assert problem.field == "retention_years"
    assert problem.message == "required key is missing"


def test_rule_expression_syntax_error_names_the_rule(catalogue: Path) -> None:
    rules = catalogue / FOOD / "eligibility-2026.yaml"
    _edit(rules, "expression: floor_area_m2 >= 10", "expression: floor_area_m2 >=")
    (problem,) = [p for p in _problems(catalogue) if "syntax" in p.message]
    assert problem.file == rules
    assert "FBL-1" in problem.field
    assert "expression" in problem.field


def test_rule_reading_an_unknown_field_is_reported(catalogue: Path) -> None:
    rules = catalogue / FOOD / "eligibility-2026.yaml"
    _edit(rules, "expression: floor_area_m2 >= 10", "expression: floor_area >= 10")
    (problem,) = _matching(_problems(catalogue), "unknown field")
    assert problem.file == rules
    assert "FBL-1" in problem.field
    assert "unknown field(s) floor_area;" in problem.message


def test_failing_inline_test_is_reported_by_name(catalogue: Path) -> None:
    rules = catalogue / FOOD / "eligibility-2026.yaml"
    _edit(rules, "expect: {outcome: approve, fee: 5120", "expect: {outcome: refuse, fee: 5120")
    (problem,) = _problems(catalogue)
    assert problem.file == rules
    assert problem.field == "tests"
    assert "test 'a typical restaurant is approved'" in problem.message
    assert "expected refuse" in problem.message
    assert "got approve" in problem.message


def test_form_field_missing_from_permit_is_reported(catalogue: Path) -> None:
    form = catalogue / FOOD / "form.yaml"
    _edit(form, "{field: phone,", "{field: telephone,")
    (problem,) = _problems(catalogue)
    assert problem.file == form
    assert problem.field == "fields.2.field"
    assert "'telephone' is not a field of permit.yaml" in problem.message


def test_unknown_template_field_is_reported_with_file_and_line(letters: Path) -> None:
    approve = letters / FOOD / "approve.en.html.j2"
    line = _edit(approve, "<p>Dear", "<p>{{ fields.no_such_field }}</p>\n<p>Dear")
    (problem,) = check_templates(get_permit_type(FOOD), root=letters)
    assert problem.file == approve
    assert "no_such_field" in problem.message
    assert problem.line == line


def test_template_escaping_the_sandbox_is_refused_not_run(letters: Path) -> None:
    probe = letters / "probe.html.j2"
    probe.write_text("{{ ''.__class__.__mro__ }}", encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        render_letter_html("probe.html.j2", {}, letters)
    assert isinstance(caught.value.__cause__, SecurityError)
    assert caught.value.problems[0].file == probe
    approve = letters / FOOD / "approve.en.html.j2"
    _edit(approve, "<p>Dear", "<p>{{ ''.__class__.__mro__ }}</p>\n<p>Dear")
    (problem,) = check_templates(get_permit_type(FOOD), root=letters)
    assert problem.file == approve
    assert problem.message == "access to attribute '__class__' of 'str' object is unsafe."


def test_missing_template_is_reported(letters: Path) -> None:
    refuse = letters / FOOD / "refuse.en.html.j2"
    refuse.unlink()
    (problem,) = check_templates(get_permit_type(FOOD), root=letters)
    assert problem.file == refuse
    assert "missing" in problem.message


def test_cli_check_of_shipped_catalogue_passes(cli: Invoke) -> None:
    result = cli("catalogue", "check")
    assert result.exit_code == 0, result.output
    assert "catalogue OK" in result.output


def test_cli_check_of_broken_catalogue_prints_file_and_line(catalogue: Path, cli: Invoke) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    line = _edit(permit, "    confidence_threshold: 0.5\n", "    confidence_treshold: 0.5\n")
    result = cli("catalogue", "check", "--folder", str(catalogue))
    assert result.exit_code == 1, result.output
    assert _printed(result, f"{permit}:{line}: fields.0.confidence_treshold: unknown key")
    assert _printed(result, "1 problem(s) found")
    assert not _printed(result, "catalogue OK")


GOOD_VALUES = {
    "floor_area_m2": 60.0,
    "business_type": "Restaurant",
    "hygiene_staff": 1,
    "seating_capacity": 40,
    "fire_certificate_no": "FSD-2026-01234",
}


def test_good_values_are_approved() -> None:
    ruleset = get_permit_type(FOOD).rulesets[0]
    evaluation = evaluate_ruleset(ruleset, dict(GOOD_VALUES))
    assert evaluation.outcome == Outcome.APPROVE
    assert evaluation.failed == []


def test_missing_number_refers_the_case_instead_of_crashing() -> None:
    ruleset = get_permit_type(FOOD).rulesets[0]
    evaluation = evaluate_ruleset(ruleset, {**GOOD_VALUES, "floor_area_m2": None})
    assert evaluation.outcome == Outcome.REFER
    floor_rule = next(r for r in evaluation.results if r.rule_id == "FBL-1")
    assert not floor_rule.passed
    assert floor_rule.outcome_if_failed == "refer"
    assert floor_rule.error
    assert floor_rule.values_read == {"floor_area_m2": None}


def test_a_case_is_pinned_to_the_rule_set_in_force_on_its_application_date(
    catalogue: Path,
) -> None:
    import datetime as dt

    from cases.catalogue import load_permit_type

    current = catalogue / FOOD / "eligibility-2026.yaml"
    text = current.read_text(encoding="utf-8")
    current.write_text(
        text.replace(
            "effective_from: 2026-01-01", "effective_from: 2026-01-01\neffective_to: 2027-01-01"
        ),
        encoding="utf-8",
    )
    (catalogue / FOOD / "eligibility-2027.yaml").write_text(
        text.replace('version: "2026.1"', 'version: "2027.1"').replace(
            "effective_from: 2026-01-01", "effective_from: 2027-01-01"
        ),
        encoding="utf-8",
    )
    permit_type = load_permit_type(catalogue / FOOD)

    assert permit_type.ruleset_for(dt.date(2026, 12, 31)).version == "2026.1"
    assert permit_type.ruleset_for(dt.date(2027, 1, 1)).version == "2027.1"
    with pytest.raises(CatalogueError, match="no rule set is in force on 2025-12-31"):
        permit_type.ruleset_for(dt.date(2025, 12, 31))


def test_an_unknown_letter_languages_value_is_reported_with_file_and_line(catalogue: Path) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    line = _edit(
        permit, "service_level_days:", "letters: {languages: everyone}\nservice_level_days:"
    )
    (problem,) = _problems(catalogue)
    assert problem.file == permit
    assert problem.line == line
    assert problem.field == "letters.languages"
    assert "'applicant' or 'both'" in problem.message


def test_a_permit_type_without_a_chinese_letter_for_an_outcome_is_reported(letters: Path) -> None:
    refuse = letters / FOOD / "refuse.zh-Hant.html.j2"
    refuse.unlink()
    (problem,) = check_templates(get_permit_type(FOOD), root=letters)
    assert problem.file == refuse
    assert problem.message == (
        "the Traditional Chinese (zh-Hant) letter for 'refuse' is missing; every permit type "
        "needs one for each outcome in each official language"
    )
