"""`permits demo --approve-all` survives a case it cannot take further: the case is reported in
the summary (and its JSON) and the other cases go on."""

from __future__ import annotations

import time

import pytest

from cases.lifecycle import CaseStatus
from cases.processing_failures import record_failure
from cli.demo import _settled, approve_gates, summarise
from tests.test_approvals import _case_at_decision, _case_awaiting_verification
from tests.test_processing_failures import make_case


@pytest.mark.usefixtures("db")
def test_a_case_that_cannot_be_confirmed_is_reported_and_the_others_go_on() -> None:
    bad, _ = _case_awaiting_verification("Z12345(9)")  # misread: cannot be confirmed as read
    good, _ = _case_at_decision()
    started: list[int] = []
    problems: dict[int, str] = {}

    def note(case_id: int, _reason: str) -> None:
        started.append(case_id)

    moved = approve_gates([bad, good], problems, start=note)

    assert moved == started == [good]
    assert "'Z12345(9)' is not an identity card number" in problems[bad]
    rows = {row.case_id: row for row in summarise([bad, good], time.monotonic(), problems)}
    assert rows[bad].problem == problems[bad]
    assert rows[bad].status == "awaiting_verification"
    assert rows[good].problem is None
    assert rows[good].status == "decided"
    # a second round leaves the reported case alone
    assert approve_gates([bad], problems, start=note) == []


@pytest.mark.usefixtures("db")
def test_a_case_whose_run_crashed_once_is_waited_for_until_the_operator_queue_takes_it() -> None:
    """A SIGKILLed OCR worker fails the runs waiting on it once; the sweep starts them again, so
    the demo goes on waiting instead of reporting them failed seconds before they recover."""
    case_id = make_case(status=CaseStatus.EXTRACTING)
    record_failure(case_id, run_id="run-1", message="crashed: the OCR worker died")

    assert not _settled(case_id)
    [row] = summarise([case_id], time.monotonic())
    assert (row.status, row.problem) == ("extracting", None)

    for attempt in (2, 3):  # max_failed_runs: the sweep gives up, an operator must retry
        record_failure(case_id, run_id=f"run-{attempt}", message="crashed again")
    assert _settled(case_id)
    [row] = summarise([case_id], time.monotonic())
    assert row.problem == "processing failed; see the case's audit trail"


@pytest.mark.usefixtures("db")
def test_a_flow_start_that_fails_does_not_abort_the_demo() -> None:
    """SQLite busy past its timeout while the demo started a decided case's flow aborted the
    whole `permits demo --approve-all` with a traceback and no summary; the decision is saved
    and the resume sweep starts the case, so the demo goes on."""
    first, _ = _case_at_decision()
    second, _ = _case_at_decision()
    started: list[int] = []

    def busy_then_fine(case_id: int, _reason: str) -> None:
        if case_id == first:
            raise RuntimeError("(sqlite3.OperationalError) database is locked")
        started.append(case_id)

    assert approve_gates([first, second], {}, start=busy_then_fine) == [first, second]
    assert started == [second]
    rows = {row.case_id: row for row in summarise([first, second], time.monotonic())}
    assert rows[first].status == "decided"
