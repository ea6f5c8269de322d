"""Migration 0013 gives existing cases a due date: the one their tasks already carry (submission
plus the service level), and, for an open case with no task, one counted in working days by the
next service-level sweep (audited). A case waiting for the applicant has its clock paused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic import command
from sqlmodel import select

from cases.calendar import office_date
from cases.db import alembic_config, get_engine, session_scope
from cases.models import AuditEvent, Case
from cases.service_levels import sweep_service_levels
from tests.test_letter_versions_migration import _insert

pytestmark = pytest.mark.usefixtures("db")


def _old_case(connection: Any, reference: str, status: str) -> int:
    return _insert(
        connection,
        "case",
        reference=reference,
        permit_type="food-business-licence",
        status=status,
        submitted_at="2027-01-29 02:00:00",
        updated_at="2027-02-01 02:00:00",
    )


@pytest.fixture
def upgraded(db: str) -> dict[str, Case]:
    config = alembic_config(db)
    command.downgrade(config, "0012")
    try:
        with get_engine(db).begin() as connection:
            with_task = _old_case(connection, "OLD-1", "awaiting_decision")
            _insert(
                connection,
                "approvaltask",
                case_id=with_task,
                kind="decide",
                status="open",
                reason="{}",
                required_role="caseworker",
                created_at="2027-02-01 02:00:00",
                due_at="2027-02-28 02:00:00",
                step=1,
            )
            _old_case(connection, "OLD-2", "awaiting_applicant")
            _old_case(connection, "OLD-3", "closed")
    finally:
        command.upgrade(config, "head")
    with session_scope() as session:
        return {case.reference: case for case in session.exec(select(Case))}


def test_old_cases_take_their_tasks_due_date_and_a_waiting_case_is_paused(
    upgraded: dict[str, Case],
) -> None:
    assert upgraded["OLD-1"].due_at is not None
    assert upgraded["OLD-1"].due_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2027, 2, 28, 2, tzinfo=dt.UTC
    )
    assert upgraded["OLD-2"].due_at is None
    assert upgraded["OLD-2"].clock_paused_at is not None
    assert upgraded["OLD-1"].clock_paused_at is None
    assert upgraded["OLD-3"].due_at is None


def test_the_sweep_counts_the_rest_in_working_days_and_audits_it(
    upgraded: dict[str, Case],
) -> None:
    sweep = sweep_service_levels(dt.datetime(2027, 2, 1, 2, tzinfo=dt.UTC))
    assert sweep.due_set == [upgraded["OLD-2"].id]  # open, no due date; a closed case keeps none
    with session_scope() as session:
        case = session.get(Case, upgraded["OLD-2"].id)
        assert case is not None
        assert case.due_at is not None
        assert office_date(case.due_at) == dt.date(2027, 3, 16)  # 30 working days, CNY skipped
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "service_level.due_set"
            )
        ).one()
    assert event.actor == "system:service-levels"
