"""The migrations build exactly the schema the models describe, and a stale database is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, inspect
from sqlmodel import SQLModel

from cases.db import ensure_migrated, get_engine, upgrade_database
from cases.errors import DatabaseNotMigrated


def test_migrated_schema_matches_the_models(db: str) -> None:
    with get_engine(db).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_comparison_would_notice_a_model_without_a_migration(db: str) -> None:
    metadata = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("inspection", metadata, Column("id", Integer, primary_key=True))
    with get_engine(db).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [(d[0], d[1].name) for d in differences] == [("add_table", "inspection")]


def test_migrated_test_database_is_accepted(db: str) -> None:
    ensure_migrated(get_engine(db))


def _tables(url: str) -> set[str]:
    return set(inspect(get_engine(url)).get_table_names())


def test_empty_database_is_refused_until_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = get_engine(url)
    try:
        with pytest.raises(DatabaseNotMigrated) as caught:
            ensure_migrated(engine)
        message = str(caught.value)
        assert "has no tables yet" in message
        assert "Run: permits db upgrade" in message
        assert str(tmp_path / "fresh.db") in message

        upgrade_database(url)
        ensure_migrated(engine)
        tables = _tables(url)
        assert {t.name for t in SQLModel.metadata.sorted_tables} | {"alembic_version"} == tables

        upgrade_database(url)  # a second run changes nothing and does not fail
        ensure_migrated(engine)
        assert _tables(url) == tables
    finally:
        engine.dispose()
