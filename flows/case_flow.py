"""The case flow: one Prefect flow run advances a case until it waits on a person or is finished.

Each task is one call into ``cases``; the flow holds no business logic. Text extraction is deferred
to the OCR task worker (a long-lived process with the model loaded), so no flow run pays the ~9 s
model load.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import FlowRun, State

from cases.approvals import propose_decision
from cases.eligibility import check_case_eligibility
from cases.extraction import extract_case
from cases.letters import issue_letter
from cases.pipeline import Stage, describe_wait, next_stage, record_failure
from cases.review import review_case
from cases.settings import get_settings

__all__ = ["extract_documents", "process_case"]

OCR_TIMEOUT_S = 900


@task(name="extract-documents", retries=1, retry_delay_seconds=5)
def extract_documents(case_id: int) -> dict[str, Any]:
    summary = extract_case(case_id)
    return {"fields": summary.fields, "flagged": summary.flagged, "skipped": summary.skipped}


@task(name="check-eligibility")
def check_eligibility(case_id: int) -> str:
    return check_case_eligibility(case_id).value


@task(name="review")
def review(case_id: int) -> str:
    return review_case(case_id)


@task(name="propose-decision")
def propose(case_id: int) -> int | None:
    task_ = propose_decision(case_id)
    return task_.id if task_ else None


@task(name="issue-letter", retries=2, retry_delay_seconds=3)
def letter(case_id: int) -> str | None:
    issued = issue_letter(case_id)
    return issued.pdf_path if issued else None


def _run_extraction(case_id: int) -> None:
    if get_settings().ocr_worker:
        extract_documents.delay(case_id).result(timeout=OCR_TIMEOUT_S)  # the warm OCR worker
    else:
        extract_documents(case_id)


def _run_stage(stage: Stage, case_id: int) -> None:
    match stage:
        case Stage.EXTRACT:
            _run_extraction(case_id)
        case Stage.ELIGIBILITY:
            check_eligibility(case_id)
        case Stage.REVIEW:
            review(case_id)
        case Stage.PROPOSE:
            propose(case_id)
        case Stage.LETTER:
            letter(case_id)


def _record_failure(flow: object, flow_run: FlowRun, state: State) -> None:
    """Failure hook: the case's audit trail says that processing failed and why."""
    record_failure(
        int(flow_run.parameters["case_id"]), run_id=str(flow_run.id), message=str(state.message)
    )


@flow(name="process-case", flow_run_name="case-{case_id}", on_failure=[_record_failure])
def process_case(case_id: int) -> str:
    """Advance the case from its current state; end at a human gate or when finished."""
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
