"""Starting the case flow: a person's act emits the case's event (its trigger starts the run);
the resume sweep creates a run directly, so it still heals a case when events are lost."""

from __future__ import annotations

from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from flows.events import emit_case_event

__all__ = ["DEPLOYMENT", "create_case_run", "start_case_flow"]

DEPLOYMENT = "process-case/process-case"
# Starts that are no person's act on the case (an operator's retry): no case event says them, so
# the run is created directly rather than announced as, say, a decision.
DIRECT_REASONS = frozenset({"retried", "resumed"})


def start_case_flow(case_id: int, *, reason: str) -> str:
    """Call once the act is committed: emit the case's event (or, for an operator's retry,
    create the run) and return its id at once."""
    if reason in DIRECT_REASONS:
        return create_case_run(case_id, reason=reason)
    return emit_case_event(case_id, reason=reason)


def create_case_run(case_id: int, *, reason: str) -> str:
    """Create a flow run of the case flow directly (no event) and return its id at once."""
    run = run_deployment(
        DEPLOYMENT,
        parameters={"case_id": case_id},
        timeout=0,
        tags=[f"case:{case_id}", reason],
        as_subflow=False,
        # Always the synchronous path: Prefect would otherwise hand back a coroutine whenever
        # the calling thread happens to run an event loop (a web server, a browser driver).
        _sync=True,  # type: ignore[call-arg]
    )
    assert isinstance(run, FlowRun)  # the synchronous call returns the run itself
    return str(run.id)
