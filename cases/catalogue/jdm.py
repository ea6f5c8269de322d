"""Decision tables drawn in the GoRules editor: a rule file's table may say ``jdm: file.json``.

The JDM file (the editor's export) must hold one ``decisionTableNode``; its hit policy, input and
output fields and rows become the table's own, so the checks, the trace and the inline tests treat
it like a table written in YAML. Output cells must be literal values (``5120``, ``"B"``): a fee
computed by an expression belongs in the rule file's ``fee:`` where the checks can read it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cases.errors import CatalogueError, CatalogueProblem

__all__ = ["expand_jdm_tables", "table_from_jdm"]

_NOT_IN = re.compile(r"^\s*not\s*\(\s*\$\s+in\s+\[(.*)\]\s*\)\s*$", re.DOTALL)


def _problem(path: Path, where: str, message: str) -> CatalogueError:
    return CatalogueError([CatalogueProblem(path, None, where, message)])


def _decision_table(path: Path) -> dict[str, Any]:
    try:
        graph = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _problem(path, "(file)", f"not a readable JDM file: {exc}") from exc
    nodes = [n for n in graph.get("nodes", []) if n.get("type") == "decisionTableNode"]
    if len(nodes) != 1:
        raise _problem(path, "nodes", f"expected one decisionTableNode, found {len(nodes)}")
    content: dict[str, Any] = nodes[0].get("content", {})
    return content


def _input_cell(cell: str) -> str | None:
    if not cell.strip():
        return None
    negated = _NOT_IN.match(cell)  # the form decision_graph writes for not("a", "b")
    return f"not({negated.group(1)})" if negated else cell


def _output_cell(path: Path, where: str, cell: str) -> Any:
    try:
        return json.loads(cell) if cell.strip() else None
    except ValueError:
        raise _problem(
            path, where, f"output {cell!r} is an expression; only literal values are imported"
        ) from None


def table_from_jdm(path: Path) -> dict[str, Any]:
    """hit_policy, inputs, outputs and rows of the JDM file's decision table, as YAML would."""
    content = _decision_table(path)
    columns_in = [(c.get("id"), c.get("field")) for c in content.get("inputs", [])]
    columns_out = [(c.get("id"), c.get("field")) for c in content.get("outputs", [])]
    for kind, columns in (("inputs", columns_in), ("outputs", columns_out)):
        if any(not field for _id, field in columns):
            raise _problem(path, kind, "every column needs a field name")
    rows = []
    for r, rule in enumerate(content.get("rules", [])):
        when = {
            field: cell
            for column, field in columns_in
            if (cell := _input_cell(str(rule.get(column, "")))) is not None
        }
        then = {
            field: _output_cell(path, f"rules.{r}.{field}", str(rule.get(column, "")))
            for column, field in columns_out
        }
        rows.append({"when": when, "then": then})
    return {
        "hit_policy": content.get("hitPolicy", "first"),
        "inputs": [field for _id, field in columns_in],
        "outputs": [field for _id, field in columns_out],
        "rows": rows,
    }


def expand_jdm_tables(path: Path, data: Any) -> Any:
    """The rule file's data with each ``jdm:`` table filled in from its file (beside it)."""
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        return data
    tables = []
    for table in data["tables"]:
        if isinstance(table, dict) and isinstance(table.get("jdm"), str):
            source = table["jdm"]
            rest = {k: v for k, v in table.items() if k != "jdm"}
            both = sorted(set(rest) & {"hit_policy", "inputs", "outputs", "rows"})
            if both:
                raise _problem(
                    path,
                    f"tables ({rest.get('name')})",
                    f"jdm: gives {', '.join(both)}; remove them",
                )
            table = {**rest, **table_from_jdm(path.parent / source), "source": source}
        tables.append(table)
    return {**data, "tables": tables}
