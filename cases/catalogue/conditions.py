"""Licence conditions: a decision table names each by its code, the permit says it in words.

A table's output column ``condition`` holds a code of the permit's ``conditions:`` block (e.g.
``crowd_management_plan``), so the stored evaluation keeps the code and a letter prints the text in
its own language. Loading the catalogue reports a code the permit does not define, with the rule
file's line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cases.catalogue.schema import Permit, Ruleset, Text

__all__ = ["CONDITION_OUTPUT", "condition_texts", "unknown_conditions"]

#: The output column of a decision table that names a licence condition by its code.
CONDITION_OUTPUT = "condition"


def unknown_conditions(permit: Permit, ruleset: Ruleset) -> Iterator[tuple[int, int, str]]:
    """(table index, row index, code) of every ``condition`` output the permit does not define."""
    for t, table in enumerate(ruleset.tables):
        if CONDITION_OUTPUT not in table.outputs:
            continue
        for r, row in enumerate(table.rows):
            code = row.then.get(CONDITION_OUTPUT)
            if code is not None and str(code) not in permit.conditions:
                yield t, r, str(code)


def condition_texts(permit: Permit, result: Any, language: str) -> Any:
    """A table's result with each condition code replaced by its text in ``language`` (a code
    the permit no longer defines is shown as it was stored)."""

    def said(row: Any) -> Any:
        if not isinstance(row, dict) or CONDITION_OUTPUT not in row:
            return row
        code = row[CONDITION_OUTPUT]
        text: Text | None = permit.conditions.get(str(code))
        return {**row, CONDITION_OUTPUT: text.in_language(language) if text else code}

    if isinstance(result, list):
        return [said(row) for row in result]
    return said(result)
