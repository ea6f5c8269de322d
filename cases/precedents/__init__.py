"""Precedents: decided cases as later reviews compare with them (summary embedding, outcome, key
values), and the nearest of them to a new case."""

from __future__ import annotations

from cases.precedents.embedding import (
    MODEL_NAME,
    ModelUnavailable,
    embed,
    model_label,
    weights_hash,
)
from cases.precedents.index import (
    DecidedCases,
    Neighbour,
    decided_cases,
    forget_precedents,
    nearest,
)
from cases.precedents.store import (
    BackfillReport,
    backfill_precedents,
    record_precedent,
    summarise_case,
)
from cases.precedents.summary import (
    NUMERIC_TYPES,
    case_summary,
    failed_rules,
    key_fields,
    key_values,
)

__all__ = [
    "MODEL_NAME",
    "NUMERIC_TYPES",
    "BackfillReport",
    "DecidedCases",
    "ModelUnavailable",
    "Neighbour",
    "backfill_precedents",
    "case_summary",
    "decided_cases",
    "embed",
    "failed_rules",
    "forget_precedents",
    "key_fields",
    "key_values",
    "model_label",
    "nearest",
    "record_precedent",
    "summarise_case",
    "weights_hash",
]
