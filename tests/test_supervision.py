"""`permits up` keeps its services alive, dies with them, and cleans up after an earlier one.

Real processes throughout: small Python children stand in for the services' commands (the real
services are started the same way by the same code), killed with real signals. The real `permits
up` with its supervisor killed by SIGKILL is in tests/test_crash_recovery.py, on the start of
`permits up` that its killed-mid-letter test restarts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cases.processes import pid_alive
from cases.settings import Settings
from cli.services import Services
from cli.supervision import ServiceError, Supervisor, clear_leftovers

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
QUITTER = [sys.executable, "-c", "raise SystemExit(3)"]


def _wait_for(condition: Callable[[], bool], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path, service_restart_limit=3, service_quick_death_s=30)  # type: ignore[call-arg]
    services = Services(settings)
    try:
        yield services
    finally:
        services.stop()


def test_a_killed_service_is_started_again(services: Services) -> None:
    services.start("ocr-worker", SLEEPER)
    first = services.processes["ocr-worker"].pid
    supervisor = Supervisor(services, poll_s=0.1)
    supervisor.start()
    try:
        os.kill(first, signal.SIGKILL)
        assert _wait_for(lambda: services.processes["ocr-worker"].pid != first)
        assert services.processes["ocr-worker"].poll() is None
        state = json.loads(services.state_file.read_text())
        assert state["pids"]["ocr-worker"] == services.processes["ocr-worker"].pid
        assert supervisor.failure is None
    finally:
        supervisor.stop()


def test_a_service_that_keeps_dying_stops_everything_naming_its_log(services: Services) -> None:
    services.start("web", QUITTER)
    supervisor = Supervisor(services)

    def supervise() -> None:
        for _ in range(200):  # deaths 1 and 2 wait 1 and 2 s before their restart
            supervisor.check()
            time.sleep(0.05)

    with pytest.raises(ServiceError) as raised:
        supervise()
    message = str(raised.value)
    assert "the web process stopped 3 times in a row" in message
    assert "exit code 3" in message
    assert str(services.log_path("web")) in message


SUPERVISOR_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from cases.settings import Settings
    from cli.services import Services
    services = Services(Settings(data_dir=sys.argv[1]))
    services.start("worker", [sys.executable, "-c", "import time; time.sleep(120)"])
    print(services.processes["worker"].pid, flush=True)
    time.sleep(120)
    """
)


def test_children_die_with_a_supervisor_killed_by_sigkill(tmp_path: Path) -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR_SCRIPT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert supervisor.stdout is not None
    child = int(supervisor.stdout.readline())
    assert pid_alive(child)
    supervisor.kill()
    supervisor.wait()
    assert _wait_for(lambda: not pid_alive(child), timeout=10), "the child outlived the supervisor"


def _state(services: Services, **pids: int) -> None:
    services.state_file.parent.mkdir(parents=True, exist_ok=True)
    services.state_file.write_text(json.dumps({"pids": pids, "supervisor_pid": 999_999_999}))


def test_a_stale_state_file_of_dead_processes_is_forgotten(services: Services) -> None:
    _state(services, web=999_999_998, ocr_worker=999_999_997)
    assert clear_leftovers(services.state_file, services.settings.prefect_home) == []
    assert not services.state_file.exists()


def test_orphans_of_this_data_folder_are_stopped(services: Services) -> None:
    services.start("web", SLEEPER)  # as a killed supervisor leaves it: our environment
    orphan = services.processes["web"].pid
    stranger = subprocess.Popen(SLEEPER, start_new_session=True)  # another folder's process
    try:
        _state(services, web=orphan, other=stranger.pid)
        stopped = clear_leftovers(services.state_file, services.settings.prefect_home)
        assert stopped == [f"web (pid {orphan})"]
        assert _wait_for(lambda: services.processes["web"].poll() is not None)
        assert stranger.poll() is None, "a process of another data folder was stopped"
    finally:
        stranger.kill()
        stranger.wait()


def test_a_running_supervisor_is_not_started_twice(services: Services) -> None:
    services.state_file.parent.mkdir(parents=True, exist_ok=True)
    sleeper = subprocess.Popen(SLEEPER)
    try:
        services.state_file.write_text(json.dumps({"pids": {}, "supervisor_pid": sleeper.pid}))
        with pytest.raises(
            ServiceError, match=f"already running on this data folder \\(pid {sleeper.pid}\\)"
        ):
            clear_leftovers(services.state_file, services.settings.prefect_home)
    finally:
        sleeper.kill()
        sleeper.wait()
