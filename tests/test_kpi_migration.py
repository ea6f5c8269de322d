"""Migration 0014 adds the KPI indexes to a database that already holds cases, and takes them
away again on downgrade; the rows and the figures read from them are the same either side."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlmodel import Session

from cases.db import alembic_config, get_engine
from cases.reporting import KpiFilters, compute_dashboard
from tests.kpi_cases import NOW, seed_kpi_cases

_INDEXES = {
    "ix_extractedfield_name_status": "extractedfield",
    "ix_extractedfield_corrected": "extractedfield",
    "ix_auditevent_action_case_id": "auditevent",
    "ix_approvaltask_kpi_times": "approvaltask",
}


def _indexes(url: str) -> set[str]:
    inspector = inspect(get_engine(url))
    return {
        index["name"] or ""
        for table in set(_INDEXES.values())
        for index in inspector.get_indexes(table)
        if index["name"] in _INDEXES
    }


def _figures(url: str) -> dict[str, object]:
    with Session(get_engine(url)) as session:
        return compute_dashboard(session, KpiFilters(), now=NOW).as_json()["tables"]  # type: ignore[return-value]


@pytest.mark.usefixtures("db")
def test_indexes_come_and_go_around_existing_cases(db: str) -> None:
    with Session(get_engine(db)) as session:
        seed_kpi_cases(session)
    before = _figures(db)
    config = alembic_config(db)
    command.downgrade(config, "0014-1")  # the revision before 0014, however chained
    try:
        assert _indexes(db) == set()
    finally:
        command.upgrade(config, "head")
    assert _indexes(db) == set(_INDEXES)
    after = _figures(db)
    # Going below 0016 on the way drops the caseworkers' verdicts on findings with their table;
    # every other figure reads the same rows as before.
    assert after.pop("findings") != before.pop("findings")
    assert after == before
