"""`permits demo --approve-all` survives a case it cannot take further: the case is reported in
the summary (and its JSON) and the other cases go on."""

from __future__ import annotations

import time

import pytest

from cli.demo import approve_gates, summarise
from tests.test_approvals import _case_at_decision, _case_awaiting_verification


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
