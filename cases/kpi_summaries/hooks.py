"""Where the summaries are kept (registered for every session: cases.db imports the package).

A flush, and a bulk UPDATE or DELETE, only *note* which cases it touched; the summaries are
worked out once per transaction, just before it commits (:func:`before_commit`). A transaction
flushes many times (every audit event flushes), and working a case's summary out after each
flush cost several times what the transition itself did. Two places must see the summaries
current before the commit, and settle them early: a read of the KPI tables in the same session
(:func:`around_statement`), and the commit of the outermost transaction. Inside a SAVEPOINT the
settled cases stay noted, so that the outer commit works them out again if the savepoint is
rolled back (the rows go back, and so must their summaries)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, event, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from cases.kpi_summaries.facts import EVALUATED, TRACKED
from cases.kpi_summaries.sums import refresh_case_kpis
from cases.models import AuditEvent, Case, CaseKpi, KpiSum

_PENDING = "kpi_summaries.pending"  # session.info: ids of the cases touched and not yet settled
_SUMMARY_TABLES: frozenset[Table] = frozenset({CaseKpi.__table__, KpiSum.__table__})  # type: ignore[attr-defined]


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


def _note(session: Session, case_ids: Iterable[int]) -> None:
    session.info.setdefault(_PENDING, set()).update(case_ids)


def settle_case_kpis(session: Session) -> int:
    """Flush, then work out the summaries of the cases this transaction touched (once each).
    Returns how many summaries changed."""
    session.flush()  # its after_flush notes what it wrote
    pending: set[int] = session.info.get(_PENDING, set())
    if not pending:
        return 0
    ids = set(pending)
    if not session.in_nested_transaction():
        pending.clear()
    return refresh_case_kpis(session.connection(), ids)


@event.listens_for(Session, "after_flush")
def after_flush(session: Session, _context: Any = None) -> None:
    """Note the cases whose rows this flush wrote; they are summarised before the commit."""
    touched = case_ids_touched([*session.new, *session.dirty, *session.deleted])
    if touched:
        _note(session, touched)


@event.listens_for(Session, "before_commit")
def before_commit(session: Session) -> None:
    """The outermost commit (before its last flush, which settling does itself)."""
    if not session.in_nested_transaction():
        settle_case_kpis(session)


@event.listens_for(Session, "after_transaction_end")
def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """A transaction rolled back as a whole leaves nothing to summarise."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _reads_summaries(state: ORMExecuteState) -> bool:
    statement = state.statement
    if not isinstance(statement, ClauseElement):
        return False
    tables = find_tables(statement, include_joins=True, include_aliases=True)
    return not _SUMMARY_TABLES.isdisjoint(tables)


@event.listens_for(Session, "do_orm_execute")
def around_statement(state: ORMExecuteState) -> Any:
    """An ORM UPDATE or DELETE of a case's rows: note which cases it reaches, then run it. A read
    of the summaries in a session with cases noted: settle them first. Anything else runs as it
    is (None)."""
    if state.is_select:
        if state.session.info.get(_PENDING) and _reads_summaries(state):
            settle_case_kpis(state.session)
        return None
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
    _note(state.session, state.session.connection().execute(query).scalars())
    return None
