"""Rule files' inline tests run under pytest, and a failing one names its file, line and test."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules" / "food-business-licence" / "eligibility-2026.yaml"

pytest_plugins = ["pytester"]
# the inner run needs none of the browser plugins (they keep per-session state of their own)
ISOLATED = ("-p", "no:cacheprovider", "-p", "no:playwright", "-p", "no:base_url", "-W", "default")


def test_a_broken_expectation_fails_with_file_line_and_name(pytester: pytest.Pytester) -> None:
    pytester.makeconftest((ROOT / "conftest.py").read_text(encoding="utf-8"))
    original = RULES.read_text(encoding="utf-8")
    text = original.replace(  # the first test only
        "expect: {outcome: approve, fee: 5120", "expect: {outcome: refuse, fee: 5120", 1
    )
    assert text != original
    rule_file = pytester.path / "eligibility-2026.yaml"
    rule_file.write_text(text, encoding="utf-8")
    line = next(
        i + 1
        for i, row in enumerate(text.splitlines())
        if "a typical restaurant is approved" in row
    )

    result = pytester.runpytest(*ISOLATED)

    tests = text[text.index("\ntests:\n") :].count("\n  - name: ")
    result.assert_outcomes(passed=tests - 1, failed=1)
    result.stdout.fnmatch_lines(
        [f"*eligibility-2026.yaml:{line}: test 'a typical restaurant is approved': expected*"]
    )


def test_an_invalid_rule_file_is_a_collection_error_naming_the_key(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest((ROOT / "conftest.py").read_text(encoding="utf-8"))
    text = RULES.read_text(encoding="utf-8").replace(
        "outcome_if_failed: refuse", "outcom: refuse", 1
    )
    (pytester.path / "eligibility-2026.yaml").write_text(text, encoding="utf-8")

    result = pytester.runpytest(*ISOLATED)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*rules.0.outcom: unknown key*"])
