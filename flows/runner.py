"""A long-lived process that executes its deployments' flow runs inside itself, in threads.

Prefect's ``serve()`` and process workers start a new Python process for every flow run (~8-10 s
here before the first stage, twice per case); the case flow's stages take well under a second
each once the OCR model is warm. This runner claims a scheduled run the way Prefect's own runner
and workers do (proposing PENDING, which the server grants to one claimant only, so any number of
runners on any machines can poll the same deployments) and runs it with Prefect's flow engine in
one of its threads: same states, logs, artifacts and events in the Prefect UI, no process start.

It looks for due runs when the server announces a new scheduled flow run (its event stream) or a
slot of its own frees, and otherwise every ``poll_s`` (the safety net, and the scheduled flows'
runs, which fall due later than they are announced): a poll is a request and, on the server, a
write (the deployment's last poll), which SQLite serialises with every flow run's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments.runner import RunnerDeployment
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.exceptions import Abort, ObjectNotFound
from prefect.flow_engine import run_flow
from prefect.flows import Flow
from prefect.states import Pending
from prefect.utilities.engine import propose_state_sync

__all__ = ["InProcessRunner"]

_log = logging.getLogger("permits.runner")

#: The event the server emits when it creates a scheduled flow run (a trigger's, the sweep's).
SCHEDULED_EVENT = "prefect.flow-run.Scheduled"


class InProcessRunner:
    """Poll the server for its deployments' due runs; run each in a thread of this process."""

    def __init__(
        self,
        deployments: Sequence[tuple[Flow[Any, Any], RunnerDeployment]],
        *,
        slots: int,
        poll_s: float = 2.0,
    ) -> None:
        self.deployments = list(deployments)
        self.slots = slots
        self.poll_s = poll_s
        self._flows: dict[UUID, Flow[Any, Any]] = {}
        self._running: set[UUID] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # a run was scheduled or a slot freed: look now

    def register(self) -> None:
        """Create or update the deployments (schedules, triggers) on the server."""
        for flow, deployment in self.deployments:
            # synchronous even where this thread already runs an event loop
            deployment_id = deployment.apply(_sync=True)  # type: ignore[call-arg]
            assert isinstance(deployment_id, UUID)  # the synchronous call
            self._flows[deployment_id] = flow

    def find_registered(self, client: Any, timeout: float = 300) -> None:
        """Wait until the runner that registers has created the deployments; use their ids."""
        deadline = time.monotonic() + timeout
        for flow, deployment in self.deployments:
            while True:
                try:
                    found = client.read_deployment_by_name(deployment.full_name)
                    break
                except ObjectNotFound:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)
            self._flows[found.id] = flow

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _listen(self) -> None:
        """Wake the poll loop on every scheduled-run event (any deployment's: a wake with
        nothing due costs one poll); the periodic poll covers a broken stream."""
        while not self._stop.is_set():
            try:
                asyncio.run(self._consume())
            except Exception:  # the server restarting: the poll carries on meanwhile
                if self._stop.is_set():
                    return  # the server went first
                _log.warning("lost the Prefect event stream; reconnecting", exc_info=True)
            self._stop.wait(self.poll_s)

    async def _consume(self) -> None:
        only = EventFilter(event=EventNameFilter(name=[SCHEDULED_EVENT]))
        async with get_events_subscriber(filter=only) as subscriber:
            self._wake.set()  # runs scheduled while we were not listening
            async for _event in subscriber:
                self._wake.set()
                if self._stop.is_set():
                    return

    def run_forever(self, *, register: bool = True) -> None:
        if register:
            self.register()
        with (
            ThreadPoolExecutor(self.slots, thread_name_prefix="flow-run") as pool,
            get_client(sync_client=True) as client,
        ):
            if not register:
                self.find_registered(client)
            threading.Thread(target=self._listen, name="runner-events", daemon=True).start()
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    for flow_run in self._due_runs(client):
                        if self._claim(client, flow_run):
                            pool.submit(self._execute, flow_run)
                except Exception:  # the server restarting: keep polling
                    _log.warning("could not poll the Prefect server", exc_info=True)
                self._wake.wait(self.poll_s)

    def _due_runs(self, client: Any) -> list[FlowRun]:
        with self._lock:
            free = self.slots - len(self._running)
        if free <= 0:
            return []
        runs: list[FlowRun] = client.get_scheduled_flow_runs_for_deployments(
            deployment_ids=list(self._flows),
            scheduled_before=dt.datetime.now(dt.UTC),
            limit=free,
        )
        return runs

    def _claim(self, client: Any, flow_run: FlowRun) -> bool:
        """PENDING is granted to one claimant; another runner that asked first keeps the run."""
        try:
            state = propose_state_sync(client, Pending(), flow_run_id=flow_run.id)
        except Abort:
            return False
        if not state.is_pending():
            return False
        with self._lock:
            self._running.add(flow_run.id)
        return True

    def _execute(self, flow_run: FlowRun) -> None:
        started = time.monotonic()
        try:
            assert flow_run.deployment_id is not None
            flow = self._flows[flow_run.deployment_id]
            run_flow(flow, flow_run=flow_run, parameters=flow_run.parameters, return_type="state")
        except Exception:  # the engine records the failure on the run; keep the thread alive
            _log.exception("flow run %s ended with an error", flow_run.id)
        finally:
            with self._lock:
                self._running.discard(flow_run.id)
            self._wake.set()  # a free slot: runs that waited for one may be due
            _log.info("flow run %s took %.1f s", flow_run.name, time.monotonic() - started)
