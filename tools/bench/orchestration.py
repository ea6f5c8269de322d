"""`permits bench orchestration`: what Prefect costs per case flow run, each way of running it.

A flow of five trivial tasks (the case flow's shape with no work in it) is run through a
deployment, one run at a time, by:

- ``serve``: ``prefect.serve()``, a new Python process per flow run (what the project used);
- ``runner``: the in-process runner of ``flows.runner`` (flow runs in threads of one process);
- ``deferred``: the in-process runner, every stage a background task served by a task worker
  (``.delay()``), as a flow that spread all its stages over workers would.

What is left of each run's time is orchestration. Run as ``python -m tools.bench.orchestration
MODE`` this module is the long-lived process of that mode.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prefect import flow, task

from tools.bench import Steps, no_steps

__all__ = ["MODES", "bench_orchestration"]

STAGES = 5
MODES = {
    "serve": "bench-noop/serve",
    "runner": "bench-noop/runner",
    "deferred": "bench-deferred/runner",
}


@task(name="bench-stage")
def bench_stage(index: int) -> int:
    return index


@flow(name="bench-noop")
def noop_case(stages: int = STAGES) -> None:
    for index in range(stages):
        bench_stage(index)


@flow(name="bench-deferred")
def deferred_case(stages: int = STAGES) -> None:
    for index in range(stages):
        bench_stage.delay(index).result(timeout=120)


def _serve_process() -> None:
    from prefect import serve
    from prefect.types.entrypoint import EntrypointType

    deployment = noop_case.to_deployment(name="serve", entrypoint_type=EntrypointType.MODULE_PATH)
    serve(deployment, limit=4)  # type: ignore[arg-type]


def _runner_process() -> None:
    from prefect.task_worker import serve as serve_tasks

    from flows.runner import InProcessRunner

    pairs: list[tuple[Any, Any]] = [
        (noop_case, noop_case.to_deployment(name="runner")),
        (deferred_case, deferred_case.to_deployment(name="runner")),
    ]
    runner = InProcessRunner(pairs, slots=4)
    threading.Thread(target=runner.run_forever, daemon=True).start()
    serve_tasks(bench_stage, limit=4)  # the task worker for ``deferred`` (idle otherwise)


@contextmanager
def _process(mode: str) -> Iterator[None]:
    command = [sys.executable, "-m", "tools.bench.orchestration", mode]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        child.terminate()
        child.wait(timeout=30)


def _wait_for_deployment(name: str, timeout: float = 120) -> None:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            try:
                client.read_deployment_by_name(name)
                return
            except Exception:
                time.sleep(0.5)
    raise RuntimeError(f"the deployment {name} did not appear within {timeout:.0f} s")


def _one_run(name: str) -> dict[str, float]:
    """Create a run, wait for it to finish; seconds from created to started and to finished."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    run = run_deployment(name, timeout=0, as_subflow=False)
    with get_client(sync_client=True) as client:
        while True:
            current = client.read_flow_run(run.id)  # type: ignore[union-attr]
            if current.state is not None and current.state.is_final():
                break
            time.sleep(0.1)
    assert current.start_time is not None
    assert current.end_time is not None
    assert current.created is not None
    if not current.state.is_completed():
        raise RuntimeError(f"{name}: run ended {current.state}")
    return {
        "to_running_s": (current.start_time - current.created).total_seconds(),
        "run_s": (current.end_time - current.start_time).total_seconds(),
        "total_s": (current.end_time - current.created).total_seconds(),
    }


def _timed_runs(mode: str, runs: int, steps: Steps) -> list[dict[str, float]]:
    """A warm-up run, then ``runs`` timed ones, each counted on the mode's bar."""
    what = f"{mode}: flow runs timed"
    _one_run(MODES[mode])  # the first run warms up the process
    steps(what, 0, runs)
    timings = []
    for _ in range(runs):
        timings.append(_one_run(MODES[mode]))
        steps(what, len(timings), runs)
    return timings


def bench_orchestration(
    runs: int,
    progress: Callable[[str], None] | None = None,
    steps: Steps | None = None,
) -> dict[str, dict[str, float]]:
    """Median seconds per flow run of the five-task flow in each mode (needs PREFECT_API_URL)."""
    say = progress or (lambda _message: None)
    result: dict[str, dict[str, float]] = {}
    for mode, process in (("serve", "serve"), ("runner", "runner"), ("deferred", "runner")):
        with _process(process):
            _wait_for_deployment(MODES[mode])
            timings = _timed_runs(mode, runs, steps or no_steps)
        result[mode] = {
            key: round(statistics.median(t[key] for t in timings), 2) for key in timings[0]
        }
        say(f"{mode}: {result[mode]}")
    return result


if __name__ == "__main__":
    # Through the package's name, so the flows' entrypoints and pickled tasks name that module.
    import importlib

    module = importlib.import_module("tools.bench.orchestration")
    getattr(module, f"_{sys.argv[1]}_process")()
