"""A case whose runs keep failing leaves the resume sweep for the operator queue, and an admin's
retry (once, audited) puts it back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import AuditEvent, utcnow
from cases.processing_failures import (
    NotAwaitingRetry,
    failed_cases,
    record_failure,
    retry_case,
)
from cases.stages import stalled_cases
from tests.conftest import Invoke
from tests.factories import stored_case


def make_case(reference: str = "FBL-2026-90001", status: CaseStatus = CaseStatus.CHECKING) -> int:
    with session_scope() as session:
        return stored_case(
            session, reference=reference, status=status, updated_at=utcnow() - dt.timedelta(hours=1)
        )


def fail(case_id: int, times: int) -> None:
    for attempt in range(times):
        record_failure(case_id, run_id=f"run-{attempt}", message=f"OSError: disk {attempt}")


@pytest.mark.usefixtures("db")
def test_after_three_failures_the_case_waits_in_the_operator_queue() -> None:
    case_id = make_case()
    fail(case_id, 2)
    with session_scope() as session:
        assert failed_cases(session=session) == []
    assert case_id in stalled_cases(dt.timedelta(seconds=0))

    fail(case_id, 1)
    with session_scope() as session:
        [queued] = failed_cases(session=session)
    assert (queued.reference, queued.tries, queued.status) == ("FBL-2026-90001", 3, "checking")
    assert queued.last_error == "OSError: disk 0"  # the third failure's message
    assert case_id not in stalled_cases(dt.timedelta(seconds=0))


@pytest.mark.usefixtures("db")
def test_the_number_of_tries_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from cases.settings import get_settings

    monkeypatch.setenv("PERMITS_MAX_FAILED_RUNS", "1")
    get_settings.cache_clear()
    case_id = make_case()
    fail(case_id, 1)
    with session_scope() as session:
        assert [row.case_id for row in failed_cases(session=session)] == [case_id]


@pytest.mark.usefixtures("db")
def test_a_case_waiting_on_a_person_is_not_in_the_queue() -> None:
    case_id = make_case(status=CaseStatus.AWAITING_DECISION)
    fail(case_id, 3)
    with session_scope() as session:
        assert failed_cases(session=session) == []


@pytest.mark.usefixtures("db")
def test_a_retry_is_audited_and_a_second_click_does_nothing() -> None:
    case_id = make_case()
    fail(case_id, 3)
    retry_case(reference="FBL-2026-90001", actor="user:demo.admin")
    with session_scope() as session:
        assert failed_cases(session=session) == []
        retried = session.exec(
            select(AuditEvent).where(AuditEvent.action == "processing.retried")
        ).all()
    assert len(retried) == 1
    assert retried[0].actor == "user:demo.admin"
    assert retried[0].payload["tries"] == 3

    with pytest.raises(NotAwaitingRetry, match="not waiting for a retry"):
        retry_case(case_id=case_id, actor="user:demo.admin")
    with session_scope() as session:
        count = len(
            session.exec(select(AuditEvent).where(AuditEvent.action == "processing.retried")).all()
        )
    assert count == 1


@pytest.mark.usefixtures("db")
def test_permits_cases_lists_the_queue_and_retries_once(cli: Invoke) -> None:
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    fail(make_case(), 3)
    listed = cli("cases", "failed")
    assert "FBL-2026-90001" in listed.output
    assert "1 case(s) waiting for a retry" in listed.output

    # No orchestrator answers: the retry is recorded and the sweep starts the run later.
    with temporary_settings(
        {PREFECT_API_URL: "http://127.0.0.1:9/api", PREFECT_CLIENT_MAX_RETRIES: 0}
    ):
        first = cli("cases", "retry", "FBL-2026-90001")
    again = cli("cases", "retry", "FBL-2026-90001")

    assert "is saved, but the orchestrator could not start its flow" in " ".join(
        first.output.split()
    )
    assert again.exit_code == 1
    assert "not waiting for a retry" in " ".join(again.output.split())
    assert "Traceback" not in first.output + again.output
    with session_scope() as session:
        assert (
            len(
                session.exec(
                    select(AuditEvent).where(AuditEvent.action == "processing.retried")
                ).all()
            )
            == 1
        )
