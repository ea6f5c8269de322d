"""What a letter template sees for a decided case, in the letter's language.

Names, dates, the fee and the reasons of unmet rules come in the letter's language: the
permit's name and each rule's reason from the catalogue's ``en`` / ``zh_hant`` texts (a reason
rendered with the values the evaluation recorded, never translated from the stored English).
Licence conditions are stored as codes and printed from the catalogue's ``conditions:``. Field
values and the caseworker's decision reason are printed as they were given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from cases.catalogue import PermitType, condition_texts, get_permit_type, in_language
from cases.eligibility import explain
from cases.models import Case, EligibilityResult, ExtractedField
from cases.values import format_date, format_fee
from cases.vocabulary import Language

__all__ = ["letter_context"]


def letter_context(
    session: Session, case: Case, language: str = Language.EN, *, today: dt.date | None = None
) -> dict[str, Any]:
    permit_type = get_permit_type(case.permit_type)
    permit = permit_type.permit
    # every field of the permit, "" when the case has none stored (an optional field left blank)
    fields = {spec.name: "" for spec in permit.all_fields} | {
        f.name: f.value
        for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id))
    }
    eligibility = session.exec(
        select(EligibilityResult).where(EligibilityResult.case_id == case.id)
    ).first()
    trace = eligibility.trace if eligibility else {}
    return {
        "reference": case.reference,
        "language": str(language),
        "permit_name": in_language(permit.name, language),
        "issued_on": format_date(today or dt.date.today(), language),
        "submitted_on": format_date(case.submitted_at, language),
        "fields": fields,
        # templates are admins' data: they see the word as plain text, not a Python enum
        "decision": case.decided_outcome.value if case.decided_outcome else None,
        "decision_reason": case.decision_reason or "",
        "failed_rules": _failed_rules(eligibility, permit_type, language),
        "ruleset_version": case.ruleset_version or "",
        "fee": format_fee(eligibility.fee if eligibility else None, language),
        "tables": _table_results(permit_type, case.ruleset_version, trace, language),
    }


def _failed_rules(
    eligibility: EligibilityResult | None, permit_type: PermitType, language: str
) -> list[dict[str, str]]:
    """The unmet rules; rules that could not be evaluated sent the case to a person instead, so
    a letter cites only these."""
    if eligibility is None:
        return []
    return [
        {
            "rule_id": line.rule_id,
            "title": in_language(line.title, language),
            "reason": in_language(line.reason, language) if line.reason else "",
            "legal_reference": line.legal_reference,
        }
        for line in explain(eligibility, permit_type).rules
        if line.status == "failed"
    ]


def _table_results(
    permit_type: PermitType, version: str | None, trace: dict[str, Any], language: str
) -> dict[str, Any]:
    """Each table of the case's rule set by name (None when it has no result, e.g. a case
    evaluated before the table existed), so ``{% if tables.x %}`` never meets an undefined; a
    licence condition is stored as its code and printed in the letter's language."""
    results: dict[str, Any] = {
        table.name: None
        for ruleset in permit_type.rulesets
        if ruleset.version == version
        for table in ruleset.tables
    }
    permit = permit_type.permit
    results.update(
        {t["name"]: condition_texts(permit, t["result"], language) for t in trace.get("tables", [])}
    )
    return results
