"""Start, watch and stop the embedded services of one data folder.

``permits up`` (and ``permits demo`` when nothing is running) start: a local Prefect server on
SQLite in the data folder, the process serving the case-flow deployment, the OCR task worker and
(for ``up``) the web app and the scanner drop box's watcher. Their URLs and PIDs go into
``<data>/services.json`` so other commands on the same data folder find them; two data folders
never share anything.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cases.processes import DIE_WITH_PARENT, die_with_parent
from cases.settings import Settings, get_settings
from cli.supervision import ServiceError, Supervisor, clear_leftovers
from flows.env import prefect_environment

__all__ = ["Services", "running_services", "start_services"]

# A new data folder's server first creates its database: ~10 s on a quiet machine, more than
# two minutes on a busy one (a benchmark's every run starts on a new folder).
PREFECT_START_TIMEOUT_S = 300
OCR_START_TIMEOUT_S = 300  # loading the model takes ~10 s on a quiet machine, minutes on a busy one


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)  # unwinds the context managers, so every child process is stopped


@dataclass
class Services:
    settings: Settings
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)
    environments: dict[str, dict[str, str]] = field(default_factory=dict)  # a restart reuses it

    @property
    def state_file(self) -> Path:
        return self.settings.resolved_data_dir / "services.json"

    def log_path(self, name: str) -> Path:
        return self.settings.resolved_data_dir / "logs" / f"{name}.log"

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = self.log_path(name)
        log.parent.mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            **prefect_environment(self.settings),
            **(env or {}),
            DIE_WITH_PARENT: "1",
        }
        self.commands[name] = command
        self.environments[name] = env or {}
        with log.open("ab") as handle:
            self.processes[name] = subprocess.Popen(
                command,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
                preexec_fn=die_with_parent,  # killed when we die, even by SIGKILL
            )
        self.write_state()  # at once: a supervisor killed while starting leaves a trace

    def restart(self, name: str) -> None:
        old = self.processes[name]
        if old.poll() is None:
            return
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(old.pid, signal.SIGKILL)  # what it left behind in its group
        self.start(name, self.commands[name], self.environments[name])

    def note(self, message: str) -> None:
        """A line for the operator (the terminal of `permits up`)."""
        print(message, file=sys.stderr, flush=True)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise ServiceError(
                    f"the {name} process stopped (exit code {process.returncode}); "
                    f"see {self.log_path(name)}"
                )

    def write_state(self) -> None:
        self.state_file.write_text(
            json.dumps(
                {
                    "prefect_api_url": self.settings.effective_prefect_api_url,
                    "web_url": self.settings.web_url if "web" in self.processes else None,
                    "pids": {name: p.pid for name, p in self.processes.items()},
                    "supervisor_pid": os.getpid(),
                },
                indent=2,
            )
        )

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.state_file.unlink(missing_ok=True)


def _python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def _wait_healthy(services: Services, url: str, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.check_alive()
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ServiceError(f"the {name} did not answer at {url} within {timeout:.0f} s")


def _port_in_use(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True


def _start_workers(services: Services, settings: Settings) -> None:
    """The case-flow runners and the OCR workers, as many as the settings say (one each by
    default); each OCR worker's OpenMP pool is sized before torch loads."""
    for index in range(settings.case_runners):
        suffix = f"-{index + 1}" if settings.case_runners > 1 else ""
        register = "--register" if index == 0 else "--no-register"  # one creates the triggers
        services.start(
            f"deployments{suffix}", _python_module("cli.main", "worker", "deployments", register)
        )
    threads = str(settings.effective_ocr_threads)
    for index in range(settings.ocr_workers):
        suffix = f"-{index + 1}" if settings.ocr_workers > 1 else ""
        services.start(
            f"ocr-worker{suffix}",
            _python_module("cli.main", "worker", "ocr"),
            env={"PERMITS_OCR_THREADS": threads, "OMP_NUM_THREADS": threads},
        )


def _wait_ocr_workers(services: Services, settings: Settings, timeout: float) -> None:
    """Until the OCR workers have their model loaded and listen for work (Prefect lists a task
    worker once it subscribes, which ours do after loading)."""
    url = f"{settings.effective_prefect_api_url}/task_workers/filter"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.check_alive()
        try:
            if len(httpx.post(url, json={}, timeout=2).json()) >= settings.ocr_workers:
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise ServiceError(f"the OCR workers were not ready within {timeout:.0f} s")


@contextmanager
def start_services(
    *, web: bool, dropbox: bool = False, settings: Settings | None = None, workers: bool = True
) -> Iterator[Services]:
    """Start the services, yield once they answer, and stop them all on the way out (without
    ``workers``, only the Prefect server: a benchmark brings its own)."""
    settings = settings or get_settings()
    services = Services(settings)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    signal.signal(signal.SIGHUP, _exit_on_sigterm)
    # Ctrl-C must stop everything even when a shell started us with SIGINT ignored (`cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    health = f"{settings.effective_prefect_api_url}/health"
    stopped = clear_leftovers(services.state_file, settings.prefect_home)
    if stopped:
        services.note(
            "stopped what an earlier `permits up` of this data folder left running: "
            + ", ".join(stopped)
        )
    if settings.prefect_api_url is None and _port_in_use(health):
        raise ServiceError(
            f"port {settings.prefect_port} already answers and it is not this data folder's "
            "Prefect server (another data folder's?); set PERMITS_PREFECT_PORT to a free port"
        )
    try:
        if settings.prefect_api_url is None:
            services.start(
                "prefect-server",
                _python_module(
                    "prefect",
                    "server",
                    "start",
                    "--host",
                    settings.prefect_host,
                    "--port",
                    str(settings.prefect_port),
                ),
            )
            _wait_healthy(services, health, "Prefect server", PREFECT_START_TIMEOUT_S)
        if not workers:
            yield services
            return
        _start_workers(services, settings)
        _wait_healthy(
            services,
            f"{settings.effective_prefect_api_url}/deployments/name/process-case/process-case",
            "case-flow deployment",
            90,
        )
        _wait_ocr_workers(services, settings, OCR_START_TIMEOUT_S)
        if web:
            services.start(
                "web",
                _python_module(
                    "uvicorn",
                    "web.app:app",
                    "--host",
                    settings.web_host,
                    "--port",
                    str(settings.web_port),
                ),
            )
            _wait_healthy(services, f"{settings.web_url}/healthz", "web app", 60)
        if dropbox:  # after the deployment answers: what it finds at start-up starts flows
            services.start("dropbox", _python_module("cli.main", "dropbox", "watch"))
        services.write_state()
        supervisor = Supervisor(services)
        supervisor.start()
        try:
            yield services
        except KeyboardInterrupt:
            if supervisor.failure is None:
                raise
        finally:
            supervisor.stop()
        if supervisor.failure is not None:
            raise supervisor.failure
    finally:
        services.stop()


def running_services(settings: Settings | None = None) -> dict[str, object] | None:
    """The services another ``permits up`` runs on this data folder, if they still answer; on a
    machine told of an existing Prefect server (``PERMITS_PREFECT_API_URL``, the README's other
    machines), that server, whose workers may run anywhere."""
    settings = settings or get_settings()
    state_file = settings.resolved_data_dir / "services.json"
    state: dict[str, object]
    if state_file.exists():
        state = json.loads(state_file.read_text())
    elif settings.prefect_api_url is not None:
        state = {"prefect_api_url": settings.prefect_api_url, "pids": {}}
    else:
        return None
    try:
        healthy = httpx.get(f"{state['prefect_api_url']}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        healthy = False
    return state if healthy else None
