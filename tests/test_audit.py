"""The hash-chained audit trail: intact chains verify, and any edit or deletion is found."""

from __future__ import annotations

import pytest
from click.testing import Result
from sqlalchemy import JSON, bindparam, text

from cases.audit import ChainReport, append_event, verify_chain
from cases.db import session_scope
from tests.conftest import Invoke

pytestmark = pytest.mark.usefixtures("db")


def _append_five() -> None:
    with session_scope() as session:
        for i in range(1, 6):
            append_event(session, actor="tester", action=f"test.event{i}", payload={"n": i})


def _verify() -> ChainReport:
    with session_scope() as session:
        return verify_chain(session)


def _execute(sql: str, **params: object) -> None:
    with session_scope() as session:
        statement = text(sql)
        if "payload" in params:
            statement = statement.bindparams(bindparam("payload", type_=JSON))
        session.execute(statement, params)


def _words(result: Result) -> str:
    """The command's output on one line (Rich wraps long lines at the terminal width)."""
    return " ".join(result.output.split())


def test_intact_chain_verifies() -> None:
    _append_five()
    report = _verify()
    assert report.ok
    assert report.events_checked == 5
    assert report.first_broken_seq is None
    assert report.problem is None


def test_empty_trail_verifies() -> None:
    report = _verify()
    assert report.ok
    assert report.events_checked == 0


def test_altered_payload_is_found() -> None:
    _append_five()
    _execute("UPDATE auditevent SET payload = :payload WHERE seq = 3", payload={"n": 300})
    report = _verify()
    assert not report.ok
    assert report.first_broken_seq == 3
    assert report.events_checked == 2
    assert report.problem is not None
    assert "event 3 (test.event3) was altered" in report.problem


def test_altered_actor_is_found() -> None:
    _append_five()
    _execute("UPDATE auditevent SET actor = 'someone.else' WHERE seq = 2")
    report = _verify()
    assert report.first_broken_seq == 2
    assert report.problem is not None
    assert "altered" in report.problem


def test_deleted_middle_event_is_reported_missing() -> None:
    _append_five()
    _execute("DELETE FROM auditevent WHERE seq = 3")
    report = _verify()
    assert not report.ok
    assert report.events_checked == 2
    assert report.problem is not None
    assert "event 3 is missing" in report.problem
    assert report.first_broken_seq == 3


def test_deleted_last_event_is_reported_against_the_chain_head() -> None:
    _append_five()
    _execute("DELETE FROM auditevent WHERE seq = 5")
    report = _verify()
    assert not report.ok
    assert report.events_checked == 4
    assert report.first_broken_seq == 5
    assert report.problem is not None
    assert "head says 5" in report.problem
    assert "deleted from the end" in report.problem


def test_appending_after_verification_keeps_the_chain_intact() -> None:
    _append_five()
    assert _verify().ok
    with session_scope() as session:
        event = append_event(session, actor="tester", action="test.more", payload={"n": 6})
    assert event.seq == 6
    assert _verify().events_checked == 6


def test_cli_reports_an_intact_trail(cli: Invoke) -> None:
    _append_five()
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "audit trail intact: 5 events checked" in _words(result)


def test_cli_names_the_altered_event_and_fails(cli: Invoke) -> None:
    _append_five()
    _execute("UPDATE auditevent SET payload = :payload WHERE seq = 4", payload={"n": 400})
    result = cli("audit", "verify")
    assert result.exit_code == 1, result.output
    words = _words(result)
    assert "audit trail broken at event 4" in words
    assert "was altered" in words
    assert "Traceback" not in result.output
