"""``permits catalogue check``: everything an admin can get wrong, reported with file and field.

Schemas (strict, with line numbers), rule expressions (compiled by zen-engine), references to fields
the permit does not define, the rule files' inline tests, and every letter template rendered against
a sample case so that an unknown field fails here rather than in a letter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import zen

from cases.catalogue import PermitType, Ruleset, load_catalogue
from cases.eligibility import run_inline_tests
from cases.errors import CatalogueError, CatalogueProblem
from cases.letters import render_letter_html, template_name
from cases.settings import get_settings

__all__ = ["check_catalogue", "check_rules", "check_templates"]

_IDENTIFIER = re.compile(r"(?<![\w.\"'])([a-z_][a-z0-9_]*)\b(?!\s*\()")
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}


def _ruleset_file(permit_type: PermitType, ruleset: Ruleset) -> Path:
    for path in sorted(permit_type.folder.glob("eligibility-*.yaml")):
        if f'version: "{ruleset.version}"' in path.read_text(encoding="utf-8"):
            return path
    return permit_type.folder


def _line_of(path: Path, *needles: str) -> int | None:
    """The line of the last needle, each searched for after the line of the one before."""
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    start, found = 0, None
    for needle in needles:
        found = next((i for i in range(start, len(lines)) if needle in lines[i]), None)
        if found is None:
            return None
        start = found + 1
    return None if found is None else found + 1


def _without_strings(expression: str) -> str:
    return re.sub(r"\"[^\"]*\"|'[^']*'", '""', expression)


def check_rules(permit_type: PermitType) -> list[CatalogueProblem]:
    fields = {f.name for f in permit_type.permit.fields}
    problems: list[CatalogueProblem] = []
    for ruleset in permit_type.rulesets:
        path = _ruleset_file(permit_type, ruleset)
        for i, rule in enumerate(ruleset.rules):
            where = f"rules.{i}.expression ({rule.id})"
            line = _line_of(path, f"id: {rule.id}", "expression:")
            error = zen.validate_expression(rule.expression)
            if error:
                problems.append(CatalogueProblem(path, line, where, f"syntax: {error['source']}"))
            unknown = sorted(
                set(_IDENTIFIER.findall(_without_strings(rule.expression))) - fields - _KEYWORDS
            )
            if unknown:
                problems.append(
                    CatalogueProblem(
                        path,
                        line,
                        where,
                        f"unknown field(s) {', '.join(unknown)}; the permit's fields are listed "
                        f"in {permit_type.folder / 'permit.yaml'}",
                    )
                )
        problems.extend(
            CatalogueProblem(path, _line_of(path, "tests:", f"name: {name}"), "tests", message)
            for name, message in run_inline_tests(ruleset)
        )
    return problems


def _sample_context(permit_type: PermitType) -> dict[str, Any]:
    return {
        "reference": "FBL-2026-000000",
        "permit_name": permit_type.permit.name.en,
        "issued_on": "1 January 2026",
        "submitted_on": "1 January 2026",
        "fields": {f.name: f"<{f.name}>" for f in permit_type.permit.fields},
        "decision": "approve",
        "decision_reason": "Sample reason.",
        "failed_rules": [
            {"rule_id": "X-1", "reason": "Sample reason.", "legal_reference": "Cap. 0"}
        ],
        "ruleset_version": "sample",
    }


def check_templates(permit_type: PermitType, root: Path | None = None) -> list[CatalogueProblem]:
    problems: list[CatalogueProblem] = []
    for outcome in ("approve", "refuse"):
        try:
            render_letter_html(
                template_name(permit_type.id, outcome), _sample_context(permit_type), root
            )
        except CatalogueError as exc:
            problems.extend(exc.problems)
    return problems


def check_catalogue(folder: Path | None = None) -> tuple[list[CatalogueProblem], list[str]]:
    """Return (problems, one summary line per permit type)."""
    folder = folder or get_settings().catalogue_dir
    load_catalogue.cache_clear()  # type: ignore[attr-defined]
    try:
        catalogue = load_catalogue(folder)
    except CatalogueError as exc:
        return exc.problems, []
    problems: list[CatalogueProblem] = []
    summary: list[str] = []
    for permit_type in catalogue.values():
        problems.extend(check_rules(permit_type))
        problems.extend(check_templates(permit_type))
        rules = sum(len(r.rules) for r in permit_type.rulesets)
        tests = sum(len(r.tests) for r in permit_type.rulesets)
        summary.append(
            f"{permit_type.id}: {len(permit_type.permit.fields)} fields, "
            f"{len(permit_type.rulesets)} rule set(s), {rules} rules, {tests} inline tests"
        )
    return problems, summary
