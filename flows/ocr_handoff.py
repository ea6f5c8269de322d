"""Handing a case's reading to the warm OCR worker, and noticing when that worker died mid-read.

The worker writes a lease (``host:pid``) for each task run it works on, under the data folder's
Prefect home. A flow waiting on a read looks at the lease while it waits: if the process named
there is gone (SIGKILL, out of memory), the read is lost, since Prefect will not hand that task
run to another worker, so the flow marks it crashed and defers the read again, for the worker
that `permits up` restarted (or another one) to do. Reading is idempotent per case.

While it waits, a flow listens for the read's end on the event stream Prefect's task-run waiter
already follows, and asks the server only every ``ASK_EVERY_S``: a burst's queued flows (dozens)
each asking every few seconds doubled the requests the server served for the cases' work.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Task
from prefect.client.orchestration import get_client
from prefect.logging import get_logger
from prefect.runtime import task_run as current_task_run
from prefect.states import Crashed
from prefect.task_runs import TaskRunWaiter
from prefect.utilities.asyncutils import run_coro_as_sync

from cases.processes import process_marker, run_process_alive
from cases.settings import get_settings

__all__ = ["OcrWorkerLost", "read_lease", "read_with_worker"]

POLL_S = 5.0  # how often a waiting flow looks at the reader's lease
ASK_EVERY_S = 60.0  # how often it asks the server, should the end's event have gone missing
MAX_HANDOFFS = 3
#: What Prefect says when it reads the deferred run without a state: seen once in a benchmark on
#: a loaded machine (the run was created with one), which failed the case's flow run.
NOT_STARTED = "hasn't started yet"


class OcrWorkerLost(RuntimeError):
    """The OCR worker died reading this case, again and again."""


def _lease_path(task_run_id: str) -> Path:
    return get_settings().prefect_home / "ocr-leases" / task_run_id


@contextmanager
def read_lease() -> Iterator[None]:
    """Inside the OCR worker: say which process reads the current task run, while it does."""
    run_id = current_task_run.id
    if not run_id:
        yield
        return
    path = _lease_path(str(run_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(process_marker())
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _reader_died(task_run_id: str) -> bool:
    try:
        marker = _lease_path(task_run_id).read_text()
    except OSError:
        return False  # not picked up yet (or finished): nothing to say
    return run_process_alive(marker) is False


def _heard_end(task_run_id: UUID) -> bool:
    """Whether the task run's end arrived on the event stream within ``POLL_S`` (no request)."""
    ended = run_coro_as_sync(TaskRunWaiter.wait_for_task_run(task_run_id, timeout=POLL_S))
    return ended is not None


def read_with_worker(task: Task[[int], Any], case_id: int, *, timeout: float) -> Any:
    """Defer ``task(case_id)`` to an OCR worker and wait for it; hand it out again if the
    worker reading it dies (at most ``MAX_HANDOFFS`` times)."""
    deadline = time.monotonic() + timeout
    for handoff in range(1, MAX_HANDOFFS + 1):
        future = task.delay(case_id)
        run_id = str(future.task_run_id)
        ask_at = 0.0
        while True:
            try:
                if time.monotonic() >= ask_at:  # at first, then now and then: the server
                    ask_at = time.monotonic() + ASK_EVERY_S
                    return future.result(timeout=POLL_S)
                if _heard_end(future.task_run_id):
                    return future.result(timeout=POLL_S)
            except TimeoutError:
                pass
            except RuntimeError as error:  # read while the server re-recorded it from events
                if NOT_STARTED not in str(error):
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading case {case_id} took over {timeout:.0f} s")
            if _reader_died(run_id):
                break
        _lease_path(run_id).unlink(missing_ok=True)
        with get_client(sync_client=True) as client:
            client.set_task_run_state(
                UUID(run_id), Crashed(message="the OCR worker reading it died"), force=True
            )
        get_logger("permits.ocr").warning(
            "the OCR worker died reading case %s (hand-off %s); deferring the read again",
            case_id,
            handoff,
        )
    raise OcrWorkerLost(f"the OCR worker died {MAX_HANDOFFS} times reading case {case_id}")
