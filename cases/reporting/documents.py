"""The figures first read out of JSON documents: review findings per code (from each review's
findings) and failed rules (from each case's ``eligibility.evaluated`` audit event). Each case's
summary (cases.kpi_summaries) counts them once, when they are stored; these read the sums.
"""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session

from cases.catalogue import load_catalogue
from cases.reporting.sums import read_sums
from cases.reporting.tables import KpiFilters, KpiTable, share

__all__ = ["failed_rules", "findings"]


def findings(session: Session, filters: KpiFilters) -> KpiTable:
    """Review findings per code, and of those a person confirmed or dismissed (a code nobody
    has judged yet shows 0 of each)."""
    sums = read_sums(session, ("finding", "finding_confirmed", "finding_dismissed"), filters)
    found, confirmed, dismissed = Counter[str](), Counter[str](), Counter[str]()
    for counter, figure in (
        (found, "finding"),
        (confirmed, "finding_confirmed"),
        (dismissed, "finding_dismissed"),
    ):
        for (_permit_type, code), counted in sums[figure].items():
            counter[code] += counted.n
    table = KpiTable("findings", ("code", "found", "confirmed", "dismissed"))
    table.rows.extend(
        (code, n, confirmed[code], dismissed[code])
        for code, n in sorted(found.items(), key=lambda item: (-item[1], item[0]))
    )
    return table


def failed_rules(session: Session, filters: KpiFilters) -> KpiTable:
    """Per permit type and rule: cases evaluated, cases that failed it, and the outcome a
    failure asks for. Counted from each case's ``eligibility.evaluated`` event, the record of
    the same single evaluation as its stored trace, holding only the failed rules' ids."""
    sums = read_sums(session, ("evaluated", "failed_rule"), filters)
    evaluated = Counter[str]()
    for (permit_type, _key), counted in sums["evaluated"].items():
        evaluated[permit_type] += counted.n
    table = KpiTable(
        "failed_rules", ("permit_type", "rule", "outcome_if_failed", "failed", "evaluated", "rate")
    )
    found = sorted(
        (
            (permit_type, rule, counted.n)
            for (permit_type, rule), counted in sums["failed_rule"].items()
        ),
        key=lambda r: (r[0], -r[2], r[1]),
    )
    for permit_type, rule, n in found:
        total = evaluated[permit_type]
        outcome = _rule_outcomes(permit_type).get(rule)
        table.rows.append((permit_type, rule, outcome, n, total, share(n, total)))
    return table


def _rule_outcomes(permit_type: str) -> dict[str, str]:
    """What failing each rule of the permit type asks for (the newest rule set saying so)."""
    found = load_catalogue().get(permit_type)
    outcomes: dict[str, str] = {}
    for ruleset in sorted(found.rulesets, key=lambda r: r.effective_from) if found else []:
        outcomes.update({rule.id: str(rule.outcome_if_failed) for rule in ruleset.rules})
    return outcomes
