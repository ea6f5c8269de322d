"""The case flow: one Prefect flow run advances a case until it waits on a person or is finished.

Each stage of the lifecycle's stage table is one Prefect task that makes one call into ``cases``;
the flow holds no business logic. Text extraction is deferred to the OCR task worker (a long-lived
process with the model loaded), so no flow run pays the ~9 s model load.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun, State

from cases.extraction import extract_case
from cases.lifecycle import Stage
from cases.processing_failures import record_failure
from cases.settings import get_settings
from cases.stages import describe_wait, next_stage, run_stage
from flows.crashed_runs import claim_this_run
from flows.ocr_handoff import read_lease, read_with_worker

__all__ = ["extract_documents", "process_case"]

OCR_TIMEOUT_S = 900
# Stages that read or write files (documents, letters) are retried once or twice on failure.
RETRIES = {Stage.EXTRACT: 1, Stage.LETTER: 2}


@task(
    name="extract-documents",
    task_run_name="extract-case-{case_id}",
    retries=RETRIES[Stage.EXTRACT],
    retry_delay_seconds=5,
)
def extract_documents(case_id: int) -> dict[str, Any]:
    """Served by the warm OCR worker (``.delay``); a flow run never loads the model itself."""
    with read_lease():  # the waiting flow sees if this process dies mid-read
        summary = extract_case(case_id)
    return {"fields": summary.fields, "flagged": summary.flagged, "skipped": summary.skipped}


# A stage's result is a line for the run's log: nothing reads it back (a case resumes from its
# status), so it is neither written to result storage nor looked up in a cache first (each
# costs file reads and writes and hashing the task's source, per stage).
@task(
    name="stage",
    task_run_name="{stage}-case-{case_id}",
    retry_delay_seconds=3,
    persist_result=False,
    cache_policy=NO_CACHE,
)
def stage_task(stage: Stage, case_id: int) -> str:
    """One automatic stage; the result is summarised (a row's id, an outcome) for the run's log."""
    result = run_stage(stage, case_id)
    row_id = getattr(result, "id", None)
    return f"{type(result).__name__} {row_id}" if row_id is not None else str(result)


def _run_stage(stage: Stage, case_id: int) -> None:
    if stage == Stage.EXTRACT:
        if get_settings().ocr_worker:
            read_with_worker(extract_documents, case_id, timeout=OCR_TIMEOUT_S)  # the warm worker
        else:
            extract_documents(case_id)
        return
    stage_task.with_options(retries=RETRIES.get(stage, 0))(stage, case_id)


def _record_failure(flow: object, flow_run: FlowRun, state: State) -> None:
    """Failure hook: the case's audit trail says that processing failed and why."""
    record_failure(
        int(flow_run.parameters["case_id"]), run_id=str(flow_run.id), message=str(state.message)
    )


@flow(
    name="process-case",
    flow_run_name="case-{case_id}",
    on_failure=[_record_failure],
    on_crashed=[_record_failure],  # run by the serving process when this one is killed
    persist_result=False,  # its artifact says where the case stands; a resume reads the case
)
def process_case(case_id: int) -> str:
    """Advance the case from its current state; end at a human gate or when finished."""
    claim_this_run()
    previous: Stage | None = None
    while (stage := next_stage(case_id)) is not None:
        if stage == previous:
            raise RuntimeError(
                f"stage '{stage}' did not advance case {case_id}; see its audit trail"
            )
        _run_stage(stage, case_id)
        previous = stage
    where = describe_wait(case_id)
    case_url = f"{get_settings().web_url}/cases/{case_id}"
    create_markdown_artifact(
        key=f"case-{case_id}",
        markdown=f"**{where}**\n\n[Open the case]({case_url})",
        description="Where the case stands after this run",
    )
    return where
