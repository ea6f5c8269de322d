"""Migration 0017 (precedents) on a database holding cases decided before it: the table starts
empty, and ``permits review embed-precedents`` makes those decided cases precedents (the
undecided one stays out)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlmodel import select

from cases.db import alembic_config, get_engine, session_scope
from cases.models import Precedent
from cases.precedents import backfill_precedents
from tests.conftest import Invoke
from tests.test_letter_versions_migration import _insert, old_field


def _old_case(connection: Any, reference: str, status: str, outcome: str | None) -> int:
    case_id = _insert(
        connection,
        "case",
        reference=reference,
        permit_type="food-business-licence",
        status=status,
        decided_outcome=outcome,
        submitted_at="2026-11-01 09:00:00",
        updated_at="2026-11-02 09:00:00",
    )
    for name, value in (("business_type", "Restaurant"), ("floor_area_m2", "80")):
        old_field(connection, case_id, name, value)
    return case_id


@pytest.fixture
def old_cases(db: str) -> tuple[int, int]:
    config = alembic_config(db)
    command.downgrade(config, "0016")
    try:
        with get_engine(db).begin() as connection:
            decided = _old_case(connection, "OLD-1", "closed", "refuse")
            waiting = _old_case(connection, "OLD-2", "awaiting_decision", None)
    finally:
        command.upgrade(config, "head")
    return decided, waiting


def test_cases_decided_before_the_migration_become_precedents_by_the_backfill(
    old_cases: tuple[int, int], cli: Invoke
) -> None:
    decided, _waiting = old_cases
    with session_scope() as session:
        assert session.exec(select(Precedent)).all() == []
    result = cli("review", "embed-precedents")
    assert result.exit_code == 0, result.output
    with session_scope() as session:
        (row,) = session.exec(select(Precedent)).all()
    assert (row.case_id, row.outcome) == (decided, "refuse")
    assert row.key_values == {"business_type": "Restaurant", "floor_area_m2": 80.0}
    assert backfill_precedents().embedded == 0
