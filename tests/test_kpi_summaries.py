"""The KPI summaries stay what the stored rows say: on a random set of seeded cases changed the
ways the product changes them (tasks decided and claimed, by the ORM and by bulk UPDATE;
requests asked and answered; fields corrected and removed; verdicts; a new evaluation; a case
moved on), every stored summary equals the one worked out afresh from the rows, the sums equal
the sums of the summaries, and the dashboard reads the same as after a rebuild from nothing.
Migration 0021 gives cases stored before it their summaries, with the same figures."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from alembic import command
from sqlalchemy import inspect, update
from sqlmodel import Session, col, select

from cases import models as m
from cases.audit import append_event
from cases.db import alembic_config, get_engine, session_scope
from cases.kpi_summaries import EVALUATED, month_of, refresh_all_case_kpis, summaries_of
from cases.lifecycle import CaseStatus
from cases.reporting import KpiFilters, compute_dashboard
from cases.vocabulary import Decision
from tests.kpi_cases import NOW, seed_kpi_cases
from tools.bench.seed import seed_cases

CASES = 150
AT = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
FILTERS = (
    KpiFilters(),
    KpiFilters(permit_type="food-business-licence"),
    KpiFilters(since=dt.date(2026, 9, 17), until=dt.date(2026, 11, 30)),
)


def _stored(url: str) -> dict[int, tuple[str, list[tuple[Any, ...]]]]:
    with get_engine(url).connect() as connection:
        rows = connection.execute(select(m.CaseKpi.__table__))  # type: ignore[attr-defined]
        return {r.case_id: (r.permit_type, [tuple(f) for f in r.facts]) for r in rows}


def _afresh(url: str) -> dict[int, tuple[str, list[tuple[Any, ...]]]]:
    with get_engine(url).connect() as connection:
        ids = connection.execute(select(col(m.Case.id))).scalars().all()
        found = summaries_of(connection, ids)
    return {i: (s.permit_type, list(s.facts)) for i, s in found.items()}


def _sums(url: str) -> dict[tuple[Any, ...], tuple[int, float]]:
    with get_engine(url).connect() as connection:
        rows = connection.execute(select(m.KpiSum.__table__)).all()  # type: ignore[attr-defined]
    return {
        (r.figure, r.grain, r.day, r.permit_type, r.key): (r.n, round(r.total, 3))
        for r in rows
        if r.n
    }


def _sums_of_summaries(url: str) -> dict[tuple[Any, ...], tuple[int, float]]:
    added: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0, 0.0])
    for permit_type, facts in _stored(url).values():
        for figure, day, key, n, total in facts:
            on = dt.date.fromisoformat(day)
            for grain, at in (("d", on), ("m", month_of(on))):
                added[(figure, grain, at, permit_type, key)][0] += n
                added[(figure, grain, at, permit_type, key)][1] += total
    return {k: (int(n), round(t, 3)) for k, (n, t) in added.items() if n}


def _figures(url: str) -> list[dict[str, Any]]:
    with Session(get_engine(url)) as session:
        return [compute_dashboard(session, f, now=AT).as_json()["tables"] for f in FILTERS]


def _change_the_cases(rng: random.Random) -> None:
    """What the product does to cases, a random share of each."""
    with session_scope() as session:
        open_tasks = session.exec(
            select(m.ApprovalTask).where(col(m.ApprovalTask.status) == m.TaskStatus.OPEN)
        ).all()
        rng.shuffle(open_tasks)
        for task in open_tasks[:15]:  # decided through the ORM
            task.status, task.completed_at = m.TaskStatus.DONE, AT - dt.timedelta(hours=3)
            task.decision, task.completed_by = rng.choice(list(Decision)), "bench.senior"
        claimed = [t.id for t in open_tasks[15:30]]  # claimed by a bulk UPDATE, as claim_task
        session.execute(
            update(m.ApprovalTask)
            .where(col(m.ApprovalTask.id).in_(claimed))
            .values(claimed_by="bench.senior", claimed_at=AT - dt.timedelta(hours=1))
        )
        cases = session.exec(select(m.Case)).all()
        for case in rng.sample(cases, 10):
            case.status = CaseStatus.CLOSED
        for case in rng.sample(cases, 8):
            session.add(
                m.InformationRequest(
                    case_id=case.id,
                    what="a clearer floor plan",
                    due_on=dt.date(2026, 12, 20),
                    requested_by="bench.senior",
                    requested_at=AT - dt.timedelta(days=2),
                    resolution=rng.choice([None, m.RequestResolution.ANSWERED]),
                    resolved_at=AT - dt.timedelta(hours=5),
                )
            )
        fields = session.exec(select(m.ExtractedField).limit(400)).all()
        for field in rng.sample(fields, 20):
            field.original_value, field.value = field.value, "corrected"
            field.status = m.FieldStatus.VERIFIED
        for field in rng.sample(fields, 5):
            session.delete(field)
        for review in rng.sample(session.exec(select(m.Review)).all(), 6):
            session.add(
                m.FindingVerdict(
                    review_id=review.id,
                    case_id=review.case_id,
                    finding_index=99,
                    code="name_mismatch",
                    verdict=rng.choice(["confirmed", "dismissed"]),
                    decided_by="bench.senior",
                )
            )
        for case in rng.sample(cases, 5):
            append_event(
                session,
                actor="system",
                action=EVALUATED,
                case_id=case.id,
                payload={"failed_rules": ["FBL-001"]},
            )


def test_summaries_equal_the_rows_after_random_changes(db: str) -> None:
    seed_cases(get_engine(db), CASES, seed=7, now=AT)
    assert _stored(db) == _afresh(db)
    _change_the_cases(random.Random(11))
    assert len(_stored(db)) == CASES
    assert _stored(db) == _afresh(db)
    assert _sums(db) == _sums_of_summaries(db)
    kept = _figures(db)
    with get_engine(db).begin() as connection:
        connection.execute(m.KpiSum.__table__.delete())  # type: ignore[attr-defined]
        connection.execute(m.CaseKpi.__table__.delete())  # type: ignore[attr-defined]
        assert refresh_all_case_kpis(connection) == CASES
    assert _figures(db) == kept


def test_migration_0021_summarises_the_cases_stored_before_it(db: str) -> None:
    with Session(get_engine(db)) as session:
        seed_kpi_cases(session)
        before = compute_dashboard(session, KpiFilters(), now=NOW).as_json()
    config = alembic_config(db)
    command.downgrade(config, "0017")
    try:
        tables = set(inspect(get_engine(db)).get_table_names())
        assert {"casekpi", "kpisum"}.isdisjoint(tables)
    finally:
        command.upgrade(config, "head")
    with Session(get_engine(db)) as session:
        after = compute_dashboard(session, KpiFilters(), now=NOW).as_json()
    assert after["tables"] == before["tables"]
    assert len(_stored(db)) == 4
    assert _stored(db) == _afresh(db)


def _close_one(session: Session) -> m.Case:
    case = session.exec(select(m.Case).where(col(m.Case.status) != CaseStatus.CLOSED)).first()
    assert case is not None
    case.status = CaseStatus.CLOSED
    session.add(case)
    session.flush()
    return case


def test_a_change_shows_in_the_same_transactions_figures_and_a_savepoint_undone_is_undone(
    db: str,
) -> None:
    seed_cases(get_engine(db), 20, seed=5, now=AT)
    before = _figures(db)
    with session_scope() as session:
        _close_one(session)
        # the figures read inside the transaction already count the case as closed
        stages = compute_dashboard(session, KpiFilters(), now=AT).as_json()["tables"]
        assert stages != before[0]
        _close_one(session)  # not read yet: summarised inside the savepoint below
        savepoint = session.begin_nested()
        _close_one(session)
        compute_dashboard(session, KpiFilters(), now=AT)
        savepoint.rollback()  # the first stays closed, the second does not
    assert _stored(db) == _afresh(db)
    assert _sums(db) == _sums_of_summaries(db)
    with session_scope() as session:
        _close_one(session)
        session.rollback()
    assert _stored(db) == _afresh(db)
