"""permit.yaml's ``review:`` block: which reviewers run, their settings and the risk table, checked
with file and line like the rest of the catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cases.authoring import check_catalogue
from cases.catalogue import ReviewPolicy, get_permit_type
from cases.review import ConsistencyReviewer, reviewers_for
from cases.settings import PROJECT_ROOT
from tests.catalogues import edit_file
from tests.factories import FOOD


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules" / FOOD, root / FOOD)
    return root


def test_the_shipped_review_block_sets_the_window_and_the_table() -> None:
    policy = get_permit_type(FOOD).permit.review
    assert policy.duplicates.window_days == 365
    assert policy.scoring.points["name_mismatch"] == 50


def test_a_permit_without_a_review_block_runs_the_reviewers_on_by_default() -> None:
    names = [r.name for r in reviewers_for(ReviewPolicy())]
    assert "consistency" in names
    assert isinstance(ConsistencyReviewer(), object)


def test_a_misspelt_setting_is_reported_with_its_line(catalogue: Path) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    line = edit_file(permit, "    window_days: 365", "    window_dayz: 365")
    problems, _ = check_catalogue(catalogue)
    (problem,) = problems
    assert (problem.file, problem.line) == (permit, line)
    assert problem.field == "review.duplicates.window_dayz"
    assert "unknown key" in problem.message


def test_an_unknown_reviewer_and_an_unknown_finding_code_are_reported(catalogue: Path) -> None:
    permit = catalogue / FOOD / "permit.yaml"
    listed = "  reviewers: [consistency, tea_leaves]\n"
    shipped = "  reviewers: [consistency, duplicates, precedents, unusual_values]\n"
    line = edit_file(permit, shipped, listed)
    code_line = edit_file(permit, "      name_mismatch: 50", "      name_mismatchh: 50")
    problems, _ = check_catalogue(catalogue)
    by_field = {p.field: p for p in problems}
    assert by_field["review.reviewers.1"].line == line
    assert "no reviewer is called 'tea_leaves'" in by_field["review.reviewers.1"].message
    assert by_field["review.scoring.points.name_mismatchh"].line == code_line
