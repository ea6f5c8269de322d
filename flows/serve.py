"""Long-lived processes: the case-flow runner (flow runs inside it, no process per run) and the
OCR task worker (model kept loaded)."""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import RunnerDeployment
from prefect.flows import Flow
from prefect.types.entrypoint import EntrypointType

from cases.settings import get_settings
from flows.case_flow import extract_documents, process_case
from flows.deadlines import sweep_request_deadlines
from flows.events import case_triggers
from flows.messages import send_messages
from flows.resume import resume_stalled_cases
from flows.retention import anchor_audit_trail, purge_expired_cases
from flows.runner import InProcessRunner
from flows.service_levels import sweep_service_level_clocks

__all__ = ["deployments", "serve_deployments", "serve_ocr_worker"]


def deployments() -> list[tuple[Flow[Any, Any], RunnerDeployment]]:
    """The case flow (started by case events and by the resume sweep) and the scheduled flows."""
    settings = get_settings()
    triggers: list[Any] = list(case_triggers())  # Prefect types the list invariantly
    # Module-path entrypoints: what a flow run pickles for the OCR worker (which imports the same
    # module) resolves on both sides.
    built: list[tuple[Flow[Any, Any], object]] = [
        (
            process_case,
            process_case.to_deployment(
                name="process-case", triggers=triggers, entrypoint_type=EntrypointType.MODULE_PATH
            ),
        ),
        _every(resume_stalled_cases, "resume-stalled-cases", settings.resume_interval_s),
        _every(send_messages, "send-messages", settings.messages_interval_s),
        _every(sweep_request_deadlines, "request-deadlines", settings.deadline_interval_s),
        _every(sweep_service_level_clocks, "service-levels", settings.sla_interval_s),
        _every(purge_expired_cases, "retention", settings.retention_interval_s),
        _every(anchor_audit_trail, "audit-anchor", settings.audit_anchor_interval_s),
    ]
    pairs = []
    for flow, deployment in built:
        assert isinstance(deployment, RunnerDeployment)  # synchronous calls
        pairs.append((flow, deployment))
    return pairs


def _every(scheduled: Flow[Any, Any], name: str, seconds: int) -> tuple[Flow[Any, Any], object]:
    """A scheduled flow and its deployment, run every ``seconds``."""
    deployment = scheduled.to_deployment(
        name=name, interval=seconds, entrypoint_type=EntrypointType.MODULE_PATH
    )
    return scheduled, deployment


def serve_deployments(*, register: bool = True) -> None:
    """Run the deployments' flow runs in this process until stopped; with ``register``, create
    or update them (schedules, triggers) first, else wait for another runner to have done so."""
    runner = InProcessRunner(deployments(), slots=get_settings().case_runner_slots)
    runner.run_forever(register=register)


def serve_ocr_worker() -> None:
    """Serve OCR tasks one at a time, with torch limited to this worker's share of the cores."""
    from prefect.task_worker import serve as serve_tasks

    from cases.ocr.reader import get_handwriting_reader

    get_handwriting_reader()  # load both recognisers once, before the first case arrives
    serve_tasks(extract_documents, limit=1)
