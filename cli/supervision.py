"""Keeping the services of ``permits up`` alive, and finding what an earlier one left behind.

A service that dies is started again after a back-off (1, 2, 4 … 30 s); after
``service_restart_limit`` quick deaths in a row (each sooner than ``service_quick_death_s`` after
its start) the supervisor gives up, and ``permits up`` stops everything with a message naming the
service's log. Children are started with the kernel's parent-death signal, so a supervisor that
is killed (even with SIGKILL) takes them with it.
"""

from __future__ import annotations

import _thread
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cases.errors import PermitsError
from cases.processes import pid_alive, same_data_folder
from cases.settings import Settings

__all__ = ["ServiceError", "Supervised", "Supervisor", "clear_leftovers"]

MAX_BACKOFF_S = 30.0


class ServiceError(PermitsError):
    """A service would not start or stopped unexpectedly; the message names its log file."""


class Supervised(Protocol):
    """What a supervisor watches: named child processes it can restart, each with a log
    (``cli.services.Services`` is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def processes(self) -> Mapping[str, subprocess.Popen[bytes]]: ...

    def log_path(self, name: str) -> Path: ...

    def restart(self, name: str) -> None: ...

    def write_state(self) -> None: ...

    def note(self, message: str) -> None: ...


@dataclass
class _Child:
    started: float
    quick_deaths: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Watches the services from a thread; ``failure`` is set (and the main thread interrupted)
    when one keeps dying."""

    services: Supervised
    poll_s: float = 0.5
    failure: ServiceError | None = None
    _children: dict[str, _Child] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        now = time.monotonic()
        self._children = {name: _Child(now) for name in self.services.processes}
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.check()
            except ServiceError as exc:
                self.failure = exc
                _thread.interrupt_main()  # `permits up` turns this into the message above
                return

    def check(self) -> None:
        """Restart what died (once its back-off has passed); raise when one keeps dying."""
        settings = self.services.settings
        for name, process in list(self.services.processes.items()):
            child = self._children.setdefault(name, _Child(time.monotonic()))
            now = time.monotonic()
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self.services.restart(name)
                    child.started, child.restart_at = time.monotonic(), None
                    self.services.write_state()
                continue
            if process.poll() is None:
                if now - child.started >= settings.service_quick_death_s:
                    child.quick_deaths = 0  # it has lived long enough: a fresh start
                continue
            log = self.services.log_path(name)
            quick = now - child.started < settings.service_quick_death_s
            child.quick_deaths = child.quick_deaths + 1 if quick else 1
            if child.quick_deaths >= settings.service_restart_limit:
                raise ServiceError(
                    f"the {name} process stopped {child.quick_deaths} times in a row soon after "
                    f"starting (last exit code {process.returncode}); stopping everything. "
                    f"See {log}"
                )
            delay = min(MAX_BACKOFF_S, 2.0 ** (child.quick_deaths - 1))
            child.restart_at = now + delay
            self.services.note(
                f"the {name} process stopped (exit code {process.returncode}); restarting it in "
                f"{delay:.0f} s (see {log})"
            )


def clear_leftovers(state_file: Path, prefect_home: Path) -> list[str]:
    """Deal with the ``services.json`` of an earlier ``permits up`` on this data folder.

    Its supervisor still running: refuse, saying how to stop it. Dead, with children still alive
    (ours: their environment names this data folder): stop them. Everything dead: forget it.
    Returns what was stopped, for a message.
    """
    if not state_file.exists():
        return []
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        state = {}
    supervisor = state.get("supervisor_pid")
    if isinstance(supervisor, int) and supervisor != os.getpid() and pid_alive(supervisor):
        raise ServiceError(
            f"`permits up` is already running on this data folder (pid {supervisor}); stop it "
            f"with Ctrl-C in its terminal or `kill {supervisor}`"
        )
    pids = state.get("pids", {})
    ours = {
        name: pid
        for name, pid in pids.items()
        if isinstance(pid, int) and pid_alive(pid) and same_data_folder(pid, prefect_home)
    }
    for pid in ours.values():
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while any(pid_alive(pid) for pid in ours.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in ours.values():
        if pid_alive(pid):
            _signal_group(pid, signal.SIGKILL)
    state_file.unlink(missing_ok=True)
    return [f"{name} (pid {pid})" for name, pid in ours.items()]


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # each service leads its own process group
    except (ProcessLookupError, PermissionError):
        with suppress(ProcessLookupError):
            os.kill(pid, sig)
