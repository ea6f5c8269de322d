"""``permits bench inbox``: how fast the inbox and the case page answer over 100,000 cases.

For each database (a throw-away SQLite file in a temporary data folder, and a throw-away
PostgreSQL database, ``bench_inbox`` by default, created if missing and emptied), the real schema is
built by the migrations, :func:`tools.bench.seed.seed_cases` bulk-inserts the cases, and a
caseworker logged in through the real login form requests pages from the real app in-process
(Starlette's test client: routing, session cookie, database, templates; no network). Each
response is checked (status 200, the seeded tasks listed, the case's reference shown) so that a
fast error page cannot pass for a fast page.

The settings are pointed at the bench database only while it is measured; the configured
database is never opened, and a ``--postgres-url`` naming it is refused.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from cases.access import create_user, get_user
from cases.db import get_engine, upgrade_database
from cases.models import ApprovalTask, Role, TaskStatus
from tools.bench import Steps
from tools.bench.databases import fresh_postgres, settings_pointed_at, settle
from tools.bench.seed import BENCH_USERNAME, seed_cases
from tools.bench.timings import timing_summary
from web.app import create_app

with warnings.catch_warnings():
    # Starlette prefers httpx2 for its test client; httpx works (as in tests/web).
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = [
    "DEFAULT_POSTGRES_URL",
    "TARGET_P95_MS",
    "add_bench_user",
    "bench_inbox",
]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbox"
TARGET_P95_MS = 150.0
PAGE_SIZE = 25  # the inbox route's page size
_PASSWORD = "bench-password-not-secret"
_WARM_UP = 2  # rounds over every inbox variant, and case pages, before timing
_REFERENCE = re.compile(r'<td[^>]*><a href="/cases/\d+">([A-Z]+-\d{4}-\d+)</a></td>')

Progress = Callable[[str], None]


@dataclass
class _Timings:
    inbox_ms: list[float] = field(default_factory=list)
    case_ms: list[float] = field(default_factory=list)
    inbox_listed: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def add_bench_user(engine: Engine, username: str, role: Role, display_name: str) -> None:
    """The account the bench logs in as (left as it is when an earlier run made it)."""
    with Session(engine) as session:
        if get_user(session, username) is None:
            create_user(
                session,
                username=username,
                password=_PASSWORD,
                role=role,
                display_name=display_name,
                actor="bench",
            )
            session.commit()


def _team_tasks(url: str) -> int:
    with Session(get_engine(url)) as session:
        statement = (
            select(func.count())
            .select_from(ApprovalTask)
            .where(
                col(ApprovalTask.status) == TaskStatus.OPEN,
                col(ApprovalTask.required_role) == Role.CASEWORKER,
            )
        )
        return int(session.execute(statement).scalar_one())


# --- requests ------------------------------------------------------------------------------------


def inbox_variants(team_tasks: int) -> dict[str, str]:
    """The inbox as caseworkers use it: their queue, filtered, and a later page."""
    later = max(2, min(40, team_tasks // PAGE_SIZE // 2))
    return {
        "team": "/inbox",
        "permit type": "/inbox?permit_type=temporary-event-permit",
        "kind": "/inbox?kind=decide",
        "overdue": "/inbox?due=overdue",
        "claimed by me": "/inbox?queue=mine",
        "all, high risk": "/inbox?queue=all&risk=high",
        "all, due this week": "/inbox?queue=all&due=week",
        f"page {later}": f"/inbox?page={later}",
    }


def _logged_in(client: TestClient, username: str = BENCH_USERNAME) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "the login page has no CSRF field"
    response = client.post(
        "/login",
        data={"username": username, "password": _PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise RuntimeError(f"the bench user could not log in: HTTP {response.status_code}")


def _timed_get(client: TestClient, path: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    response = client.get(path)
    return (time.perf_counter() - started) * 1000, response.status_code, response.text


def _check_inbox(timings: _Timings, name: str, status: int, body: str) -> None:
    table = body.split('<section aria-labelledby="tasks-heading">', 1)  # the queue's own table
    listed = len(_REFERENCE.findall(table[1].split("</table>", 1)[0])) if len(table) == 2 else 0
    timings.inbox_listed[name] = min(timings.inbox_listed.get(name, listed), listed)
    if status != 200 or not listed:
        timings.failures.append(f"inbox '{name}': HTTP {status}, {listed} task(s) listed")


def _measure(
    client: TestClient,
    variants: dict[str, str],
    case_ids: list[int],
    requests: int,
    steps: Steps | None = None,
) -> _Timings:
    timings = _Timings()
    rng = random.Random(7)
    for _ in range(_WARM_UP):
        for path in variants.values():
            client.get(path)
        for case_id in rng.sample(case_ids, min(len(case_ids), 5)):
            client.get(f"/cases/{case_id}")
    names = list(variants)
    for n in range(requests):
        name = names[n % len(names)]
        elapsed, status, body = _timed_get(client, variants[name])
        timings.inbox_ms.append(elapsed)
        _check_inbox(timings, name, status, body)
        case_id = rng.choice(case_ids)
        elapsed, status, body = _timed_get(client, f"/cases/{case_id}")
        timings.case_ms.append(elapsed)
        if status != 200 or 'id="audit-heading"' not in body:
            timings.failures.append(f"case {case_id}: HTTP {status}")
        if steps:
            steps("requests timed", n + 1, requests)
    return timings


# --- one database -------------------------------------------------------------------------------


def _bench_database(
    backend: str,
    url: str,
    data_dir: Path,
    cases: int,
    requests: int,
    say: Progress,
    steps: Steps | None = None,
) -> dict[str, Any]:
    engine = get_engine(url)
    # the bench's own data folder from the start: the seeded audit chain is keyed with its key
    with settings_pointed_at(url, data_dir):
        say(f"{backend}: seeding {cases:,} cases")
        report = seed_cases(engine, cases, steps=steps)
        settle(engine)
        variants = inbox_variants(_team_tasks(url))
        tasks = f"{report.open_tasks:,} open tasks"
        say(f"{backend}: {tasks}; measuring {requests} requests of each page")
        add_bench_user(engine, BENCH_USERNAME, Role.CASEWORKER, "Bench Caseworker")
        app = create_app(trigger=lambda _case_id, _reason: None)
        with TestClient(app) as client:
            _logged_in(client)
            case_ids = list(range(1, report.cases + 1))
            timings = _measure(client, variants, case_ids, requests, steps)
    return {
        **timing_summary("inbox", timings.inbox_ms),
        **timing_summary("case", timings.case_ms),
        "seed_s": round(report.seconds, 1),
        "cases": report.cases,
        "open_tasks": report.open_tasks,
        "requests": requests,
        "inbox_listed": timings.inbox_listed,
        "failures": timings.failures[:20],
    }


def _bench_sqlite(
    cases: int, requests: int, say: Progress, steps: Steps | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="permits-bench-inbox-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_database(url)
        try:
            return _bench_database("sqlite", url, Path(folder), cases, requests, say, steps)
        finally:
            get_engine(url).dispose()


def _bench_postgres(
    url: str, cases: int, requests: int, say: Progress, steps: Steps | None = None
) -> dict[str, Any]:
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        fresh_postgres(url)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        return {"error": f"PostgreSQL is unreachable at {shown}: {reason}"}
    with tempfile.TemporaryDirectory(prefix="permits-bench-inbox-") as folder:
        return _bench_database("postgres", url, Path(folder), cases, requests, say, steps)


def bench_inbox(
    *,
    cases: int = 100_000,
    requests: int = 200,
    backend: str = "both",
    postgres_url: str = DEFAULT_POSTGRES_URL,
    progress: Progress | None = None,
    steps: Steps | None = None,
) -> dict[str, Any]:
    """Seed and measure each chosen database; ``{"sqlite": {...}, "postgres": {...}}``."""
    say = progress or (lambda _message: None)
    result: dict[str, Any] = {}
    if backend in ("sqlite", "both"):
        result["sqlite"] = _bench_sqlite(cases, requests, say, steps)
    if backend in ("postgres", "both"):
        result["postgres"] = _bench_postgres(postgres_url, cases, requests, say, steps)
    return result
