"""The figures read out of JSON documents: review findings per code (from each review's
findings) and failed rules (from each case's ``eligibility.evaluated`` audit event). Written as SQL
text per dialect, since SQLite (``json_each``) and PostgreSQL (``json_array_elements``) expand
arrays differently; the filters become the same conditions on the case, ``c``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import DateTime, bindparam, func, select, text
from sqlmodel import Session, col

from cases.catalogue import load_catalogue
from cases.models import Case, EligibilityResult
from cases.reporting.figures import case_conditions, dialect_of, start_of
from cases.reporting.tables import KpiFilters, KpiTable, share

__all__ = ["failed_rules", "finding_decisions", "findings"]

EVALUATED = "eligibility.evaluated"
_ALL = "1 = 1"


def _case_where(filters: KpiFilters, params: dict[str, Any]) -> str:
    """The filters as SQL text over ``c`` (the case), for the JSON queries written as text."""
    clauses = []
    if filters.permit_type:
        clauses.append("c.permit_type = :permit_type")
        params["permit_type"] = filters.permit_type
    if filters.since:
        clauses.append("c.submitted_at >= :since")
        params["since"] = start_of(filters.since)
    if filters.until:
        clauses.append("c.submitted_at < :until")
        params["until"] = start_of(filters.until + dt.timedelta(days=1))
    return " AND ".join(clauses) or _ALL


def _bound(session: Session, sql: str, params: dict[str, Any]) -> Iterable[Any]:
    statement = text(sql)
    dated = [bindparam(name, type_=DateTime()) for name in ("since", "until") if name in params]
    if dated:
        statement = statement.bindparams(*dated)
    return session.execute(statement, params).all()


def _case_join(where: str, alias: str) -> str:
    return "" if where == _ALL else f'JOIN "case" c ON c.id = {alias}.case_id'


def findings(session: Session, filters: KpiFilters) -> KpiTable:
    """Review findings per code, and of those a person confirmed or dismissed (a code nobody
    has judged yet shows 0 of each)."""
    params: dict[str, Any] = {}
    where = _case_where(filters, params)
    if dialect_of(session) == "postgresql":
        sql = (
            "SELECT item.value -> 'fact' ->> 'code', count(*) FROM review r "
            f"{_case_join(where, 'r')} "
            "CROSS JOIN json_array_elements(r.findings -> 'findings') AS item(value) "
            f"WHERE {where} GROUP BY 1"
        )
    else:
        sql = (
            "SELECT json_extract(item.value, '$.fact.code'), count(*) FROM review r "
            f"{_case_join(where, 'r')}, json_each(r.findings, '$.findings') AS item "
            f"WHERE {where} GROUP BY 1"
        )
    counts = Counter({str(code): int(n) for code, n in _bound(session, sql, params)})
    decided = finding_decisions(session, filters)
    table = KpiTable("findings", ("code", "found", "confirmed", "dismissed"))
    table.rows.extend((code, n, *decided.get(code, (0, 0))) for code, n in counts.most_common())
    return table


def finding_decisions(session: Session, filters: KpiFilters) -> dict[str, tuple[int, int]]:
    """Per finding code, how many a person confirmed and how many dismissed (their verdicts on
    the case page)."""
    params: dict[str, Any] = {}
    where = _case_where(filters, params)
    sql = (
        "SELECT v.code, sum(CASE WHEN v.verdict = 'confirmed' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN v.verdict = 'dismissed' THEN 1 ELSE 0 END) FROM findingverdict v "
        f"{_case_join(where, 'v')} WHERE {where} GROUP BY v.code"
    )
    return {str(code): (int(yes), int(no)) for code, yes, no in _bound(session, sql, params)}


def failed_rules(session: Session, filters: KpiFilters) -> KpiTable:
    """Per permit type and rule: cases evaluated, cases that failed it, and the outcome a
    failure asks for. Read from each case's ``eligibility.evaluated`` event, the record of the
    same single evaluation as its stored trace, holding only the failed rules' ids (a trace is
    ~5 kB of JSON per case: too much to parse for a page over 100,000 cases)."""
    params: dict[str, Any] = {"action": EVALUATED}
    where = _case_where(filters, params)
    if dialect_of(session) == "postgresql":
        sql = (
            "SELECT c.permit_type, item.value, count(*) FROM auditevent a "
            'JOIN "case" c ON c.id = a.case_id '
            "CROSS JOIN json_array_elements_text(a.payload -> 'failed_rules') AS item(value) "
            f"WHERE a.action = :action AND {where} GROUP BY 1, 2"
        )
    else:
        sql = (
            "SELECT c.permit_type, item.value, count(*) FROM auditevent a "
            'JOIN "case" c ON c.id = a.case_id, '
            "json_each(a.payload, '$.failed_rules') AS item "
            f"WHERE a.action = :action AND {where} GROUP BY 1, 2"
        )
    evaluated = dict(
        session.execute(
            select(col(Case.permit_type), func.count())
            .join(EligibilityResult, col(EligibilityResult.case_id) == Case.id)
            .where(*case_conditions(filters))
            .group_by(col(Case.permit_type))
        ).all()
    )
    table = KpiTable(
        "failed_rules", ("permit_type", "rule", "outcome_if_failed", "failed", "evaluated", "rate")
    )
    found = sorted(_bound(session, sql, params), key=lambda r: (r[0], -int(r[2]), r[1]))
    for permit_type, rule, n in found:
        total = int(evaluated.get(permit_type, 0))
        outcome = _rule_outcomes(permit_type).get(rule)
        table.rows.append((permit_type, rule, outcome, int(n), total, share(int(n), total)))
    return table


def _rule_outcomes(permit_type: str) -> dict[str, str]:
    """What failing each rule of the permit type asks for (the newest rule set saying so)."""
    found = load_catalogue().get(permit_type)
    outcomes: dict[str, str] = {}
    for ruleset in sorted(found.rulesets, key=lambda r: r.effective_from) if found else []:
        outcomes.update({rule.id: str(rule.outcome_if_failed) for rule in ruleset.rules})
    return outcomes
