"""Killing processes for real: the OCR worker during a read, a flow-run process after the
eligibility check. Each case is picked up again and finishes with one set of fields, one letter
per decision and language, and no duplicate audit events.

The services are started as `permits up` starts them (same code, supervisor included), on a new
data folder; processes are killed with SIGKILL, which no handler can soften.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import pytest
from sqlmodel import col, select

from cases.db import session_scope
from cases.gates import decide
from cases.lifecycle import CaseStatus
from cases.models import AuditEvent, ExtractedField, Letter
from cases.processes import pid_alive
from cases.repository import get_case
from cases.settings import get_settings
from cli.demo import wait_until_settled
from cli.services import Services
from flows.deployments import create_case_run, start_case_flow
from tests.factories import CASEWORKER, sample_application, submit_sample
from tests.services import embedded_services
from tests.test_case_flow import confirm_fields_if_flagged, decision_task_id, run_flow

pytestmark = pytest.mark.slow

ELIGIBLE = {"business_type": "Restaurant", "floor_area_m2": "60.5", "seating_capacity": "40"}


@pytest.fixture(scope="module")
def services(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    with embedded_services(tmp_path_factory.mktemp("crash")) as running:
        yield running


def wait_for(condition: Callable[[], object], *, timeout: float, poll: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(poll)
    return value


def status(case_id: int) -> CaseStatus:
    with session_scope() as session:
        return CaseStatus(get_case(session, case_id).status)


def to_decision(case_id: int) -> int:
    """Run the case to its decision gate (confirming fields as read if asked); the task's id."""
    run_flow(case_id)
    confirm_fields_if_flagged(case_id)
    assert status(case_id) == CaseStatus.AWAITING_DECISION
    return decision_task_id(case_id)


def assert_done_once(case_id: int) -> None:
    """One set of fields, one letter per language, and no audit event recorded twice."""
    with session_scope() as session:
        fields = session.exec(
            select(ExtractedField.name).where(ExtractedField.case_id == case_id)
        ).all()
        letters = session.exec(
            select(Letter.outcome, Letter.language).where(Letter.case_id == case_id)
        ).all()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.seq))
        ).all()
    assert fields
    assert len(fields) == len(set(fields)), "a field was stored twice"
    assert letters
    assert len(letters) == len(set(letters)), "a letter was issued twice"
    repeated = Counter(
        (event.action, repr(sorted(event.payload.items())))
        for event in events
        if event.action not in {"processing.failed"}
    )
    assert [key for key, n in repeated.items() if n > 1] == []
    issued = [event for event in events if event.action == "letter.issued"]
    assert len(issued) == len(letters)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        os.kill(pid, signal.SIGKILL)


def test_the_ocr_worker_killed_mid_read_is_restarted_and_the_case_finishes(
    services: Services,
) -> None:
    leases = get_settings().prefect_home / "ocr-leases"
    worker = services.processes["ocr-worker"].pid
    case = submit_sample(sample_application(31, overrides=ELIGIBLE))
    assert case.id is not None
    start_case_flow(case.id, reason="test")

    wait_for(lambda: leases.exists() and any(leases.iterdir()), timeout=300)
    _kill_group(worker)

    wait_for(lambda: services.processes["ocr-worker"].pid != worker, timeout=60)
    wait_until_settled([case.id], timeout=400)
    assert status(case.id) in {CaseStatus.AWAITING_VERIFICATION, CaseStatus.AWAITING_DECISION}
    with session_scope() as session:
        fields = session.exec(
            select(ExtractedField.name).where(ExtractedField.case_id == case.id)
        ).all()
    assert fields
    assert len(fields) == len(set(fields))


def test_a_flow_run_killed_after_eligibility_is_resumed_to_one_letter(
    services: Services,
) -> None:
    from prefect.client.orchestration import get_client

    from flows.resume import cases_with_active_runs, resume_stalled_cases

    case = submit_sample(sample_application(32, overrides=ELIGIBLE))
    assert case.id is not None
    decide(to_decision(case.id), "approve", "", actor=CASEWORKER)
    run_id = create_case_run(case.id, reason="decided")  # its run, not the event that starts one

    def run_process() -> int | None:
        with get_client(sync_client=True) as client:
            marker = client.read_flow_run(UUID(run_id)).infrastructure_pid
        return int(marker.rsplit(":", 1)[1]) if marker else None

    pid = wait_for(run_process, timeout=120)
    assert isinstance(pid, int)
    time.sleep(random.uniform(0, 1.0))  # somewhere in the letter stage, or just before it
    assert status(case.id) == CaseStatus.DECIDED, "the run finished before it could be killed"
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), timeout=10)

    # The sweep (as it runs every resume_interval_s) finds the dead run and resumes the case.
    def resumed() -> bool:
        if status(case.id) == CaseStatus.LETTER_ISSUED or case.id in cases_with_active_runs():
            return True  # finished before the kill landed, or the served sweep was first
        return case.id in resume_stalled_cases.fn(older_than_s=0)

    wait_for(resumed, timeout=60, poll=2)
    wait_for(lambda: status(case.id) == CaseStatus.LETTER_ISSUED, timeout=300, poll=1)
    with session_scope() as session:
        failed = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "processing.failed"
            )
        ).all()
    with get_client(sync_client=True) as client:
        killed = client.read_flow_run(UUID(run_id)).state
    assert killed is not None
    # The killed run is CRASHED (by its runner, or by the sweep) and said so once on the case.
    assert (killed.type.value, len(failed)) == ("CRASHED", 1)
    assert_done_once(case.id)
