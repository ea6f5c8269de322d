"""The stage table: each automatic stage written once, and everything about stages read from it."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from cases.db import alembic_config, get_engine
from cases.lifecycle import (
    ALLOWED,
    AUTOMATIC_STATUSES,
    STAGES,
    CaseStatus,
    Stage,
    StageStep,
    runs_in,
    stage_for,
)
from cases.stages import RUNNERS


def _reachable(start: CaseStatus, target: CaseStatus, through: frozenset[CaseStatus]) -> bool:
    """Whether ``target`` follows ``start`` by allowed transitions passing only ``through``."""
    seen, frontier = {start}, [start]
    while frontier:
        status = frontier.pop()
        for following in ALLOWED[status]:
            if following == target:
                return True
            if following in through and following not in seen:
                seen.add(following)
                frontier.append(following)
    return False


def test_every_stage_is_in_the_table_once_with_one_function() -> None:
    assert [step.stage for step in STAGES] == list(Stage)
    assert set(RUNNERS) == set(Stage)
    statuses = [status for step in STAGES for status in step.runs_in]
    assert len(statuses) == len(set(statuses)), "a status runs exactly one stage"


@pytest.mark.parametrize("step", STAGES, ids=lambda step: step.stage)
def test_a_stage_leads_only_where_the_lifecycle_allows(step: StageStep) -> None:
    for start in step.runs_in:
        for target in step.leads_to:
            assert _reachable(start, target, step.runs_in), (start, target)


def test_automatic_statuses_are_exactly_those_a_stage_runs_in() -> None:
    assert frozenset(s for step in STAGES for s in step.runs_in) == AUTOMATIC_STATUSES
    waiting = {CaseStatus.AWAITING_VERIFICATION, CaseStatus.AWAITING_DECISION}
    assert not waiting & AUTOMATIC_STATUSES  # a gate waits for a person, never for the flow


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        (CaseStatus.SUBMITTED, Stage.EXTRACT),
        (CaseStatus.EXTRACTING, Stage.EXTRACT),
        (CaseStatus.CHECKING, Stage.ELIGIBILITY),
        (CaseStatus.REVIEWING, Stage.REVIEW),
        (CaseStatus.REVIEWED, Stage.PROPOSE),
        (CaseStatus.DECIDED, Stage.LETTER),
        (CaseStatus.AWAITING_DECISION, None),
        (CaseStatus.LETTER_ISSUED, None),
    ],
)
def test_the_next_stage_is_read_from_the_status(status: CaseStatus, stage: Stage | None) -> None:
    assert stage_for(status) == stage
    if stage is not None:
        assert status in runs_in(stage)


def test_migration_moves_a_reviewed_case_waiting_for_its_proposal(db: str) -> None:
    """0005: a case reviewed under the old table (still 'reviewing', its review stored) becomes
    'reviewed'; one not yet reviewed stays 'reviewing'."""
    config = alembic_config(db)
    command.downgrade(config, "0004")
    try:
        with get_engine(db).begin() as connection:
            for case_id, reference in ((1, "FBL-1"), (2, "FBL-2")):
                connection.execute(
                    text(
                        'INSERT INTO "case" (id, reference, permit_type, status, submitted_at, '
                        "updated_at) VALUES (:id, :ref, 'food-business-licence', 'reviewing', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"id": case_id, "ref": reference},
                )
            connection.execute(
                text(
                    "INSERT INTO review (case_id, reviewer, reviewer_version, inputs_hash, risk, "
                    "findings, created_at) VALUES (1, 'r', '1', 'h', 'low', '{}', "
                    "CURRENT_TIMESTAMP)"
                )
            )
    finally:
        command.upgrade(config, "head")
    with get_engine(db).connect() as connection:
        rows = connection.execute(text('SELECT id, status FROM "case" ORDER BY id')).all()
    assert [tuple(row) for row in rows] == [(1, "reviewed"), (2, "reviewing")]
