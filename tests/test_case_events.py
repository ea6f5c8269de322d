"""Case events: an upload, a verification or a decision emits the case's event; Prefect's
deployment trigger starts the case flow from it, and the event feed shows the case's history.

The slow test runs the services `permits up` runs (a real Prefect server on a free port, the
case-flow runner, the OCR worker) and starts nothing but the event.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from cases.lifecycle import CaseStatus
from cli.demo import wait_until_settled
from flows.events import (
    CASE_DECIDED,
    CASE_EVENTS,
    DOCUMENT_UPLOADED,
    FIELD_VERIFIED,
    case_triggers,
    emit_case_event,
    event_for,
)
from tests.factories import sample_application, submit_sample
from tests.services import embedded_services


def test_each_act_names_what_happened() -> None:
    assert event_for("uploaded") == event_for("submitted") == DOCUMENT_UPLOADED
    assert event_for("answered") == DOCUMENT_UPLOADED  # the applicant's answer brings documents
    assert event_for("fields-verified") == FIELD_VERIFIED
    assert event_for("decided") == event_for("gate-completed") == CASE_DECIDED


def test_every_case_event_starts_the_case_flow_with_its_case_id() -> None:
    (trigger,) = case_triggers()
    assert trigger.expect == set(CASE_EVENTS)
    # A single expression keeps the payload's integer: the deployment's schema wants one.
    assert trigger.parameters == {"case_id": "{{ event.payload.case_id }}"}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # No resume sweep within the test: only the event may start the flow.
    with embedded_services(tmp_path_factory.mktemp("events"), PERMITS_RESUME_INTERVAL_S="3600"):
        yield


def _case_runs(case_id: int) -> list[object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        return list(
            client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"case-{case_id}"]))
            )
        )


def _case_events(case_id: int) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventResourceFilter

    with get_client(sync_client=True) as client:
        page = client.read_events(
            filter=EventFilter(resource=EventResourceFilter(id=[f"permit.case.{case_id}"])),
            limit=50,
        )
    return [event.event for event in page.events]


@pytest.mark.slow
@pytest.mark.usefixtures("services")
def test_an_uploads_event_alone_takes_the_case_to_its_first_gate() -> None:
    from cases.db import session_scope
    from cases.repository import get_case

    case = submit_sample(sample_application(31))
    assert case.id is not None
    assert _case_runs(case.id) == []

    emit_case_event(case.id, reason="uploaded")
    deadline = time.monotonic() + 60
    while not _case_runs(case.id) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _case_runs(case.id), "the event started no flow run within a minute"

    wait_until_settled([case.id], timeout=300)
    with session_scope() as session:
        status = CaseStatus(get_case(session, case.id).status)
    assert status in {CaseStatus.AWAITING_VERIFICATION, CaseStatus.AWAITING_DECISION}
    assert DOCUMENT_UPLOADED in _case_events(case.id)  # the case's history in Prefect's feed


def test_without_a_prefect_server_configured_nothing_starts_one() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        pytest.raises(RuntimeError, match="permits up"),
    ):
        emit_case_event(1, reason="uploaded")
