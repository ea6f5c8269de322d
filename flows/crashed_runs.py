"""Case-flow runs whose process died: claimed by their process, found and marked by the sweep.

A run records ``host:pid`` of its process on its Prefect flow run (``infrastructure_pid``) as it
starts; under ``permits up`` it also asks to die with the process serving the deployment, so no
run outlives the services. The resume sweep marks CRASHED, through the Prefect API, every
``process-case`` run that Prefect still believes RUNNING or PENDING while its process is gone (on
this machine) or that has been so longer than ``stuck_run_timeout_s``; it writes the case's
``processing.failed`` event itself, since the dead process could not.
"""

from __future__ import annotations

import datetime as dt
import os
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import OrchestrationResult, SetStateStatus
from prefect.runtime import flow_run as current_run
from prefect.states import Crashed

from cases.processes import DIE_WITH_PARENT, die_with_parent, process_marker, run_process_alive
from cases.processing_failures import record_failure
from cases.settings import get_settings

__all__ = ["claim_this_run", "mark_dead_runs", "why_dead"]

PAGE = 200


def claim_this_run() -> None:
    """Record this process on the current flow run (and die with our parent under `up`)."""
    if os.environ.get(DIE_WITH_PARENT) == "1":
        die_with_parent()
    run_id = current_run.id
    if not run_id:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(UUID(str(run_id)), infrastructure_pid=process_marker())


def _active_runs() -> list[FlowRun]:
    found: list[FlowRun] = []
    with get_client(sync_client=True) as client:
        for offset in range(0, 100 * PAGE, PAGE):
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.PENDING, StateType.RUNNING])
                    )
                ),
                deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=["process-case"])
                ),
                limit=PAGE,
                offset=offset,
            )
            found.extend(runs)
            if len(runs) < PAGE:
                break
    return found


def why_dead(run: FlowRun, *, now: dt.datetime, timeout_s: int) -> str | None:
    """Why the run cannot be working any more, or None while it may be."""
    if run.state is None:
        return None
    state = run.state.type.value
    if run_process_alive(run.infrastructure_pid) is False:
        return f"the run's process ({run.infrastructure_pid}) is gone; it was {state}"
    if (now - run.state.timestamp).total_seconds() > timeout_s:
        return f"the run was still {state} after {timeout_s} s (stuck_run_timeout_s)"
    return None


def mark_dead_runs() -> list[int]:
    """Mark dead runs CRASHED and note it on their cases; return those cases' ids."""
    timeout_s = get_settings().stuck_run_timeout_s
    now = dt.datetime.now(dt.UTC)
    crashed: list[int] = []
    for run in _active_runs():
        reason = why_dead(run, now=now, timeout_s=timeout_s)
        if reason is None or "case_id" not in run.parameters:
            continue
        with get_client(sync_client=True) as client:
            # Not forced: a run that finished meanwhile keeps its final state.
            result: OrchestrationResult[object] = client.set_flow_run_state(
                run.id, Crashed(message=reason)
            )
        if result.status == SetStateStatus.ACCEPT:
            case_id = int(run.parameters["case_id"])
            record_failure(case_id, run_id=str(run.id), message=f"crashed: {reason}")
            crashed.append(case_id)
    return crashed
