"""The case export: one row per case with its outcome, dates, fee, rule set version and failed
rules. Personal data (name, e-mail, phone, identity card number) is left out unless an admin asks
for it; every export is recorded in the audit trail (who, since when, how many cases, whether
personal data went out), in the same transaction that reads the rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import literal_column, select
from sqlmodel import Session, col

from cases.access import Actor
from cases.audit import append_event
from cases.errors import InvalidInput, PermissionDenied
from cases.models import Applicant, Case, EligibilityResult, Role
from cases.reporting.figures import decided_at
from cases.reporting.tables import as_csv

__all__ = ["EXPORT_COLUMNS", "PERSONAL_COLUMNS", "CaseExport", "export_cases"]

EXPORT_COLUMNS = (
    "reference",
    "permit_type",
    "status",
    "proposed_outcome",
    "decided_outcome",
    "submitted_at",
    "application_date",
    "decided_at",
    "fee",
    "ruleset_version",
    "failed_rules",
)
PERSONAL_COLUMNS = ("applicant_name", "applicant_email", "applicant_phone", "applicant_hkid")
FORMATS = ("csv", "jsonl")
Format = Literal["csv", "jsonl"]
_BATCH = 2000


@dataclass(frozen=True)
class CaseExport:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    format: str

    def text(self) -> str:
        if self.format == "jsonl":
            return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in self.rows)
        lists = [
            [";".join(v) if isinstance(v, list) else v for v in row.values()] for row in self.rows
        ]
        return as_csv(self.columns, lists)


# The ids of the rules a case failed, in the trace's order, joined by ";" in the database: the
# trace (~5 kB of JSON a case) never travels to Python (100,000 of them took ~40 s and 300 MB).
_FAILED_RULES = {
    "postgresql": (
        "(SELECT string_agg(r.value ->> 'rule_id', ';' ORDER BY r.n) "
        "FROM json_array_elements(eligibilityresult.trace -> 'rules') WITH ORDINALITY "
        "AS r(value, n) WHERE (r.value ->> 'passed') = 'false')"
    ),
    "sqlite": (
        "(SELECT group_concat(json_extract(r.value, '$.rule_id'), ';') "
        "FROM json_each(eligibilityresult.trace, '$.rules') AS r "
        "WHERE json_extract(r.value, '$.passed') = 0)"
    ),
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return None if value is None else str(value) if not isinstance(value, list) else value


def _rows(session: Session, since: dt.date | None, personal: bool) -> Iterator[dict[str, Any]]:
    decided = decided_at()
    columns: list[Any] = [
        col(Case.reference),
        col(Case.permit_type),
        col(Case.status),
        col(Case.proposed_outcome),
        col(Case.decided_outcome),
        col(Case.submitted_at),
        col(Case.application_date),
        decided.c.decided_at,
        col(EligibilityResult.fee),
        col(Case.ruleset_version),
        literal_column(_FAILED_RULES[session.get_bind().dialect.name]),
    ]
    if personal:
        columns += [Applicant.name, Applicant.email, Applicant.phone, Applicant.hkid]
    statement = (
        select(*columns)
        .outerjoin(EligibilityResult, col(EligibilityResult.case_id) == Case.id)
        .outerjoin(decided, decided.c.case_id == Case.id)
        .order_by(col(Case.id))
    )
    if personal:
        statement = statement.outerjoin(Applicant, col(Applicant.id) == Case.applicant_id)
    if since:
        start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        statement = statement.where(col(Case.submitted_at) >= start)
    names = EXPORT_COLUMNS + (PERSONAL_COLUMNS if personal else ())
    for row in session.execute(statement.execution_options(yield_per=_BATCH)):
        values = list(row)
        values[10] = values[10].split(";") if values[10] else []
        yield {
            name: values[n] if name == "failed_rules" else _plain(values[n])
            for n, name in enumerate(names)
        }


def export_cases(
    session: Session,
    *,
    actor: Actor,
    since: dt.date | None = None,
    format: str = "csv",
    with_personal_data: bool = False,
) -> CaseExport:
    """Every case submitted on or after ``since``; personal data only for an admin who asked.
    The caller's transaction commits the audit event with the export."""
    if format not in FORMATS:
        raise InvalidInput(f"unknown export format {format!r}: choose csv or jsonl")
    if with_personal_data and actor.role != Role.ADMIN:
        raise PermissionDenied(
            "Only administrators may export personal data (name, e-mail, phone, identity card "
            "number); export without it, or ask an administrator."
        )
    rows = list(_rows(session, since, with_personal_data))
    columns = EXPORT_COLUMNS + (PERSONAL_COLUMNS if with_personal_data else ())
    append_event(
        session,
        actor=actor.username,
        action="cases.exported",
        payload={
            "since": since.isoformat() if since else None,
            "format": format,
            "cases": len(rows),
            "personal_data": with_personal_data,
            "columns": list(columns),
        },
    )
    return CaseExport(columns, rows, format)
