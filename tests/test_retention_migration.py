"""Migration 0015 on a database an earlier version wrote: a case already closed gets its closing
time from when its last status change was recorded (else its last update), an open case none;
the unkeyed audit chain is kept as it was written and keyed once (``permits db upgrade`` or the
first append), recorded as an ``audit.rekeyed`` event, after which it verifies with the key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic import command
from sqlalchemy import JSON, bindparam, text
from sqlmodel import col, select

from cases.audit import chained_row, verify_chain
from cases.db import alembic_config, get_engine, session_scope
from cases.models import AuditChainHead, AuditEvent, Case
from tests.conftest import Invoke

pytestmark = pytest.mark.usefixtures("db")

CLOSED_AT = dt.datetime(2019, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)


def _insert_case(connection: Any, reference: str, status: str) -> int:
    statement = text(
        'INSERT INTO "case" (reference, permit_type, status, submitted_at, updated_at) '
        "VALUES (:reference, 'food-business-licence', :status, :at, :updated) RETURNING id"
    )
    values = {"reference": reference, "status": status, "at": "2019-05-01 09:00:00"}
    return int(connection.execute(statement, values | {"updated": "2019-06-01 10:00:00"}).scalar())


def _old_chain(connection: Any, events: list[tuple[int, dt.datetime, str, dict[str, Any]]]) -> None:
    """Events chained the way earlier versions did: plain SHA-256, the head in the database."""
    prev = "0" * 64
    statement = text(
        "INSERT INTO auditevent (seq, case_id, at, actor, action, payload, prev_hash, hash) "
        "VALUES (:seq, :case_id, :at, :actor, :action, :payload, :prev_hash, :hash)"
    ).bindparams(bindparam("payload", type_=JSON))
    for seq, (case_id, at, action, payload) in enumerate(events, 1):
        row = chained_row(
            key=None, seq=seq, case_id=case_id, at=at, actor="system:flow", action=action,
            payload=payload, prev_hash=prev,
        )  # fmt: skip
        connection.execute(statement, row | {"at": at.strftime("%Y-%m-%d %H:%M:%S.%f")})
        prev = row["hash"]
    connection.execute(
        text("INSERT INTO auditchainhead (id, seq, last_hash) VALUES (1, :seq, :hash)"),
        {"seq": len(events), "hash": prev},
    )


@pytest.fixture
def upgraded(db: str) -> tuple[int, int]:
    config = alembic_config(db)
    command.downgrade(config, "0012")
    try:
        with get_engine(db).begin() as connection:
            closed = _insert_case(connection, "OLD-1", "letter_issued")
            open_case = _insert_case(connection, "OLD-2", "awaiting_decision")
            moved = {"from": "decided", "to": "letter_issued", "why": "letter issued"}
            _old_chain(
                connection,
                [
                    (closed, CLOSED_AT - dt.timedelta(days=1), "case.submitted", {"n": 1}),
                    (closed, CLOSED_AT, "case.status_changed", moved),
                    (open_case, CLOSED_AT, "case.submitted", {"n": 2}),
                ],
            )
    finally:
        command.upgrade(config, "head")
    return closed, open_case


def test_closed_cases_get_the_time_they_closed(upgraded: tuple[int, int]) -> None:
    closed, open_case = upgraded
    with session_scope() as session:
        old = session.get(Case, closed)
        still_open = session.get(Case, open_case)
        assert old is not None
        assert still_open is not None
        assert old.closed_at == CLOSED_AT
        assert still_open.closed_at is None
        assert old.purged_at is None


def test_the_old_chain_verifies_unkeyed_then_db_upgrade_keys_it_once(
    upgraded: tuple[int, int], cli: Invoke
) -> None:
    with session_scope() as session:
        report = verify_chain(session)
    assert report.ok
    assert not report.keyed

    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "audit trail keyed: 3 events" in " ".join(result.output.split())
    again = cli("db", "upgrade")
    assert "audit trail keyed" not in again.output

    with session_scope() as session:
        head = session.exec(select(AuditChainHead)).one()
        assert head.key_id is not None
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
        assert [e.action for e in events][-1] == "audit.rekeyed"
        report = verify_chain(session)
    assert report.ok, report.problem
    assert report.keyed
    assert report.events_checked == 4
