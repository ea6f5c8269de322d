"""`permits letters`: a case's letters listed, and a letter reissued from a terminal by a named
member of staff, with a reason."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cases.access import create_user
from cases.db import session_scope
from cases.letters import issue_letters
from cases.models import Case, Letter, Role
from tests.conftest import Invoke
from tests.factories import decided_case

pytestmark = pytest.mark.usefixtures("db")


def _staff(username: str, role: Role) -> None:
    with session_scope() as session:
        create_user(
            session,
            username=username,
            password="a long enough password",
            role=role,
            display_name=username,
            actor="test",
        )


def _reference(case_id: int) -> str:
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.reference


def test_a_caseworker_reissues_a_letter_in_chinese_and_the_list_shows_both(cli: Invoke) -> None:
    _staff("mary.wong", Role.CASEWORKER)
    case_id = decided_case("approve")
    issue_letters(case_id)
    reference = _reference(case_id)

    result = cli(
        "letters", "reissue", reference, "--language", "zh-Hant",
        "--reason", "The applicant asked for Chinese.", "--by", "mary.wong",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "approve letter (zh-Hant) reissued as version 1" in result.output
    with session_scope() as session:
        languages = [letter.language for letter in session.exec(select(Letter))]
    assert languages == ["en", "zh-Hant"]
    listed = cli("letters", "list", reference)
    assert listed.exit_code == 0, listed.output
    assert "zh-Hant" in listed.output
    assert listed.output.count("current") == 2


def test_a_reissue_from_the_terminal_with_a_blank_reason_is_refused_in_one_line(
    cli: Invoke,
) -> None:
    _staff("mary.wong", Role.CASEWORKER)
    case_id = decided_case("approve")
    issue_letters(case_id)

    result = cli("letters", "reissue", _reference(case_id), "--reason", " ", "--by", "mary.wong")

    assert result.exit_code == 1
    assert "Give the reason for reissuing the letter" in result.output
    assert "Traceback" not in result.output


def test_a_reissue_by_someone_without_an_account_is_refused(cli: Invoke) -> None:
    case_id = decided_case("approve")
    issue_letters(case_id)

    result = cli("letters", "reissue", _reference(case_id), "--reason", "x", "--by", "nobody")

    assert result.exit_code == 1
    assert "no active staff account 'nobody'" in result.output
    assert "permits users add" in " ".join(result.output.split())  # a command that exists
