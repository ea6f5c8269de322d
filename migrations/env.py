"""Alembic environment: targets SQLModel.metadata; batch mode on SQLite (limited ALTER TABLE)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import cases.models  # noqa: F401 - registers the tables on SQLModel.metadata
from cases.db import get_engine

config = context.config
target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    # Batch mode rebuilds a SQLite table by copying it and dropping the old one, which SQLite
    # refuses while rows of other tables (or of itself: a reissued letter names its successor)
    # refer to it. Keys are off while the migrations run (a pragma that works only outside a
    # transaction, so it goes to the driver before SQLAlchemy begins one) and all rows are
    # checked against them before the transaction commits.
    raw = connection.connection.dbapi_connection if sqlite else None
    keys_off = raw is not None and not connection.in_transaction()
    if keys_off:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(
                        f"the migrations left rows referring to nothing: {broken[:5]}"
                    )
    finally:
        if keys_off:
            connection.commit()
            raw.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
        connection.commit()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
