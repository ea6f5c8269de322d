"""``permits catalogue check``: everything an admin can get wrong, reported with file and line.

Schemas (strict, with line numbers); every expression (rules, ``applies_when``, computed values,
the fee) and every decision-table cell compiled by zen-engine; names that are not a field, an
earlier computed value or a table; a number field compared with text (and the reverse); table rows
that can never match or that overlap under hit policy ``first``; gaps and overlaps between rule
set versions' effective dates; empty translations; the rule files' inline tests; and every letter
template rendered against a sample case so that an unknown field fails here, not in a letter;
and every message template, which may name only its kind's facts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import zen

from cases.authoring.form_check import check_form
from cases.authoring.letter_check import check_templates
from cases.authoring.table_cells import Cell, Interval, TextSet, covers, meet, parse_cell
from cases.catalogue import (
    DecisionTable,
    FieldType,
    PermitType,
    Ruleset,
    Text,
    line_at,
    load_catalogue,
    yaml_lines,
)
from cases.eligibility import expression_names, run_inline_tests, table_decision, unary_cell
from cases.errors import CatalogueError, CatalogueProblem
from cases.notifications import check_message_templates
from cases.review import check_policy
from cases.settings import get_settings

__all__ = ["check_catalogue", "check_rules"]

_NUMERIC = {FieldType.NUMBER, FieldType.INTEGER, FieldType.MONEY}
_OPERATOR = r"(?:==|!=|<=|>=|<|>)"
_NAME_VS_TEXT = re.compile(
    rf"\b([a-z_][a-z0-9_]*)\s*{_OPERATOR}\s*\"|\"\s*{_OPERATOR}\s*([a-z_]\w*)\b"
)
_NAME_IN_TEXTS = re.compile(r"\b([a-z_][a-z0-9_]*)\s+in\s+\[\s*\"")
_NAME_VS_NUMBER = re.compile(rf"(?<![\w.])([a-z_][a-z0-9_]*)\s*{_OPERATOR}\s*-?\d")


@dataclass(frozen=True)
class _Where:
    """One rule file being checked: where problems are reported and what names mean there."""

    path: Path
    lines: dict[tuple[Any, ...], int]
    types: dict[str, str]  # name -> number | text | boolean (fields only; computed: unknown)
    schema: Path

    def problem(self, loc: tuple[Any, ...], label: str, message: str) -> CatalogueProblem:
        return CatalogueProblem(self.path, line_at(self.lines, *loc), label, message)


def _without_strings(expression: str) -> str:
    return re.sub(r"\"[^\"]*\"|'[^']*'", '""', expression)


def _type_mismatches(expression: str, types: dict[str, str]) -> list[str]:
    plain = _without_strings(expression)
    found: list[str] = []
    for match in [*_NAME_VS_TEXT.finditer(plain), *_NAME_IN_TEXTS.finditer(plain)]:
        name = next(g for g in match.groups() if g)
        if types.get(name) == "number":
            found.append(f"{name} is a number but is compared with text (drop the quotes)")
    for match in [*_NAME_VS_TEXT.finditer(plain), *_NAME_IN_TEXTS.finditer(plain)]:
        name = next(g for g in match.groups() if g)
        if types.get(name) == "boolean":
            found.append(f"{name} is a checkbox (true or false) but is compared with text")
    for match in _NAME_VS_NUMBER.finditer(plain):
        name = match.group(1)
        if types.get(name) == "text":
            found.append(f"{name} is text but is compared with a number")
        elif types.get(name) == "boolean":
            found.append(f"{name} is a checkbox (true or false) but is compared with a number")
    return sorted(set(found))


def _check_expression(
    where: _Where, loc: tuple[Any, ...], label: str, expression: str, known: set[str]
) -> Iterator[CatalogueProblem]:
    error = zen.validate_expression(expression)
    if error:
        yield where.problem(loc, label, f"syntax: {error['source']}")
        return
    unknown = sorted(expression_names(expression) - known)
    if unknown:
        yield where.problem(
            loc,
            label,
            f"unknown field(s) {', '.join(unknown)}; the permit's fields are listed in "
            f"{where.schema}",
        )
    for message in _type_mismatches(expression, where.types):
        yield where.problem(loc, label, f"type mismatch: {message}")


def _check_cell_type(column_type: str | None, cell: Cell | None) -> str | None:
    if column_type == "number" and isinstance(cell, TextSet):
        return "is a number column but the cell lists text"
    if column_type == "text" and isinstance(cell, Interval):
        return "is a text column but the cell is a number or range (quote the text)"
    if column_type == "boolean" and (
        isinstance(cell, Interval)
        or (isinstance(cell, TextSet) and cell.values - {"true", "false"})
    ):
        return "is a checkbox column: write true or false"
    return None


def _check_table_cells(
    where: _Where, t: int, table: DecisionTable, known: set[str]
) -> Iterator[CatalogueProblem]:
    label = f"tables.{t} ({table.name})"
    for name in sorted(set(table.inputs) - known):
        yield where.problem(
            ("tables", t, "inputs"),
            label,
            f"unknown field(s) {name}; inputs must be fields or computed values",
        )
    for r, row in enumerate(table.rows):
        for name, cell in row.when.items():
            loc = ("tables", t, "rows", r, "when", name)
            expression = unary_cell(cell)
            if expression is not None:
                try:
                    zen.compile_unary_expression(expression)
                except RuntimeError as exc:
                    source = str(exc).splitlines()[0]
                    yield where.problem(loc, f"{label} rows.{r}.{name}", f"syntax: {source}")
                    continue
            message = _check_cell_type(where.types.get(name), parse_cell(cell))
            if message:
                yield where.problem(
                    loc, f"{label} rows.{r}.{name}", f"type mismatch: {name} {message}"
                )


def _row_cells(table: DecisionTable, r: int) -> list[Cell] | None:
    cells = [parse_cell(table.rows[r].when.get(name)) for name in table.inputs]
    return None if any(c is None for c in cells) else [c for c in cells if c is not None]


def _row_conflict(earlier: list[Cell], later: list[Cell]) -> str | None:
    """'shadowed' when the earlier row takes every case of the later, 'overlap' when some."""
    shadows = [covers(a, b) for a, b in zip(earlier, later, strict=True)]
    meets = [meet(a, b) for a, b in zip(earlier, later, strict=True)]
    if None in shadows or None in meets:
        return None
    if all(shadows):
        return "shadowed"
    if all(meets) and not all(covers(b, a) for a, b in zip(earlier, later, strict=True)):
        return "overlap"
    return None


def _check_table_rows(where: _Where, t: int, table: DecisionTable) -> Iterator[CatalogueProblem]:
    parsed = [_row_cells(table, r) for r in range(len(table.rows))]
    for r, cells in enumerate(parsed):
        if cells is None:
            continue
        loc, label = ("tables", t, "rows", r), f"tables.{t} ({table.name}) rows.{r}"
        empty = [
            name
            for name, cell in zip(table.inputs, cells, strict=True)
            if isinstance(cell, Interval) and cell.empty
        ]
        if empty:
            yield where.problem(
                loc, label, f"can never match: the range for {', '.join(empty)} is empty"
            )
            continue
        if table.hit_policy != "first":
            continue
        for e, earlier in enumerate(parsed[:r]):
            conflict = None if earlier is None else _row_conflict(earlier, cells)
            at = f"row {e} (line {line_at(where.lines, 'tables', t, 'rows', e)})"
            if conflict == "shadowed":
                yield where.problem(
                    loc, label, f"can never match: {at} comes first and matches all its cases"
                )
                break
            if conflict == "overlap" and table.rows[e].then != table.rows[r].then:
                yield where.problem(
                    loc,
                    label,
                    f"overlaps {at}: with hit policy first, cases matching both get {at}'s "
                    "outputs; make the ranges disjoint or put the narrower row first",
                )


def _check_ruleset(where: _Where, ruleset: Ruleset) -> Iterator[CatalogueProblem]:
    known = set(where.types)
    for c, computed in enumerate(ruleset.computed):
        yield from _check_expression(
            where,
            ("computed", c, "expression"),
            f"computed.{c}.expression ({computed.name})",
            computed.expression,
            known,
        )
        known.add(computed.name)
    for t, table in enumerate(ruleset.tables):
        yield from _check_table_cells(where, t, table, known)
        yield from _check_table_rows(where, t, table)
        try:
            table_decision(table).validate()
        except RuntimeError as exc:
            yield where.problem(("tables", t), f"tables.{t} ({table.name})", str(exc))
    known |= {table.name for table in ruleset.tables}
    if ruleset.fee is not None:
        yield from _check_expression(where, ("fee",), "fee", ruleset.fee, known)
    for i, rule in enumerate(ruleset.rules):
        for key in ("applies_when", "expression"):
            expression = getattr(rule, key)
            if expression is not None:
                yield from _check_expression(
                    where, ("rules", i, key), f"rules.{i}.{key} ({rule.id})", expression, known
                )


def _texts_of(ruleset: Ruleset) -> Iterator[tuple[tuple[Any, ...], Text]]:
    for i, rule in enumerate(ruleset.rules):
        yield ("rules", i, "title"), rule.title
        yield ("rules", i, "reason"), rule.reason


def _permit_texts(permit_type: PermitType) -> Iterator[tuple[tuple[Any, ...], Text]]:
    permit = permit_type.permit
    yield ("name",), permit.name
    for i, spec in enumerate(permit.fields):
        yield ("fields", i, "label"), spec.label
    for i, document in enumerate(permit.required_documents):
        yield ("required_documents", i, "name"), document.name


def _check_translations(
    path: Path, lines: dict[tuple[Any, ...], int], texts: Iterator[tuple[tuple[Any, ...], Text]]
) -> Iterator[CatalogueProblem]:
    for loc, text in texts:
        for language, label in (("en", "English"), ("zh_hant", "Traditional Chinese")):
            if not getattr(text, language).strip():
                yield CatalogueProblem(
                    path,
                    line_at(lines, *loc, language),
                    ".".join(str(p) for p in (*loc, language)),
                    f"missing translation: the {label} text is empty",
                )


def _check_versions(permit_type: PermitType) -> Iterator[CatalogueProblem]:
    pairs = sorted(
        zip(permit_type.rulesets, permit_type.ruleset_paths, strict=True),
        key=lambda pair: pair[0].effective_from,
    )
    for (before, _), (after, path) in pairwise(pairs):
        line = line_at(yaml_lines(path), "effective_from")
        end = before.effective_to
        if end is None or end > after.effective_from:
            until = "with no end" if end is None else f"until {end}"
            yield CatalogueProblem(
                path,
                line,
                "effective_from",
                f"versions overlap: {before.version} is in force {until}, but {after.version} "
                f"starts on {after.effective_from}; set {before.version}'s effective_to to "
                f"{after.effective_from}",
            )
        elif end < after.effective_from:
            last_day = after.effective_from - dt.timedelta(days=1)
            yield CatalogueProblem(
                path,
                line,
                "effective_from",
                f"gap between versions: no rule set is in force from {end} to {last_day} "
                f"({before.version} ends on {end}, {after.version} starts on "
                f"{after.effective_from})",
            )


def _field_types(permit_type: PermitType) -> dict[str, str]:
    def kind(field_type: FieldType) -> str:
        if field_type in _NUMERIC:
            return "number"
        return "boolean" if field_type == FieldType.BOOLEAN else "text"

    return {f.name: kind(f.type) for f in permit_type.permit.all_fields}


def check_rules(permit_type: PermitType) -> list[CatalogueProblem]:
    schema = permit_type.folder / "permit.yaml"
    problems = list(_check_translations(schema, yaml_lines(schema), _permit_texts(permit_type)))
    problems.extend(_check_versions(permit_type))
    for ruleset, path in zip(permit_type.rulesets, permit_type.ruleset_paths, strict=True):
        lines = yaml_lines(path)
        where = _Where(path, lines, _field_types(permit_type), schema)
        problems.extend(_check_ruleset(where, ruleset))
        problems.extend(_check_translations(path, lines, _texts_of(ruleset)))
        problems.extend(
            CatalogueProblem(path, _test_line(lines, ruleset, name), "tests", message)
            for name, message in run_inline_tests(ruleset)
        )
    return problems


def _test_line(lines: dict[tuple[Any, ...], int], ruleset: Ruleset, name: str) -> int | None:
    index = next(i for i, test in enumerate(ruleset.tests) if test.name == name)
    return line_at(lines, "tests", index, "name")


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
        problems.extend(check_form(permit_type))
        problems.extend(check_policy(permit_type))
        rules = sum(len(r.rules) for r in permit_type.rulesets)
        tests = sum(len(r.tests) for r in permit_type.rulesets)
        summary.append(
            f"{permit_type.id}: {len(permit_type.permit.fields)} fields, "
            f"{len(permit_type.rulesets)} rule set(s), {rules} rules, {tests} inline tests"
        )
    problems.extend(check_message_templates())
    return problems, summary
