"""Starting the case flow through its deployment (uploads and decisions both do this)."""

from __future__ import annotations

from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

__all__ = ["DEPLOYMENT", "start_case_flow"]

DEPLOYMENT = "process-case/process-case"


def start_case_flow(case_id: int, *, reason: str) -> str:
    """Create a flow run for the case and return at once; the serving process picks it up."""
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
