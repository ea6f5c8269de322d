"""The benchmarks' own databases: a throw-away PostgreSQL database made fresh (never the
configured one), the settings pointed at a bench database and data folder while it is measured,
and a bulk load settled the way autovacuum would."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from cases.db import get_engine, upgrade_database
from cases.errors import PermitsError
from cases.settings import get_settings

__all__ = ["BenchRefused", "fresh_postgres", "same_database", "settings_pointed_at", "settle"]


class BenchRefused(PermitsError):
    """The benchmark would have written into a database that is not its own."""


def same_database(url: str, other: str) -> bool:
    return make_url(url).render_as_string(hide_password=False) == make_url(other).render_as_string(
        hide_password=False
    )


def fresh_postgres(url: str, *, empty: bool = True) -> None:
    """Create the bench database if missing, then drop its tables (unless ``empty`` is False:
    a bench that reuses what it seeded) and migrate it."""
    if same_database(url, get_settings().resolved_database_url):
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
    if empty:
        with get_engine(url).begin() as connection:
            SQLModel.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_database(url)


@contextmanager
def settings_pointed_at(url: str, data_dir: Path) -> Iterator[None]:
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


def settle(engine: Engine) -> None:
    """What autovacuum does soon after a bulk load on PostgreSQL (13+ vacuums insert-only tables
    too): statistics for the planner, a visibility map for index-only scans."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
