"""Long-lived processes: the deployment server (each flow run a new process) and the OCR worker."""

from __future__ import annotations

from typing import Any

from prefect import Flow, serve
from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from cases.settings import get_settings
from flows.case_flow import extract_documents, process_case
from flows.deadlines import sweep_request_deadlines
from flows.messages import send_messages
from flows.resume import resume_stalled_cases
from flows.retention import anchor_audit_trail, purge_expired_cases
from flows.service_levels import sweep_service_level_clocks

__all__ = ["serve_deployments", "serve_ocr_worker"]


def serve_deployments() -> None:
    # Module-path entrypoints: each flow run imports ``flows.case_flow`` as a package module, so
    # what it pickles for the OCR worker (which imports the same module) resolves on both sides.
    case_flow = process_case.to_deployment(
        name="process-case", entrypoint_type=EntrypointType.MODULE_PATH
    )
    resume = resume_stalled_cases.to_deployment(
        name="resume-stalled-cases",
        interval=get_settings().resume_interval_s,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    messages = send_messages.to_deployment(
        name="send-messages",
        interval=get_settings().messages_interval_s,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    deadlines = sweep_request_deadlines.to_deployment(
        name="request-deadlines",
        interval=get_settings().deadline_interval_s,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    service_levels = _every(
        sweep_service_level_clocks, "service-levels", get_settings().sla_interval_s
    )
    retention = _every(purge_expired_cases, "retention", get_settings().retention_interval_s)
    anchor = _every(anchor_audit_trail, "audit-anchor", get_settings().audit_anchor_interval_s)
    # synchronous calls: deployments, not coroutines
    scheduled = (case_flow, resume, messages, deadlines, service_levels, retention, anchor)
    deployments = [d for d in scheduled if isinstance(d, RunnerDeployment)]
    assert len(deployments) == len(scheduled)
    serve(*deployments, limit=4)


def _every(scheduled: Flow[[], Any], name: str, seconds: int) -> Any:
    return scheduled.to_deployment(
        name=name, interval=seconds, entrypoint_type=EntrypointType.MODULE_PATH
    )


def serve_ocr_worker() -> None:
    """Serve OCR tasks one at a time (torch already uses both cores) with the reader kept warm."""
    from prefect.task_worker import serve as serve_tasks

    from cases.ocr.reader import get_handwriting_reader

    get_handwriting_reader()  # load both recognisers once, before the first case arrives
    serve_tasks(extract_documents, limit=1)
