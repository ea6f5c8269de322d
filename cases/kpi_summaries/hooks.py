"""Where the summaries are kept: after every flush that touched a case's rows, and around every
bulk UPDATE or DELETE of them (registered for every session: cases.db imports the package)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from cases.kpi_summaries.facts import EVALUATED, TRACKED
from cases.kpi_summaries.sums import refresh_case_kpis
from cases.models import (
    AuditEvent,
    Case,
)


def case_ids_touched(objects: Iterable[Any]) -> set[int]:
    """The cases whose KPI facts these new, changed or deleted rows may change."""
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, Case):
            case_id = obj.id
        elif isinstance(obj, TRACKED) or (isinstance(obj, AuditEvent) and obj.action == EVALUATED):
            case_id = obj.case_id
        else:
            continue
        if case_id is not None:
            ids.add(case_id)
    return ids


@event.listens_for(Session, "after_flush")
def after_flush(session: Session, _context: Any = None) -> None:
    """After every flush (of any session: cases.db imports this module) that touched a case."""
    touched = case_ids_touched([*session.new, *session.dirty, *session.deleted])
    if touched:
        refresh_case_kpis(session.connection(), touched)


@event.listens_for(Session, "do_orm_execute")
def around_bulk_statement(state: ORMExecuteState) -> Any:
    """An ORM UPDATE or DELETE of a case's rows: note which cases it reaches, run it, refresh
    them. Anything else runs as it is (None)."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return None
    model = state.bind_mapper.class_
    if model is Case:
        column = Case.__table__.c.id  # type: ignore[attr-defined]
    elif model in TRACKED:
        column = model.__table__.c.case_id
    else:
        return None
    where = getattr(state.statement, "whereclause", None)
    query = select(column) if where is None else select(column).where(where)
    connection = state.session.connection()
    touched = set(connection.execute(query).scalars())
    result = state.invoke_statement()
    if touched:
        refresh_case_kpis(connection, touched)
    return result
