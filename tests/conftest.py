"""Shared fixtures: a private data folder per test session, and migrated databases.

Database tests run on SQLite and on PostgreSQL (127.0.0.1:5432, database ``test``; override with
PERMITS_TEST_POSTGRES_URL). The schema is migrated once per backend per session; each test starts
with empty tables.

The suite runs in pytest-xdist workers (``-n`` in pyproject's addopts), one test file per worker at
a time: each worker is a session of its own, with its own data folder (tmp_path_factory's), and
its own PostgreSQL database, the configured name with the worker's id appended (``test_gw0``),
created on first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from typer.testing import CliRunner

import cases.models  # noqa: F401 - registers tables
from cases.catalogue import load_catalogue
from cases.db import get_engine, upgrade_database
from cases.precedents import forget_precedents
from cases.settings import get_settings
from cli.main import app

Invoke = Callable[..., Result]
UseStore = Callable[[dict[str, str]], None]


def _share_the_cores_among_workers() -> None:
    """Give this xdist worker's torch (and the OCR workers its tests start) its share of the
    cores, before torch loads: each worker sizing torch for every core oversubscribes them, and
    torch's threads then wait on each other (cores // workers, at least 1; unchanged by -n 0 or
    when PERMITS_OCR_THREADS is set)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1 and "PERMITS_OCR_THREADS" not in os.environ:
        threads = str(max(1, len(os.sched_getaffinity(0)) // workers))
        os.environ["PERMITS_OCR_THREADS"] = threads
        os.environ.setdefault("OMP_NUM_THREADS", threads)


_share_the_cores_among_workers()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files with slow tests (real Prefect servers, OCR, killed processes) run first, the
    rest after them in their usual order. xdist hands a worker a file at a time in this order:
    a slow file started last would leave the other workers idle until it ends."""
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)  # stable: each file's tests keep theirs


def _worker_database(url: str) -> str:
    """The URL with this xdist worker's id appended to the database name (unchanged without
    xdist), so that parallel workers never empty each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


POSTGRES_URL = _worker_database(
    os.environ.get("PERMITS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
)


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("permits-data")
    saved = {k: v for k, v in os.environ.items() if k.startswith("PERMITS_")}
    os.environ["PERMITS_DATA_DIR"] = str(folder)
    os.environ["PERMITS_ENVIRONMENT"] = "development"
    os.environ.pop("PERMITS_DATABASE_URL", None)
    get_settings.cache_clear()
    load_catalogue.cache_clear()
    yield folder
    for key in [k for k in os.environ if k.startswith("PERMITS_")]:
        del os.environ[key]
    os.environ.update(saved)
    get_settings.cache_clear()


def _reset_postgres(url: str) -> None:
    """Start from an empty schema, whatever an earlier run (of this or another revision of the
    project, with tables and constraints these models do not know) left in the database, which
    is created first if the server does not have it yet (a worker's own)."""
    name = make_url(url).database
    server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        known = "SELECT 1 FROM pg_database WHERE datname = :name"
        if connection.execute(text(known), {"name": name}).first() is None:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


_migrated: dict[str, str] = {}  # backend -> URL of its database, migrated in this process


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """Migrated once per backend per process. An xdist worker runs a file's SQLite tests, then its
    PostgreSQL ones, then the next file's: pytest sets this fixture up again at each switch, and
    the database migrated the first time is reused rather than dropped and migrated again."""
    url = _migrated.get(request.param)
    if url is not None:
        return url
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'test.db'}"
    else:
        url = POSTGRES_URL
        _reset_postgres(url)
    upgrade_database(url)
    _migrated[request.param] = url
    return url


def _empty_tables(url: str) -> None:
    engine = get_engine(url)
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # one round trip instead of one per table
            quote = engine.dialect.identifier_preparer.quote
            connection.exec_driver_sql("; ".join(f"DELETE FROM {quote(t.name)}" for t in tables))
            return
        for table in tables:
            connection.execute(table.delete())


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty database that the code under test reaches through its settings."""
    monkeypatch.setenv("PERMITS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    _empty_tables(database_url)
    # checkpoints of the trail a previous test wrote would name events these tables no longer hold
    get_settings().resolved_audit_anchor_file.unlink(missing_ok=True)
    forget_precedents()  # emptied tables reuse ids on SQLite: the process's matrix starts again
    yield database_url
    get_settings.cache_clear()


@pytest.fixture
def cli() -> Iterator[Invoke]:
    """Run `permits ...` in-process; the CLI's callback writes PREFECT_* variables, undone here."""
    saved = dict(os.environ)
    runner = CliRunner()
    try:
        yield lambda *args: runner.invoke(app, list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible endpoint for the document store (tests/services.py: local_s3)."""
    from tests.services import local_s3

    with local_s3() as url:
        yield url


@pytest.fixture
def use_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[UseStore]:
    """Point the document store elsewhere (``PERMITS_DOCUMENT_STORE…`` variables) for one test;
    the settings are read afresh, and again once the variables are restored."""

    def use(environment: dict[str, str]) -> None:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()
