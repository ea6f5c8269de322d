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

import math
import os
import random
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, col

from cases.access import create_user, get_user
from cases.db import get_engine, upgrade_database
from cases.errors import PermitsError
from cases.models import ApprovalTask, Role, TaskStatus
from cases.settings import get_settings
from tools.bench.seed import BENCH_USERNAME, seed_cases
from web.app import create_app

with warnings.catch_warnings():
    # Starlette prefers httpx2 for its test client; httpx works (as in tests/web).
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = [
    "DEFAULT_POSTGRES_URL",
    "TARGET_P95_MS",
    "BenchRefused",
    "add_bench_user",
    "bench_inbox",
    "settle",
]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbox"
TARGET_P95_MS = 150.0
PAGE_SIZE = 25  # the inbox route's page size
_PASSWORD = "bench-password-not-secret"
_WARM_UP = 2  # rounds over every inbox variant, and case pages, before timing
_REFERENCE = re.compile(r'<td><a href="/cases/\d+">([A-Z]+-\d{4}-\d+)</a></td>')

Progress = Callable[[str], None]
Steps = Callable[[str, int, int | None], None]


class BenchRefused(PermitsError):
    """The benchmark would have written into a database that is not its own."""


@dataclass
class _Timings:
    inbox_ms: list[float] = field(default_factory=list)
    case_ms: list[float] = field(default_factory=list)
    inbox_listed: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile (the value that ``percent`` % of the requests did not exceed)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def _summary(name: str, values: list[float]) -> dict[str, float]:
    return {
        f"{name}_p50_ms": round(_percentile(values, 50), 1),
        f"{name}_p95_ms": round(_percentile(values, 95), 1),
        f"{name}_max_ms": round(max(values), 1),
    }


# --- databases -----------------------------------------------------------------------------------


def _same_database(url: str, other: str) -> bool:
    return make_url(url).render_as_string(hide_password=False) == make_url(other).render_as_string(
        hide_password=False
    )


def _fresh_postgres(url: str) -> None:
    """Create the bench database if missing, then drop its tables and migrate it from scratch."""
    if _same_database(url, get_settings().resolved_database_url):
        raise BenchRefused(
            f"{make_url(url).render_as_string(hide_password=True)} is the configured database; "
            "the benchmark drops its tables, so give it a database of its own (--postgres-url)"
        )
    name = make_url(url).database
    if not name:
        raise BenchRefused("--postgres-url names no database")
    server = create_engine(
        make_url(url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        with server.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(name)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        server.dispose()
    with get_engine(url).begin() as connection:
        SQLModel.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_database(url)


@contextmanager
def _settings_pointed_at(url: str, data_dir: Path) -> Iterator[None]:
    """The app reads its database from the settings: point them at the bench's, then back."""
    names = ("PERMITS_DATABASE_URL", "PERMITS_DATA_DIR")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["PERMITS_DATABASE_URL"] = url
    os.environ["PERMITS_DATA_DIR"] = str(data_dir)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


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


def settle(engine: Engine) -> None:
    """What autovacuum does soon after a bulk load on PostgreSQL (13+ vacuums insert-only tables
    too): statistics for the planner, a visibility map for index-only scans."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


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
    table = body.split('<table class="inbox">', 1)
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
    with _settings_pointed_at(url, data_dir):
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
        **_summary("inbox", timings.inbox_ms),
        **_summary("case", timings.case_ms),
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
        _fresh_postgres(url)
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
