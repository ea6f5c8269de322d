"""Processes of this machine: whether one still lives, and tying a child's life to its parent's.

``permits up`` starts its services with :func:`die_with_parent` so that killing it (even with
SIGKILL) takes them down too, and a flow run records :func:`process_marker` on its Prefect run so
the resume sweep can tell a run whose process died from one that is still working.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
from pathlib import Path

__all__ = [
    "DIE_WITH_PARENT",
    "die_with_parent",
    "pid_alive",
    "process_marker",
    "run_process_alive",
    "same_data_folder",
]

#: Set by ``permits up`` in its services' environment (inherited by the flow runs they start):
#: such a run asks to die with the process that started it.
DIE_WITH_PARENT = "PERMITS_DIE_WITH_PARENT"
_PR_SET_PDEATHSIG = 1
_libc: ctypes.CDLL | None = None


def _load_libc() -> ctypes.CDLL | None:
    """Loaded in the parent, before any fork: a child between fork and exec must not load it."""
    global _libc
    if _libc is None and os.name == "posix" and (name := ctypes.util.find_library("c")):
        _libc = ctypes.CDLL(name, use_errno=True)
    return _libc


_load_libc()


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux only).

    SIGKILL by default: a Prefect runner told SIGTERM tries to tell its (dead) server first and
    hangs on; killed outright, its runs are found dead by the sweep and resumed.

    Used as a ``preexec_fn`` (between fork and exec) and by a flow run for itself. If the parent
    is already gone (it died before the request took effect), exit at once.
    """
    if _libc is None or not hasattr(os, "getppid"):
        return
    parent = os.getppid()
    _libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent == 1 or os.getppid() != parent:
        os._exit(1)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _state(pid) != "Z"  # a zombie has died, it only waits for its parent


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[0]


def process_marker() -> str:
    """``host:pid`` of this process, as a run records it for the sweep."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_process_alive(marker: str | None) -> bool | None:
    """True/False for a ``host:pid`` marker of this machine; None when it cannot be told here."""
    if not marker or ":" not in marker:
        return None
    host, _, pid = marker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    return pid_alive(int(pid))


def same_data_folder(pid: int, prefect_home: Path) -> bool:
    """Whether a live process was started for this data folder (its PREFECT_HOME says so).

    Guards against a recycled PID: only a process whose environment names this folder is ours.
    """
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"PREFECT_HOME={prefect_home}".encode() in environ
