"""Nearest decided cases by cosine similarity: numpy over a matrix cached per process.

Measured at 100,000 vectors of 384 dimensions on this project's 2-core machine (README,
"Precedents"): a matrix product answers a query exactly in ~5 ms; sqlite-vec's ``vec0`` took
~48 ms (and the Python here cannot load SQLite extensions); HNSW indexes (hnswlib, usearch) answer
in under 2 ms but took 3-6 minutes to build and missed most true neighbours at default settings.
PostgreSQL has no pgvector here. So the database holds the vectors (the one truth) and each
process keeps a matrix per permit type, brought up to date with the rows added since (by id) on
every query; a row removed (re-embedding) makes it read the permit type's rows again (noticed by
a count at most every ``RECOUNT_S`` seconds).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import col, select

from cases.models import Case, Precedent
from cases.precedents.embedding import DIMENSIONS, few_threads
from cases.settings import get_settings
from cases.vocabulary import Decision

__all__ = [
    "RECOUNT_S",
    "DecidedCases",
    "Neighbour",
    "Reader",
    "decided_cases",
    "forget_precedents",
    "nearest",
]


@dataclass(frozen=True)
class Neighbour:
    case_id: int
    reference: str
    outcome: Decision
    similarity: float


@dataclass
class DecidedCases:
    """One permit type's decided cases as last read: vectors and what each case was."""

    weights_hash: str
    last_id: int = 0
    counted_at: float = field(default_factory=time.monotonic)
    case_ids: list[int] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    outcomes: list[Decision] = field(default_factory=list)
    key_values: list[dict[str, Any]] = field(default_factory=list)
    _blocks: list[npt.NDArray[np.float32]] = field(default_factory=list)
    _matrix: npt.NDArray[np.float32] | None = None

    @property
    def matrix(self) -> npt.NDArray[np.float32]:
        if self._matrix is None or len(self._blocks) > 1:
            self._matrix = (
                np.vstack(self._blocks) if self._blocks else np.zeros((0, DIMENSIONS), np.float32)
            )
            self._blocks = [self._matrix]
        return self._matrix

    def extend(self, rows: list[Any]) -> None:
        if not rows:
            return
        block = np.frombuffer(b"".join(r.vector for r in rows), dtype=np.float32)
        self._blocks.append(block.reshape(len(rows), DIMENSIONS))
        self._matrix = None
        for row in rows:
            self.case_ids.append(row.case_id)
            self.references.append(row.reference)
            self.outcomes.append(row.outcome)
            self.key_values.append(row.key_values)
        self.last_id = rows[-1].id


class Reader(Protocol):
    """A session, or the read-only one a reviewer is given: all this module does is SELECT."""

    def exec(self, statement: Any) -> Any: ...


_cache: dict[tuple[str, str], DecidedCases] = {}
_lock = threading.Lock()
_BATCH = 20_000
#: How often (seconds) the rows are counted to notice one removed (only a re-embedding removes):
#: counting 100,000 rows took ~0.3 s a query here, reading the rows added since ~1 ms.
RECOUNT_S = 60.0


def _rows_after(  # the row type has six columns; sqlmodel's select types four
    session: Reader, permit_type: str, weights: str, after: int, limit: int
) -> list[Any]:
    statement: Any = (
        select_columns(  # type: ignore[call-overload]
            Precedent.id,
            Precedent.case_id,
            Precedent.outcome,
            Precedent.vector,
            Precedent.key_values,
            Case.reference,
        )
        .join(Case, col(Case.id) == col(Precedent.case_id))
        .where(
            Precedent.permit_type == permit_type,
            Precedent.weights_hash == weights,
            col(Precedent.id) > after,
        )
        .order_by(col(Precedent.id))
        .limit(limit)
    )
    return list(session.exec(statement).all())


def _count(session: Reader, permit_type: str, weights: str) -> int:
    statement = select(func.count()).where(
        Precedent.permit_type == permit_type, Precedent.weights_hash == weights
    )
    return int(session.exec(statement).one())


def decided_cases(session: Reader, permit_type: str, weights: str) -> DecidedCases:
    """The permit type's decided cases embedded by the model with these weights, up to date."""
    key = (get_settings().resolved_database_url, permit_type)
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached.weights_hash != weights:
            cached = _cache[key] = DecidedCases(weights)
        while rows := _rows_after(session, permit_type, weights, cached.last_id, _BATCH):
            cached.extend(rows)
        if time.monotonic() - cached.counted_at >= RECOUNT_S:
            cached.counted_at = time.monotonic()
            if _count(session, permit_type, weights) != len(cached.case_ids):  # one was removed
                cached = _cache[key] = DecidedCases(weights)
                while rows := _rows_after(session, permit_type, weights, cached.last_id, _BATCH):
                    cached.extend(rows)
        return cached


def forget_precedents() -> None:
    """Drop every cached matrix (the next query reads the database again)."""
    with _lock:
        _cache.clear()


def nearest(
    decided: DecidedCases,
    vector: npt.NDArray[np.float32],
    *,
    k: int = 5,
    exclude_case_id: int | None = None,
) -> list[Neighbour]:
    """The ``k`` decided cases most similar to ``vector`` (a unit vector), most similar first."""
    matrix = decided.matrix
    if not len(matrix):
        return []
    with few_threads():
        scores = matrix @ vector.astype(np.float32)
    wanted = min(k + 1, len(scores))
    top = np.argpartition(-scores, wanted - 1)[:wanted]
    ranked = top[np.argsort(-scores[top], kind="stable")]
    found = [
        Neighbour(decided.case_ids[i], decided.references[i], decided.outcomes[i], float(scores[i]))
        for i in ranked
        if decided.case_ids[i] != exclude_case_id
    ]
    return found[:k]
