"""Engines, sessions and migrations.

SQLite (the embedded default) is opened in WAL mode and every transaction starts with
``BEGIN IMMEDIATE``: the web app, the flow runs and the OCR worker are separate processes writing to
one file, and a deferred transaction that reads then writes can fail with "database is locked" when
another process committed in between. Taking the write lock up front turns that into a short wait.
A session that only reads (``read_scope``) starts a plain deferred transaction instead: under WAL
it reads a snapshot and neither waits for a writer nor makes one wait (a burst's flow runs asking
which stage comes next all queued behind each other's writes for the lock).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlmodel import Session

from cases.errors import DatabaseNotMigrated, StorageUnavailable
from cases.settings import PROJECT_ROOT, get_settings

__all__ = [
    "alembic_config",
    "ensure_migrated",
    "get_engine",
    "prepare_data_folder",
    "read_scope",
    "session_scope",
    "set_busy_timeout",
    "upgrade_database",
]


_busy_timeout_ms = 30_000
#: SQLite's unix file layer opens no file whose full name is this long or longer ("unable to open
#: database file"), though the file system would take it.
SQLITE_MAX_PATHNAME = 512
#: The execution option a reading session's engine carries (see ``read_scope``).
_READ_ONLY = "permits_read_only"


def set_busy_timeout(seconds: float) -> None:
    """How long this process waits for a locked SQLite database before "database is locked".

    Workers wait long (30 s); the web app waits a few seconds and answers "busy, try again"
    rather than keep a person staring at a page that will fail anyway. Applied at the start of
    every transaction, so pooled connections follow at once.
    """
    global _busy_timeout_ms
    _busy_timeout_ms = int(seconds * 1000)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={_busy_timeout_ms}")
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    return _engine_for(url or get_settings().resolved_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose transaction commits when the block ends normally and rolls back otherwise."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that only reads: on SQLite it takes no write lock (what it would write is
    rolled back); elsewhere the same as ``session_scope``."""
    engine = (engine or get_engine()).execution_options(**{_READ_ONLY: True})
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.expunge_all()  # what was read stays readable, as after session_scope's commit
            session.rollback()


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url or get_settings().resolved_database_url)
    return config


def upgrade_database(url: str | None = None) -> None:
    """Apply every migration up to the newest one (idempotent)."""
    url = url or get_settings().resolved_database_url
    config = alembic_config(url)
    with get_engine(url).connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def prepare_data_folder() -> None:
    """Make the data folder and Prefect's home in it; a path the file system, or SQLite for the
    embedded databases, cannot take is one line saying to choose a shorter one (not a traceback
    from whichever part met it first)."""
    settings = get_settings()
    folder = settings.resolved_data_dir
    try:
        settings.prefect_home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
        raise StorageUnavailable("path_too_long", folder) from None
    embedded = [folder / "permits.db"] if settings.database_url is None else []
    if settings.prefect_database_url is None:
        embedded.append(settings.prefect_home / "prefect.db")
    if any(len(os.fsencode(path)) >= SQLITE_MAX_PATHNAME for path in embedded):
        raise StorageUnavailable("path_too_long", folder)


def ensure_migrated(engine: Engine | None = None, *, create_if_new: bool = False) -> None:
    """Refuse to work on a database whose schema is not the one this code was written for.

    With ``create_if_new`` (``permits up``, ``permits demo``) an embedded (SQLite) database with
    no tables at all, as a new data folder has, is created at the newest revision; one at an
    older revision is still refused, since upgrading it is the operator's decision.
    """
    engine = engine or get_engine()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        empty = current is None and not inspect(connection).get_table_names()
    if create_if_new and empty and engine.url.get_backend_name() == "sqlite":
        upgrade_database(engine.url.render_as_string(hide_password=False))
        return
    if current != head:
        state = "has no tables yet" if current is None else f"is at revision {current}"
        raise DatabaseNotMigrated(
            f"The database {engine.url.render_as_string(hide_password=True)} {state}; "
            f"this version needs revision {head}. Run: permits db upgrade"
        )


# Every session keeps the KPI summaries of the cases it changes (after each flush, around each
# bulk UPDATE or DELETE): registered here, where every engine and session comes from.
import cases.kpi_summaries  # noqa: E402, F401
