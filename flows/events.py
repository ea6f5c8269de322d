"""Prefect events a case emits when a person acts, and the triggers that start its flow from them.

Whoever records the action (an upload, a verification, a decision) emits the event after its
transaction has committed; a ``DeploymentEventTrigger`` on the ``process-case`` deployment turns
it into a flow run. The case is the event's resource, so Prefect's event feed shows each case's
history. An event that never arrives loses nothing: the resume sweep starts any case that is
ready to advance and has no run.
"""

from __future__ import annotations

from prefect.events import DeploymentEventTrigger, emit_event
from prefect.settings import PREFECT_API_URL

from cases.db import session_scope
from cases.repository import get_case

__all__ = [
    "CASE_DECIDED",
    "CASE_EVENTS",
    "DOCUMENT_UPLOADED",
    "FIELD_VERIFIED",
    "case_triggers",
    "emit_case_event",
    "event_for",
]

DOCUMENT_UPLOADED = "permit.document.uploaded"
FIELD_VERIFIED = "permit.field.verified"
CASE_DECIDED = "permit.case.decided"
CASE_EVENTS = (DOCUMENT_UPLOADED, FIELD_VERIFIED, CASE_DECIDED)

#: The reason a caller gives for starting the flow, and the event that says what happened.
_EVENT_BY_REASON = {
    "submitted": DOCUMENT_UPLOADED,
    "uploaded": DOCUMENT_UPLOADED,
    "answered": DOCUMENT_UPLOADED,
    "fields-verified": FIELD_VERIFIED,
}


def event_for(reason: str) -> str:
    """Uploads and answers are documents, a verification is fields; any other act is a decision."""
    return _EVENT_BY_REASON.get(reason, CASE_DECIDED)


def emit_case_event(case_id: int, *, reason: str) -> str:
    """Emit the case's event (sent in the background; Prefect flushes it before the process
    exits) and return its id."""
    if not PREFECT_API_URL.value():  # Prefect would start a throw-away server of its own
        raise RuntimeError("no Prefect server is configured (PREFECT_API_URL); run: permits up")
    _check_case_flow_deployment()
    with session_scope() as session:
        reference = get_case(session, case_id).reference
    event = emit_event(
        event=event_for(reason),
        resource={
            "prefect.resource.id": f"permit.case.{case_id}",
            "prefect.resource.name": reference,
            "permit.case.id": str(case_id),
            "permit.case.reference": reference,
        },
        payload={"case_id": case_id, "reason": reason},
    )
    if event is None:
        raise RuntimeError("Prefect events are not configured (no PREFECT_API_URL)")
    return str(event.id)


def _check_case_flow_deployment() -> None:
    """The event is sent in the background, so a server that is down or holds no case-flow
    deployment (whose trigger turns the event into a run) would lose it without a word: ask the
    server for the deployment first (one request), so the caller can say the case is saved and
    will be picked up by the resume sweep."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.read_deployment_by_name("process-case/process-case")


def case_triggers() -> list[DeploymentEventTrigger]:
    """Every case event starts ``process-case`` for that case."""
    return [
        DeploymentEventTrigger(
            name="case-event",
            expect=set(CASE_EVENTS),
            match={"prefect.resource.id": "permit.case.*"},
            parameters={"case_id": "{{ event.payload.case_id }}"},  # stays an integer
        )
    ]
