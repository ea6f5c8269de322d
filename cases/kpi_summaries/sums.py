"""Keeping the summaries and their sums: a case's facts worked out again, the sums moved by the
difference, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cases.kpi_summaries.facts import CHUNK, Fact, columns, month_of, summaries_of
from cases.models import (
    Case,
    CaseKpi,
    KpiSum,
)

_SumKey = tuple[str, str, dt.date, str, str]  # figure, grain, day, permit type, key


def _stored(connection: Connection, ids: list[int]) -> dict[int, tuple[str, list[Fact]]]:
    table = CaseKpi.__table__  # type: ignore[attr-defined]
    statement = select(table.c.case_id, table.c.permit_type, table.c.facts).where(
        table.c.case_id.in_(ids)
    )
    return {
        case_id: (permit_type, [tuple(fact) for fact in facts or []])
        for case_id, permit_type, facts in connection.execute(statement.with_for_update())
    }


def _move(
    sums: dict[_SumKey, list[float]], permit_type: str, facts: Iterable[Fact], sign: int
) -> None:
    for figure, day_text, key, n, total in facts:
        day = dt.date.fromisoformat(day_text)
        for grain, at in (("d", day), ("m", month_of(day))):
            moved = sums.setdefault((figure, grain, at, permit_type, key), [0, 0.0])
            moved[0] += sign * n
            moved[1] += sign * total


def _apply(connection: Connection, sums: Mapping[_SumKey, list[float]]) -> None:
    """Add the differences to the sums (in key order: two writers lock rows in the same order)."""
    table = KpiSum.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "figure": k[0],
            "grain": k[1],
            "day": k[2],
            "permit_type": k[3],
            "key": k[4],
            "n": int(v[0]),
            "total": v[1],
        }
        for k, v in sorted(sums.items())
        if v[0] or v[1]
    ]
    if not rows:
        return
    statement: Any = (
        postgresql_insert(table)
        if connection.dialect.name == "postgresql"
        else sqlite_insert(table)
    )
    statement = statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={
            "n": table.c.n + statement.excluded.n,
            "total": table.c.total + statement.excluded.total,
        },
    )
    for start in range(0, len(rows), 5000):
        connection.execute(statement, rows[start : start + 5000])


def refresh_case_kpis(connection: Connection, case_ids: Iterable[int]) -> int:
    """Work out these cases' summaries again; where one changed, store it and move the sums by
    the difference. Returns how many changed. Runs inside the caller's transaction."""
    ids = sorted(set(case_ids))
    table = CaseKpi.__table__  # type: ignore[attr-defined]
    sums: dict[_SumKey, list[float]] = {}
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        old = _stored(connection, chunk)
        new = summaries_of(connection, chunk)
        stale, fresh = [], []
        for case_id in chunk:
            before, after = old.get(case_id), new.get(case_id)
            if before == ((after.permit_type, list(after.facts)) if after else None):
                continue
            if before:
                _move(sums, before[0], before[1], -1)
                stale.append(case_id)
            if after:
                _move(sums, after.permit_type, after.facts, 1)
                fresh.append(after.row())
        if stale:
            connection.execute(delete(table).where(table.c.case_id.in_(stale)))
        if fresh:
            connection.execute(insert(table), fresh)
        changed += len(set(stale) | {row["case_id"] for row in fresh})
    _apply(connection, sums)
    return changed


def refresh_all_case_kpis(connection: Connection) -> int:
    """Every case's summary (the migration's backfill, the bench seeder)."""
    ids = connection.execute(select(columns(Case).id)).scalars().all()
    return refresh_case_kpis(connection, ids)
