"""Fees are stored and printed in letters; `permits rules diff` shows what a draft would change."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from cases.authoring import impact_of_draft
from cases.catalogue import get_permit_type, load_ruleset
from cases.db import session_scope
from cases.letters import letter_context, render_letter_html, template_name
from cases.models import Case, EligibilityResult
from cases.settings import PROJECT_ROOT
from tests.conftest import Invoke
from tests.factories import FOOD, checked_case

pytestmark = pytest.mark.usefixtures("db")

RULES = PROJECT_ROOT / "rules" / FOOD / "eligibility-2026.yaml"


def _evaluated_case(number: int, **fields: str) -> int:
    """A case stored with its fields and evaluated by the real eligibility stage."""
    return checked_case(fields, reference=f"FBL-2026-{number:06d}")


def _draft(tmp_path: Path) -> Path:
    """A draft that drops FBL-8 and raises the restaurant band B fee to HK$5,500."""
    text = RULES.read_text(encoding="utf-8")
    start = text.index("  - id: FBL-8\n")
    end = text.index("  - id: FBL-9\n")
    text = text[:start] + text[end:]
    text = text.replace("then: {fee: 5120, band: B}", "then: {fee: 5500, band: B}")
    text = text.replace('version: "2026.1"', 'version: "2026.2-draft"')
    text = text[: text.index("tests:\n")]
    folder = tmp_path / FOOD
    folder.mkdir()
    path = folder / "eligibility-draft.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fee_is_stored_with_the_result_and_printed_in_the_letter() -> None:
    case_id = _evaluated_case(1)
    with session_scope() as session:
        result = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).one()
        assert result.fee == Decimal("5120.00")
        assert result.trace["fee"] == 5120.0
        assert result.trace["tables"][0]["matched_rows"][0]["index"] == 1
        case = session.get(Case, case_id)
        assert case is not None
        context = letter_context(session, case)
    assert context["fee"] == "HK$5,120.00"
    assert context["tables"]["licence_fee"] == {"fee": 5120, "band": "B"}


def test_the_approval_letter_states_the_fee_and_the_conditions() -> None:
    case_id = _evaluated_case(1, floor_area_m2="200", hygiene_staff="2")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        html = render_letter_html(template_name(FOOD, "approve"), letter_context(session, case))
    assert "The annual licence fee is <strong>HK$9,870.00</strong>" in html
    assert "Roster a certified hygiene manager on every shift." in html


def test_a_case_evaluated_before_fees_existed_still_gets_its_letter() -> None:
    case_id = _evaluated_case(1)
    with session_scope() as session:
        result = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).one()
        result.fee = None
        result.trace = {k: v for k, v in result.trace.items() if k not in ("tables", "fee")}
        session.add(result)
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        html = render_letter_html(template_name(FOOD, "approve"), letter_context(session, case))
    assert "approved in principle" in html
    assert "licence fee" not in html
    assert "conditions" not in html


def test_impact_lists_cases_whose_outcome_or_fee_would_change(tmp_path: Path) -> None:
    band_b = _evaluated_case(1)
    large = _evaluated_case(2, floor_area_m2="200")  # FBL-8: one hygiene manager is too few
    _evaluated_case(3, business_type="Food factory", seating_capacity="0", floor_area_m2="120")

    with session_scope() as session:
        report = impact_of_draft(session, get_permit_type(FOOD), load_ruleset(_draft(tmp_path)))

    assert report.cases_evaluated == 3
    changes = {c.case_id: c for c in report.changes}
    assert set(changes) == {band_b, large}
    assert (changes[band_b].old_outcome, changes[band_b].new_outcome) == ("approve", "approve")
    assert (changes[band_b].old_fee, changes[band_b].new_fee) == (
        Decimal("5120.00"),
        Decimal("5500.00"),
    )
    assert (changes[large].old_outcome, changes[large].new_outcome) == ("request_info", "approve")
    assert changes[large].no_longer_failing == ["FBL-8"]
    assert report.per_rule() == {"FBL-8": {"newly_failing": 0, "no_longer_failing": 1}}
    assert dict(report.outcome_moves) == {"approve -> approve": 1, "request_info -> approve": 1}


def test_impact_since_a_date_leaves_older_cases_out(tmp_path: Path) -> None:
    _evaluated_case(1)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with session_scope() as session:
        report = impact_of_draft(
            session, get_permit_type(FOOD), load_ruleset(_draft(tmp_path)), since=tomorrow
        )
    assert report.cases_evaluated == 0
    assert report.changes == []


def test_rules_diff_command_reports_changes_as_json(tmp_path: Path, cli: Invoke) -> None:
    _evaluated_case(1)
    _evaluated_case(2, floor_area_m2="200")
    result = cli("rules", "diff", "--draft", str(_draft(tmp_path)), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # progress goes to stderr, as plain lines off a terminal
    assert "cases evaluated under the draft: 2/2 (100%)" in result.stderr
    assert report["cases_evaluated"] == 2
    assert report["cases_changed"] == 2
    assert report["per_rule"] == {"FBL-8": {"newly_failing": 0, "no_longer_failing": 1}}
    assert {c["reference"]: c["new_fee"] for c in report["changes"]} == {
        "FBL-2026-000001": "5500.00",
        "FBL-2026-000002": "9870.00",
    }


def test_rules_diff_prints_a_table_and_names_an_unknown_type(tmp_path: Path, cli: Invoke) -> None:
    _evaluated_case(2, floor_area_m2="200")
    draft = _draft(tmp_path)
    result = cli("rules", "diff", "--draft", str(draft))
    assert result.exit_code == 0, result.output
    assert "request_info -> approve: 1" in result.output
    assert "FBL-2026-000002" in result.output

    stray = tmp_path / "eligibility-draft.yaml"
    stray.write_text(draft.read_text(encoding="utf-8"), encoding="utf-8")
    result = cli("rules", "diff", "--draft", str(stray))
    assert result.exit_code == 2
    assert "name one with --type" in result.output


def test_rules_diff_says_a_bad_since_in_one_line(tmp_path: Path, cli: Invoke) -> None:
    result = cli("rules", "diff", "--draft", str(_draft(tmp_path)), "--since", "31/01/2026")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --since: '31/01/2026' is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31"
    )
    assert "Usage" not in result.output
