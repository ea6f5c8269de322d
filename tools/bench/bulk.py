"""Seeded rows straight to the database driver: COPY on PostgreSQL, executemany on SQLite, with
the audit trail's hash chain continued row by row, and the chain head and id sequences left where
the application expects them afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table, insert, text
from sqlmodel import SQLModel

from cases.audit import GENESIS, audit_key, chained_row, key_id
from cases.models import (
    AuditChainHead,
)

__all__ = ["Chain", "Rows", "finish_seeding", "insert_rows"]


@dataclass
class Rows:
    """The rows of one chunk of cases, table by table, in foreign-key order."""

    applicant: list[dict[str, Any]] = field(default_factory=list)
    case: list[dict[str, Any]] = field(default_factory=list)
    document: list[dict[str, Any]] = field(default_factory=list)
    extractedfield: list[dict[str, Any]] = field(default_factory=list)
    eligibilityresult: list[dict[str, Any]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)
    approvaltask: list[dict[str, Any]] = field(default_factory=list)
    informationrequest: list[dict[str, Any]] = field(default_factory=list)
    letter: list[dict[str, Any]] = field(default_factory=list)
    auditevent: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> Iterator[tuple[Table, list[dict[str, Any]]]]:
        for name, rows in vars(self).items():
            if rows:
                yield SQLModel.metadata.tables[name], rows


class Chain:
    """The audit trail's hash chain, continued row by row as :func:`append_event` would."""

    def __init__(self) -> None:
        self.seq, self.last_hash = 0, GENESIS
        self.key = audit_key()

    def event(
        self,
        event_id: int,
        case_id: int,
        at: dt.datetime,
        actor: str,
        action: str,
        payload: dict[str, Any],
    ) -> dict[str, Any]:
        self.seq += 1
        row = {"id": event_id} | chained_row(
            key=self.key,
            seq=self.seq,
            case_id=case_id,
            at=at,
            actor=actor,
            action=action,
            payload=payload,
            prev_hash=self.last_hash,
        )
        self.last_hash = row["hash"]
        return row


def _converter(column_type: Any, dialect: Any) -> Callable[[Any], Any]:
    """The column type's own bind conversion (storage format, JSON), done once per object.

    Traces and findings are shared by every case of a variant: serialising them once per chunk
    instead of once per row is most of the seeding time saved.
    """
    process = column_type._cached_bind_processor(dialect)
    assert process is not None
    done: dict[int, Any] = {}

    def convert(value: Any) -> Any:
        key = id(value)
        if key not in done:
            done[key] = process(value)
        return done[key]

    return convert if isinstance(column_type, JSON) else process


def _tuples(table: Table, values: list[dict[str, Any]], dialect: Any) -> list[tuple[Any, ...]]:
    names = list(values[0])
    pick = itemgetter(*names)
    converters = [
        (n, _converter(table.c[name].type, dialect))
        for n, name in enumerate(names)
        if table.c[name].type._cached_bind_processor(dialect) is not None
    ]
    if not converters:
        return [pick(row) for row in values]
    tuples = []
    for row in values:
        picked = list(pick(row))
        for n, convert in converters:
            picked[n] = convert(picked[n])
        tuples.append(tuple(picked))
    return tuples


def insert_rows(connection: Connection, rows: Rows) -> None:
    """Rows straight to the driver: COPY on PostgreSQL, executemany on SQLite."""
    dialect = connection.dialect
    for table, values in rows.tables():
        columns = ", ".join(f'"{name}"' for name in values[0])
        tuples = _tuples(table, values, dialect)
        if dialect.name == "postgresql":
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for values_row in tuples:
                    copy.write_row(values_row)
            continue
        marks = ", ".join("?" for _ in values[0])
        connection.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', tuples
        )


def finish_seeding(connection: Connection, chain: Chain) -> None:
    """Leave the chain head and PostgreSQL's id sequences where the application expects them."""
    connection.execute(
        insert(AuditChainHead.__table__),  # type: ignore[attr-defined]
        [{"id": 1, "seq": chain.seq, "last_hash": chain.last_hash, "key_id": key_id(chain.key)}],
    )
    if connection.dialect.name != "postgresql":
        return
    for table in SQLModel.metadata.sorted_tables:
        if "id" in table.c and table.name != "auditchainhead":
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )
