"""Decision tables: compiled once, matched row by row with zen-engine's unary expressions.

A JDM decision call costs about 0.25 ms in zen's runtime, more than a whole 15-rule case otherwise
takes, so rows are matched here from compiled unary cells; the equivalent JDM graph
(``decision_graph``) is kept for validation and export, and tests check the two agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import zen

from cases.catalogue import DecisionTable

__all__ = [
    "TableResult",
    "clear_compiled_tables",
    "decision_graph",
    "evaluate_table",
    "table_decision",
    "unary_cell",
    "zen_error",
]

_NEGATION = re.compile(r"^\s*not\s*\((.*)\)\s*$", re.DOTALL)


@dataclass(slots=True)
class TableResult:
    name: str
    description: str
    hit_policy: str
    inputs: dict[str, Any]
    matched_rows: list[dict[str, Any]]
    result: Any
    error: str | None = None


def unary_cell(cell: Any) -> str | None:
    """A table cell as a zen unary expression; None for "any" (``-`` or empty).

    A number or boolean means "equals"; ``not("a", "b")`` means "none of these" (zen's own ``not``
    takes a boolean, so the list form is rewritten to ``not($ in [...])``).
    """
    if cell is None or (isinstance(cell, str) and cell.strip() in ("", "-")):
        return None
    if isinstance(cell, bool):
        return f"$ == {'true' if cell else 'false'}"
    if isinstance(cell, int | float):
        return f"$ == {cell}"
    negated = _NEGATION.match(cell)
    if negated:
        return f"not($ in [{negated.group(1)}])"
    return str(cell)


@dataclass(frozen=True)
class _CompiledTable:
    table: DecisionTable
    rows: list[list[tuple[str, Any]]]  # per row: (input name, compiled unary) for non-"any" cells
    broken: dict[int, str]  # row index -> why one of its cells does not compile


def _compile_cell(expression: str) -> Any:
    try:
        return zen.compile_unary_expression(expression)
    except RuntimeError as exc:
        return zen_error(exc)


_TABLES: dict[int, _CompiledTable] = {}


def _compiled_table(table: DecisionTable) -> _CompiledTable:
    cached = _TABLES.get(id(table))
    if cached is not None and cached.table is table:
        return cached
    rows = [
        [
            (name, _compile_cell(expr))
            for name in table.inputs
            if (expr := unary_cell(row.when.get(name))) is not None
        ]
        for row in table.rows
    ]
    broken = {
        index: f"row {index}, {name}: {unary}"
        for index, cells in enumerate(rows)
        for name, unary in cells
        if isinstance(unary, str)
    }
    compiled = _CompiledTable(table, rows, broken)
    if len(_TABLES) >= 1024:  # tables of drafts and tests come and go; the catalogue's stay few
        _TABLES.clear()
    _TABLES[id(table)] = compiled
    return compiled


def decision_graph(table: DecisionTable) -> str:
    """The table as a JDM decision graph (GoRules JSON: input -> decision table -> output)."""
    inputs = [{"id": f"i{i}", "name": name, "field": name} for i, name in enumerate(table.inputs)]
    outputs = [{"id": f"o{i}", "name": name, "field": name} for i, name in enumerate(table.outputs)]
    rules = []
    for r, row in enumerate(table.rows):
        cells: dict[str, str] = {"_id": f"r{r}"}
        for i, name in enumerate(table.inputs):
            cells[f"i{i}"] = unary_cell(row.when.get(name)) or ""
        for i, name in enumerate(table.outputs):
            cells[f"o{i}"] = json.dumps(row.then.get(name))
        rules.append(cells)
    position = {"x": 0, "y": 0}
    nodes = [
        {"id": "in", "type": "inputNode", "name": "Case", "position": position, "content": {}},
        {
            "id": table.name,
            "type": "decisionTableNode",
            "name": table.name,
            "position": position,
            "content": {
                "hitPolicy": table.hit_policy,
                "inputs": inputs,
                "outputs": outputs,
                "rules": rules,
            },
        },
        {"id": "out", "type": "outputNode", "name": "Result", "position": position, "content": {}},
    ]
    edges = [
        {"id": "e1", "sourceId": "in", "targetId": table.name, "type": "edge"},
        {"id": "e2", "sourceId": table.name, "targetId": "out", "type": "edge"},
    ]
    return json.dumps({"nodes": nodes, "edges": edges})


_DECISIONS: dict[int, tuple[DecisionTable, Any]] = {}


def table_decision(table: DecisionTable) -> Any:
    """The table compiled by zen-engine as a JDM decision (cached), for checks and export."""
    cached = _DECISIONS.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    decision = zen.ZenEngine().create_decision(decision_graph(table))
    _DECISIONS[id(table)] = (table, decision)
    return decision


def _row_matches(cells: list[tuple[str, Any]], inputs: dict[str, Any]) -> bool:
    for name, unary in cells:
        try:
            if unary.evaluate({"$": inputs[name]}) is not True:
                return False
        except RuntimeError:
            return False  # a cell that cannot compare with the value (text against a range) misses
    return True


def evaluate_table(table: DecisionTable, values: dict[str, Any]) -> TableResult:
    inputs = {name: values.get(name) for name in table.inputs}
    missing = sorted(name for name, value in inputs.items() if value is None)
    matched: list[dict[str, Any]] = []
    compiled = _compiled_table(table)
    if not missing:
        for index, cells in enumerate(compiled.rows):
            if index in compiled.broken:
                continue
            if _row_matches(cells, inputs):
                row = table.rows[index]
                matched.append({"index": index, "when": dict(row.when), "then": dict(row.then)})
                if table.hit_policy == "first":
                    break
    outputs = [{name: m["then"].get(name) for name in table.outputs} for m in matched]
    result: Any = outputs if table.hit_policy == "collect" else (outputs[0] if outputs else None)
    return TableResult(
        name=table.name,
        description=table.description,
        hit_policy=table.hit_policy,
        inputs=inputs,
        matched_rows=matched,
        result=result,
        error=f"value missing: {', '.join(missing)}" if missing else _broken(compiled),
    )


def _broken(compiled: _CompiledTable) -> str | None:
    if not compiled.broken:
        return None
    return "a cell does not compile (its row never matches): " + "; ".join(compiled.broken.values())


def zen_error(exc: Exception) -> str:
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        return str(json.loads(first_line).get("source", first_line))
    except (ValueError, AttributeError):
        return first_line


def clear_compiled_tables() -> None:
    """Forget every compiled table and JDM decision."""
    _TABLES.clear()
    _DECISIONS.clear()
