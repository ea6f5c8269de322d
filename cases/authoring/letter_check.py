"""Letter templates checked: every outcome in each official language, rendered against a sample
case, so a missing translation or a misspelt field fails at ``permits catalogue check`` and in the
admin's preview, never in a letter to an applicant."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cases.catalogue import PermitType, condition_texts, in_language
from cases.errors import CatalogueError, CatalogueProblem
from cases.letters import render_letter_html, template_name
from cases.settings import get_settings
from cases.values import format_date, format_fee
from cases.vocabulary import Decision, Language

__all__ = ["check_templates", "sample_context"]


def sample_context(permit_type: PermitType, language: str = Language.EN) -> dict[str, Any]:
    """What a letter template sees for a made-up case (fields print as ``<name>``): for checks
    and the admin pages' letter preview."""
    day = format_date(dt.date(2026, 1, 1), language)
    return {
        "reference": f"{permit_type.permit.reference_prefix}-2026-000000",
        "language": str(language),
        "permit_name": in_language(permit_type.permit.name, language),
        "issued_on": day,
        "submitted_on": day,
        "fields": {f.name: f"<{f.name}>" for f in permit_type.permit.all_fields},
        "decision": Decision.APPROVE.value,
        "decision_reason": "Sample reason.",
        "failed_rules": [
            {
                "rule_id": "X-1",
                "title": "Sample rule",
                "reason": "Sample reason.",
                "legal_reference": "Cap. 0",
            }
        ],
        "ruleset_version": "sample",
        "fee": format_fee(1000, language),
        "tables": _sample_tables(permit_type, language),
    }


def _sample_tables(permit_type: PermitType, language: str) -> dict[str, Any]:
    """Each table of the newest rule set as if its first row (for collect: every row) matched,
    its conditions in the letter's language."""
    ruleset = max(permit_type.rulesets, key=lambda r: r.effective_from)
    samples: dict[str, Any] = {}
    for table in ruleset.tables:
        outputs = [{name: row.then.get(name) for name in table.outputs} for row in table.rows]
        result = outputs if table.hit_policy == "collect" else outputs[0]
        samples[table.name] = condition_texts(permit_type.permit, result, language)
    return samples


_LANGUAGE_NAMES = {Language.EN: "English", Language.ZH_HANT: "Traditional Chinese"}


def check_templates(permit_type: PermitType, root: Path | None = None) -> list[CatalogueProblem]:
    """Every outcome's letter in every official language, rendered against the sample case (a
    permit whose letters go to applicants in either language needs both)."""
    root = root or get_settings().letter_templates_dir
    problems: list[CatalogueProblem] = []
    for outcome in Decision:
        for language in Language:
            name = template_name(permit_type.id, outcome, language)
            if not (root / name).is_file():
                problems.append(
                    CatalogueProblem(
                        root / name,
                        None,
                        "(template)",
                        f"the {_LANGUAGE_NAMES[language]} ({language.value}) letter for "
                        f"'{outcome.value}' is missing; every permit type needs one for each "
                        "outcome in each official language",
                    )
                )
                continue
            try:
                render_letter_html(name, sample_context(permit_type, language), root)
            except CatalogueError as exc:
                problems.extend(exc.problems)
    return problems
