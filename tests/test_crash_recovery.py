"""Killing processes for real: the OCR worker during a read, a flow-run process after the
eligibility check, the whole `permits up` while a letter is printed, then the supervisor of the
restarted one alone. Each case is picked up again and finishes with one set of fields, one letter
per decision and language, and no duplicate audit events; no service outlives its supervisor.

The services are started as `permits up` starts them (same code, supervisor included), on a new
data folder; processes are killed with SIGKILL, which no handler can soften.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock
from uuid import UUID

import pytest
from sqlmodel import col, select

from cases.db import read_scope, session_scope, upgrade_database
from cases.gates import decide
from cases.lifecycle import CaseStatus
from cases.models import AuditEvent, ExtractedField, Letter
from cases.processes import pid_alive
from cases.repository import get_case
from cases.settings import Settings, get_settings
from cli.demo import wait_until_settled
from cli.services import Services
from cli.supervision import clear_leftovers
from flows.deployments import create_case_run, start_case_flow
from tests.factories import CASEWORKER, decided_case, sample_application, submit_sample
from tests.services import embedded_services, free_port
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
    with read_scope() as session:  # a reader waits for no writer
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


def resumed(case_id: int) -> bool:
    """The sweep (as it runs every resume_interval_s) finds the dead run and resumes the case."""
    from flows.resume import cases_with_active_runs, resume_stalled_cases

    if status(case_id) == CaseStatus.LETTER_ISSUED or case_id in cases_with_active_runs():
        return True  # finished before the kill landed, or the served sweep was first
    return case_id in resume_stalled_cases.fn(older_than_s=0)


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

    wait_for(lambda: resumed(case.id), timeout=60, poll=2)
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


def _permits_up(folder: Path, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """`permits up` in a process group of its own, once it says it is up (its services answer)."""
    log = folder / f"up-{len(list(folder.glob('up-*.log'))) + 1}.log"  # one log per start
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "up"],
            env={**os.environ, **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def up() -> bool:
        assert process.poll() is None, f"permits up stopped: {log.read_text()[-500:]}"
        return "press Ctrl-C to stop" in log.read_text()

    wait_for(up, timeout=420, poll=1)
    return process


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def up_folder(data_dir: Path, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A new data folder and the environment `permits up` runs on it with: documents in a
    file:// store beside it, ports of its own."""
    folder = tmp_path / "data"
    folder.mkdir()
    environment = {
        "PERMITS_DATA_DIR": str(folder),
        "PERMITS_DOCUMENT_STORE": (tmp_path / "store").as_uri(),
        "PERMITS_PREFECT_PORT": str(free_port()),
        "PERMITS_WEB_PORT": str(free_port()),
        "PERMITS_OCR_THREADS": "1",
    }
    with mock.patch.dict(os.environ, environment):
        os.environ.pop("PERMITS_DATABASE_URL", None)
        get_settings.cache_clear()
        upgrade_database()
        yield folder, environment
    get_settings.cache_clear()


def _supervisor_killed_alone_takes_every_service_down(
    up: subprocess.Popen[bytes], folder: Path, environment: dict[str, str]
) -> None:
    """SIGKILL to `permits up`'s supervisor alone (no handler of it runs): every service it
    started (Prefect server, case-flow runner, OCR worker, web app, drop box) dies with it, and
    nothing of it is left to block the next `permits up` of the folder."""
    import httpx

    state_file = folder / "services.json"
    pids: dict[str, int] = json.loads(state_file.read_text())["pids"]
    assert {"prefect-server", "deployments", "ocr-worker", "web", "dropbox"} <= set(pids)
    assert all(pid_alive(pid) for pid in pids.values())
    up.kill()
    up.wait(timeout=10)

    def alive() -> dict[str, int]:
        return {name: pid for name, pid in pids.items() if pid_alive(pid)}

    with contextlib.suppress(AssertionError):  # timed out: the assertion below names them
        wait_for(lambda: not alive(), timeout=60)
    assert alive() == {}
    assert clear_leftovers(state_file, Settings(data_dir=folder).prefect_home) == []
    port = environment["PERMITS_PREFECT_PORT"]
    with pytest.raises(httpx.HTTPError):  # the server's port is free
        httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)


def test_permits_up_killed_while_a_letter_is_printed_finishes_it_once_after_a_restart(
    up_folder: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The whole process group killed mid-letter; then, the letter issued by the restarted
    `permits up`, its supervisor alone killed (one start shared by the two scenarios: a start
    costs tens of seconds)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    folder, environment = up_folder
    case_id = decided_case("approve")
    with session_scope() as session:
        session.add(ExtractedField(case_id=case_id, name="applicant_name", value="CHAN Tai Man"))
    store = tmp_path / "store"
    up = _permits_up(folder, environment)
    try:
        with temporary_settings({PREFECT_API_URL: get_settings().effective_prefect_api_url}):
            create_case_run(case_id, reason="decided")
            # The letter's HTML is stored before its PDF is printed: the stage is under way.
            wait_for(lambda: store.exists() and any(store.rglob("*")), timeout=300, poll=0.05)
            os.killpg(up.pid, signal.SIGKILL)  # the supervisor and every service and run
            assert status(case_id) == CaseStatus.DECIDED, "the letter was issued before the kill"
            up.wait(timeout=10)
            wait_for(lambda: _group_gone(up.pid), timeout=30)

            up = _permits_up(folder, environment)
            wait_for(lambda: resumed(case_id), timeout=120, poll=2)
            wait_for(lambda: status(case_id) == CaseStatus.LETTER_ISSUED, timeout=300, poll=1)
        _supervisor_killed_alone_takes_every_service_down(up, folder, environment)
    finally:
        if up.poll() is None:  # the test failed before the last kill
            os.kill(up.pid, signal.SIGINT)  # Ctrl-C: it stops its services
            with contextlib.suppress(subprocess.TimeoutExpired):
                up.wait(timeout=60)
        with contextlib.suppress(ProcessLookupError):
            _kill_group(up.pid)  # whatever did not stop
    assert_done_once(case_id)
