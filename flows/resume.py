"""A small scheduled flow that heals lost triggers: cases ready to advance but with no run."""

from __future__ import annotations

import datetime as dt

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.logging import get_logger

from cases.stages import stalled_cases
from flows.crashed_runs import mark_dead_runs
from flows.deployments import create_case_run

__all__ = ["cases_with_active_runs", "resume_stalled_cases"]

ACTIVE = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING]


PAGE = 200  # the most the Prefect API returns at once


def cases_with_active_runs() -> set[int]:
    active: set[int] = set()
    with get_client(sync_client=True) as client:
        for offset in range(0, 100 * PAGE, PAGE):
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=ACTIVE))
                ),
                deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=["process-case"])
                ),
                limit=PAGE,
                offset=offset,
            )
            active.update(int(r.parameters["case_id"]) for r in runs if "case_id" in r.parameters)
            if len(runs) < PAGE:
                break
    return active


@flow(name="resume-stalled-cases")
def resume_stalled_cases(older_than_s: int = 120) -> list[int]:
    """Start the case flow again for every stalled case that has no run scheduled or running.

    First, runs whose process died are marked crashed; their cases resume at once (unless they
    failed too often: then they wait in the operator queue).
    """
    crashed = set(mark_dead_runs())
    stalled = stalled_cases(dt.timedelta(seconds=older_than_s))
    if crashed:
        stalled += [c for c in stalled_cases(dt.timedelta(0)) if c in crashed and c not in stalled]
    if not stalled:
        return []
    active = cases_with_active_runs()
    resumed = [case_id for case_id in stalled if case_id not in active]
    for case_id in resumed:
        create_case_run(case_id, reason="resumed")
    if resumed:
        get_logger("permits.resume").info("resumed stalled cases %s", resumed)
    return resumed
