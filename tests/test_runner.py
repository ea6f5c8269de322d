"""The in-process runner on a real Prefect server: a run the server schedules is started when the
server announces it, not at the runner's next poll (which a test sets to an hour)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from uuid import UUID

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.deployments.runner import RunnerDeployment

from flows.runner import InProcessRunner

pytestmark = pytest.mark.slow

HOUR = 3600.0


@flow(name="runner-probe")
def probe(n: int) -> int:
    return n + 1


@pytest.fixture(scope="module")
def runner() -> Iterator[InProcessRunner]:
    """A runner of the probe's deployment, polling once an hour, on a test Prefect server."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        deployment = probe.to_deployment(name="probe", _sync=True)  # type: ignore[call-arg]
        assert isinstance(deployment, RunnerDeployment)  # the synchronous call
        running = InProcessRunner([(probe, deployment)], slots=1, poll_s=HOUR)
        running.register()
        thread = threading.Thread(
            target=running.run_forever, kwargs={"register": False}, daemon=True
        )
        thread.start()
        yield running
        running.stop()
        thread.join(timeout=30)


def _run_to_the_end(deployment_name: str, n: int) -> StateType:
    """Schedule a run now and wait (two minutes at most) until it is final."""
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(deployment_name)
        run = client.create_flow_run_from_deployment(deployment.id, parameters={"n": n})
    return _final_state(run.id)


def _final_state(run_id: UUID) -> StateType:
    deadline = time.monotonic() + 120
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            state = client.read_flow_run(run_id).state
            if state is not None and state.is_final():
                return state.type
            time.sleep(0.5)
    return StateType.SCHEDULED  # never picked up


def test_scheduled_runs_start_on_the_server_s_announcement_not_the_hourly_poll(
    runner: InProcessRunner,
) -> None:
    # The first may be found by the runner's look when it starts listening; the ones after
    # only because the server announced them (one slot: each after the previous ended).
    assert [_run_to_the_end("runner-probe/probe", n) for n in range(3)] == [StateType.COMPLETED] * 3
