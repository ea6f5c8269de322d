"""The runs of `permits bench e2e`: per database, the burst on one worker and on W workers.

Each run gets a new data folder and fresh databases (the case database and, on PostgreSQL, the
Prefect server's too) and the same Prefect port, so this process's event client, made once,
reaches every run's server.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import create_engine, make_url, text

from cases.db import upgrade_database
from cases.errors import PermitsError
from cases.intake import Upload
from cases.settings import get_settings
from tools.bench import Steps
from tools.bench.databases import fresh_postgres
from tools.bench.e2e import FLOW_RUN, RunReport, TaskTiming, mixed_uploads, run_burst, summarise

__all__ = ["ServicesFactory", "bench_e2e", "prefect_task_timings"]

#: Given a run's environment (PERMITS_* already set), start the services: ``cli`` passes its own.
ServicesFactory = Callable[[], AbstractContextManager[dict[str, int]]]
Progress = Callable[[str], None]
_CASE = re.compile(r"(?:^|-)case-(\d+)$")


def prefect_task_timings() -> Iterator[TaskTiming]:
    """Every task run the server recorded for a case (stage tasks and deferred readings), and
    every case flow run (named ``FLOW_RUN`` + its name)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for read, prefix in ((client.read_task_runs, ""), (client.read_flow_runs, FLOW_RUN)):
            for offset in range(0, 100_000, 200):
                runs: list[Any] = list(read(limit=200, offset=offset))
                yield from _timings(runs, prefix)
                if len(runs) < 200:
                    break


def _timings(runs: list[Any], prefix: str) -> Iterator[TaskTiming]:
    for run in runs:
        match = _CASE.search(run.name)
        if match and run.start_time and run.end_time:
            created = run.expected_start_time or run.created or run.start_time
            yield TaskTiming(
                int(match.group(1)),
                prefix + run.name,
                created.timestamp(),
                run.start_time.timestamp(),
                run.end_time.timestamp(),
            )


def _fresh_prefect_database(url: str) -> None:
    """Drop and create the Prefect server's PostgreSQL database (the server migrates it)."""
    name = make_url(url).database
    server = create_engine(
        make_url(url).set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with server.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name or "")
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        server.dispose()


@contextmanager
def _run_environment(values: dict[str, str | None]) -> Iterator[None]:
    """The run's ``PERMITS_*`` values (None: unset) in the environment, restored after."""
    with mock.patch.dict(os.environ):
        for name, value in values.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


def _one_run(
    start: ServicesFactory,
    backend: str,
    workers: int,
    batches: Sequence[Sequence[Upload]],
    *,
    urls: dict[str, str],
    timeout: float,
    progress: Progress,
    steps: Steps | None,
) -> RunReport:
    from flows.deployments import start_case_flow

    folder = Path(tempfile.mkdtemp(prefix=f"bench-e2e-{backend}-{workers}-"))
    postgres = backend == "postgres"
    environment = {
        "PERMITS_DATA_DIR": str(folder),
        "PERMITS_DATABASE_URL": urls["cases"] if postgres else None,
        "PERMITS_PREFECT_DATABASE_URL": urls["prefect"] if postgres else None,
        "PERMITS_CASE_RUNNERS": str(workers),
        "PERMITS_OCR_WORKERS": str(workers),
        "PERMITS_OCR_THREADS": "1",  # single-threaded OCR workers, so scaling is by workers
    }
    if postgres:  # before the environment names it: the bench refuses to empty that one
        fresh_postgres(urls["cases"])
        _fresh_prefect_database(urls["prefect"])
    with _run_environment(environment):
        if not postgres:
            upgrade_database()
        return run_burst(
            start,
            batches,
            workers=workers,
            emit=lambda case_id: start_case_flow(case_id, reason="submitted"),
            read_tasks=prefect_task_timings,
            timeout=timeout,
            progress=progress,
            steps=steps,
            label=f"{backend}, {workers} worker(s): ",
        )


def bench_e2e(
    start: ServicesFactory,
    *,
    cases: int,
    workers: int,
    backends: tuple[str, ...],
    urls: dict[str, str],
    timeout: float,
    progress: Progress | None = None,
    steps: Steps | None = None,
) -> dict[str, Any]:
    """Per database: the burst on one, two and ``workers`` workers; the figures are those of
    ``workers``, and ``scaling_2_workers`` is two workers' throughput over one's."""
    began = time.monotonic()

    def say(message: str) -> None:
        if progress is not None:
            progress(f"[{time.monotonic() - began:6.0f} s] {message}")

    result: dict[str, Any] = {}
    say(f"generating {cases} applications…")
    batches = mixed_uploads(cases, seed=4000)  # the same burst for every run
    counts = sorted({1, 2, workers})
    runs = len(backends) * len(counts)
    for done, backend in enumerate(backends):
        reports: dict[int, RunReport] = {}
        try:
            for count in counts:
                if steps is not None:
                    steps("runs done", done * len(counts) + len(reports), runs)
                say(f"{backend}: {cases} cases, {count} worker(s)…")
                reports[count] = _one_run(
                    start,
                    backend,
                    count,
                    batches,
                    urls=urls,
                    timeout=timeout,
                    progress=say,
                    steps=steps,
                )
        except PermitsError as error:  # the other database's figures still count
            result[backend] = {"error": str(error)}
            continue
        result[backend] = summarise(reports[workers], one=reports[1], two=reports[2])
        say(f"{backend}: {result[backend]}")
    if steps is not None:
        steps("runs done", runs, runs)
    return result
