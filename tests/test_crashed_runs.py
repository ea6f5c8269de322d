"""The resume sweep finds case-flow runs whose process died (or that are stuck) on a real Prefect
server, marks them CRASHED through its API, writes the case's `processing.failed` event and
starts the case again."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.states import Running
from sqlmodel import select

from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import AuditEvent
from cases.processing_failures import failure_error
from cases.settings import get_settings
from flows.case_flow import process_case
from flows.crashed_runs import mark_dead_runs
from flows.resume import cases_with_active_runs, resume_stalled_cases
from tests.test_processing_failures import make_case

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deployment() -> Iterator[UUID]:
    """A real (test) Prefect server holding the case-flow deployment; nothing serves it."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        # _sync: a test before may have left an event loop in this thread, where Prefect would
        # otherwise hand back coroutines (never awaited) instead of doing the calls
        deployment = process_case.to_deployment(name="process-case", _sync=True)  # type: ignore[call-arg]
        yield deployment.apply(_sync=True)  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def _finish_runs(deployment: UUID) -> Iterator[None]:
    """Each test's runs end with it (their cases go with the test's tables)."""
    yield
    from prefect.states import Completed

    from flows.crashed_runs import _active_runs

    with get_client(sync_client=True) as client:
        for run in _active_runs():
            client.set_flow_run_state(run.id, Completed(), force=True)
        for run in client.read_flow_runs():
            if run.state is not None and run.state.type == StateType.SCHEDULED:
                client.delete_flow_run(run.id)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def running_run(deployment: UUID, case_id: int, pid: int) -> UUID:
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(deployment, parameters={"case_id": case_id})
        client.set_flow_run_state(run.id, Running(), force=True)
        client.update_flow_run(run.id, infrastructure_pid=f"{socket.gethostname()}:{pid}")
    return run.id


def state_of(run_id: UUID) -> StateType:
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state
    assert state is not None
    return state.type


def error_of(event: AuditEvent) -> str:
    """The error recorded with a failure (kept beside the event, where retention can remove it)."""
    with session_scope() as session:
        return failure_error(session, event)


def failures(case_id: int) -> list[AuditEvent]:
    with session_scope() as session:
        return list(
            session.exec(
                select(AuditEvent).where(
                    AuditEvent.case_id == case_id, AuditEvent.action == "processing.failed"
                )
            ).all()
        )


@pytest.mark.usefixtures("db")
def test_a_run_whose_process_died_is_crashed_and_its_case_resumed(deployment: UUID) -> None:
    dead = make_case("FBL-2026-90011")
    alive = make_case("FBL-2026-90012")
    dead_run = running_run(deployment, dead, _dead_pid())
    live_run = running_run(deployment, alive, subprocess.os.getpid())  # type: ignore[attr-defined]

    resumed = resume_stalled_cases.fn(older_than_s=3600)

    assert state_of(dead_run) == StateType.CRASHED
    assert state_of(live_run) == StateType.RUNNING
    [failure] = failures(dead)
    assert failure.payload["flow_run_id"] == str(dead_run)
    assert "is gone" in error_of(failure)
    assert failures(alive) == []
    assert resumed == [dead]  # at once, though it moved less than an hour ago
    assert dead in cases_with_active_runs()  # a new run is scheduled for it


@pytest.mark.usefixtures("db")
def test_a_run_stuck_past_the_timeout_is_crashed(
    deployment: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERMITS_STUCK_RUN_TIMEOUT_S", "0")
    get_settings.cache_clear()
    case_id = make_case("FBL-2026-90013", status=CaseStatus.EXTRACTING)
    run = running_run(deployment, case_id, subprocess.os.getpid())  # type: ignore[attr-defined]

    assert case_id in mark_dead_runs()
    assert state_of(run) == StateType.CRASHED
    assert "still RUNNING after 0 s" in error_of(failures(case_id)[0])


@pytest.mark.usefixtures("db")
def test_a_case_that_crashed_too_often_is_left_for_the_operator(
    deployment: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERMITS_MAX_FAILED_RUNS", "1")
    get_settings.cache_clear()
    case_id = make_case("FBL-2026-90014")
    running_run(deployment, case_id, _dead_pid())

    assert resume_stalled_cases.fn(older_than_s=0) == []
    assert len(failures(case_id)) == 1
