"""``permits bench kpi``: how fast the KPI dashboard answers over 100,000 cases.

The cases are seeded as ``permits bench inbox`` seeds them (:func:`tools.bench.seed.seed_cases`),
into a throw-away SQLite file, or into ``--keep FILE``, which a later run reuses instead of seeding
again (seeding 100,000 cases takes minutes); on PostgreSQL ``--keep-postgres`` does the same with
the ``--postgres-url`` database, which is then not emptied. A senior caseworker logged in through
the real login form then asks the real app, in-process, for ``/kpi`` with the filters people use
(everything, one permit type, a quarter). Two numbers per page: **cold**, the figures recomputed
for every request (what the first manager to look after a change waits), and **as served**, where
the page reuses figures under a minute old while the audit chain has not moved
(:func:`cases.reporting.current_dashboard`). Each response is checked (status 200, every chart
drawn), so a fast error page cannot pass for a fast page.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from cases.db import get_engine, upgrade_database
from cases.models import Case, Role
from cases.reporting import KPI_TABLES, forget_dashboards
from tools.bench import Steps
from tools.bench.databases import fresh_postgres, settings_pointed_at, settle
from tools.bench.inbox import _logged_in, add_bench_user
from tools.bench.seed import seed_cases
from tools.bench.timings import timing_summary
from web.app import create_app

with warnings.catch_warnings():
    # Starlette prefers httpx2 for its test client; httpx works (as in tests/web).
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["TARGET_P95_MS", "bench_kpi"]

TARGET_P95_MS = 500.0
SENIOR = "bench.senior"
Say = Callable[[str], None]


def _variants(now: dt.date) -> list[str]:
    quarter = (now - dt.timedelta(days=91)).isoformat()
    return [
        "/kpi",
        "/kpi?permit_type=food-business-licence",
        f"/kpi?since={quarter}",
        f"/kpi?permit_type=liquor-licence&since={quarter}&until={now.isoformat()}",
    ]


def _stored_cases(url: str) -> int:
    with Session(get_engine(url)) as session:
        return int(session.execute(select(func.count()).select_from(Case)).scalar_one())


def _seeded(url: str, cases: int, say: Say, steps: Steps | None) -> tuple[int, float | None]:
    """Reuse what the database holds when it has the cases asked for; else seed it afresh."""
    upgrade_database(url)
    stored = _stored_cases(url)
    if stored >= cases:
        say(f"reusing the {stored:,} cases already seeded")
        return stored, None
    if stored:
        raise RuntimeError(f"the bench database holds {stored:,} cases, not {cases:,}: remove it")
    say(f"seeding {cases:,} cases")
    report = seed_cases(get_engine(url), cases, steps=steps)
    settle(get_engine(url))
    return report.cases, round(report.seconds, 1)


def _timed(
    client: TestClient, paths: list[str], requests: int, cold: bool, steps: Steps | None
) -> tuple[list[float], list[str]]:
    times, failures = [], []
    what = "dashboard requests, figures recomputed" if cold else "dashboard requests, as served"
    for n in range(requests):
        if cold:
            forget_dashboards()
        path = paths[n % len(paths)]
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or response.text.count('role="img"') < len(KPI_TABLES) - 2:
            failures.append(f"{path}: HTTP {response.status_code}")
        if steps:
            steps(what, n + 1, requests)
    return times, failures


def _measure(
    url: str, data_dir: Path, cases: int, requests: int, say: Say, steps: Steps | None
) -> dict[str, Any]:
    stored, seed_s = _seeded(url, cases, say, steps)
    add_bench_user(get_engine(url), SENIOR, Role.SENIOR_CASEWORKER, "Bench Senior")
    paths = _variants(dt.date.today())
    with settings_pointed_at(url, data_dir):
        app = create_app(trigger=lambda _case_id, _reason: None)
        with TestClient(app) as client:
            _logged_in(client, SENIOR)
            for path in paths:  # warm the caches the process keeps (catalogue, templates)
                client.get(path)
            cold, failures = _timed(client, paths, requests, True, steps)
            served, more = _timed(client, paths, requests, False, steps)
    return {
        **timing_summary("cold", cold),
        **timing_summary("served", served),
        "cases": stored,
        "seed_s": seed_s,
        "requests": requests,
        "failures": (failures + more)[:20],
    }


def bench_kpi(
    *,
    cases: int = 100_000,
    requests: int = 40,
    keep: Path | None = None,
    postgres_url: str | None = None,
    keep_postgres: bool = False,
    progress: Say | None = None,
    steps: Steps | None = None,
) -> dict[str, Any]:
    """Seed (or reuse) the cases and time the dashboard; ``{"sqlite" or "postgres": {...}}``."""
    say = progress or (lambda _message: None)
    with tempfile.TemporaryDirectory(prefix="permits-bench-kpi-") as folder:
        if postgres_url:
            fresh_postgres(postgres_url, empty=not keep_postgres)
            return {"postgres": _measure(postgres_url, Path(folder), cases, requests, say, steps)}
        url = f"sqlite:///{keep or Path(folder) / 'bench.db'}"
        try:
            return {"sqlite": _measure(url, Path(folder), cases, requests, say, steps)}
        finally:
            get_engine(url).dispose()
