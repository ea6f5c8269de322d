"""`permits bench precedents`: nearest-decided-case search at 100,000 precedents, as the
precedents reviewer runs it: the per-process matrix read from the database (cold), brought up to
date before each query (warm), a query embedded and searched, and the memory the matrix holds.

Embedding 100,000 summaries would take most of an hour on two cores, so a few hundred real
summaries (varied business types, sizes and failed rules) are embedded and each seeded case
takes one of them plus a little noise: realistic clusters, not random points.
"""

from __future__ import annotations

import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import insert

from cases.catalogue import get_permit_type
from cases.db import get_engine, session_scope, upgrade_database
from cases.lifecycle import CaseStatus
from cases.models import Case, Precedent, utcnow
from cases.precedents import (
    DecidedCases,
    case_summary,
    decided_cases,
    embed,
    forget_precedents,
    key_fields,
    key_values,
    model_label,
    nearest,
    weights_hash,
)
from tools.bench import Steps, no_steps
from tools.bench.databases import fresh_postgres, settings_pointed_at

__all__ = ["bench_precedents"]

FOOD = "food-business-licence"
_DISTINCT = 400
_CHUNK = 5_000
Progress = Callable[[str], None]


def _summaries(count: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    permit_type = get_permit_type(FOOD)
    kinds = next(spec.choices for spec in key_fields(permit_type) if spec.choices)
    failures = ["", "FBL-1 Minimum floor area", "FBL-3 Hygiene manager", "FBL-4 Area per seat"]
    made = []
    for _ in range(count):
        values = {
            "business_type": rng.choice(kinds),
            "floor_area_m2": str(round(rng.lognormvariate(4.3, 0.6), 1)),
            "seating_capacity": str(rng.randint(0, 200)),
            "hygiene_staff": str(rng.randint(0, 4)),
            "has_fire_certificate": rng.choice(["yes", "no"]),
            "agrees_to_inspection": "yes",
        }
        keys = key_values(permit_type, values)
        failed = [f for f in rng.sample(failures, 2) if f]
        made.append((case_summary(permit_type, keys, failed), keys))
    return made


def _vectors(base: npt.NDArray[np.float32], count: int, seed: int) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(base), count)
    noisy = base[picks] + rng.normal(0, 0.02, (count, base.shape[1])).astype(np.float32)
    unit: npt.NDArray[np.float32] = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(
        np.float32
    )
    return unit


def _seed(url: str, cases: int, say: Progress, steps: Steps) -> float:
    rng = random.Random(14)
    summaries = _summaries(_DISTINCT, rng)
    say(f"embedding {_DISTINCT} distinct summaries")
    base = embed([text for text, _ in summaries])
    weights, label = weights_hash(), model_label()
    started = time.perf_counter()
    engine = get_engine(url)
    now = utcnow()
    steps("precedents stored", 0, cases)
    for start in range(0, cases, _CHUNK):
        size = min(_CHUNK, cases - start)
        vectors = _vectors(base, size, start)
        with engine.begin() as connection:
            case_rows = [
                {
                    "id": start + i + 1,
                    "reference": f"BENCH-{start + i + 1:07d}",
                    "permit_type": FOOD,
                    "status": CaseStatus.CLOSED.value,
                    "submitted_at": now,
                    "updated_at": now,
                    "decided_outcome": "approve" if rng.random() < 0.8 else "refuse",
                }
                for i in range(size)
            ]
            connection.execute(insert(Case), case_rows)
            connection.execute(
                insert(Precedent),
                [
                    {
                        "case_id": row["id"],
                        "permit_type": FOOD,
                        "outcome": row["decided_outcome"],
                        "model_name": label,
                        "weights_hash": weights,
                        "vector": vector.tobytes(),
                        "key_values": summaries[i % _DISTINCT][1],
                        "summary": "",
                        "created_at": now,
                    }
                    for i, (row, vector) in enumerate(zip(case_rows, vectors, strict=True))
                ],
            )
        steps("precedents stored", start + size, cases)
    return time.perf_counter() - started


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered) * 1000, 2),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 2),
    }


def _measure(url: str, cases: int, queries: int, say: Progress, steps: Steps) -> dict[str, Any]:
    seed_s = _seed(url, cases, say, steps)
    forget_precedents()
    weights = weights_hash()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with session_scope() as session:
        decided = decided_cases(session, FOOD, weights)
        matrix = decided.matrix
    cold_s = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    texts = [text for text, _ in _summaries(queries, random.Random(99))]
    refresh, search, embedded = [], [], []
    steps("searches timed", 0, queries)
    for text in texts:
        t0 = time.perf_counter()
        with session_scope() as session:
            decided = decided_cases(session, FOOD, weights)
        t1 = time.perf_counter()
        vector = embed([text])[0]
        t2 = time.perf_counter()
        found = nearest(decided, vector, k=5)
        t3 = time.perf_counter()
        assert len(found) == 5
        refresh.append(t1 - t0)
        embedded.append(t2 - t1)
        search.append(t3 - t2)
        steps("searches timed", len(search), queries)
    exact = _recall(decided, texts[:20])
    return {
        "cases": cases,
        "seed_s": round(seed_s, 1),
        "cold_load_s": round(cold_s, 2),
        "matrix_mb": round(matrix.nbytes / 2**20, 1),
        "rss_growth_mb": round((rss_after - rss_before) / 1024, 1),
        "refresh_ms": _ms(refresh),
        "embed_ms": _ms(embedded),
        "search_ms": _ms(search),
        "query_total_ms": _ms(
            [a + b + c for a, b, c in zip(refresh, embedded, search, strict=True)]
        ),
        "recall_at_5": exact,
    }


def _recall(decided: DecidedCases, texts: list[str]) -> float:
    """Share of the true five nearest (a full sort) that the search returns (exact: 1.0)."""
    hits = 0
    for vector in embed(texts):
        order = np.argsort(-(decided.matrix @ vector), kind="stable")[:5]
        truth = {decided.case_ids[i] for i in order}
        hits += len(truth & {n.case_id for n in nearest(decided, vector, k=5)})
    return round(hits / (5 * len(texts)), 3)


def _on(steps: Steps, backend: str) -> Steps:
    """The database's own bars, so that with ``both`` the second does not refill the first."""
    return lambda what, done, total: steps(f"{backend}: {what}", done, total)


def bench_precedents(
    *,
    cases: int = 100_000,
    queries: int = 100,
    backend: str = "sqlite",
    postgres_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_precedents",
    progress: Progress | None = None,
    steps: Steps = no_steps,
) -> dict[str, Any]:
    """Seed ``cases`` precedents in a throw-away database per backend and time the search."""
    say = progress or (lambda message: None)
    result: dict[str, Any] = {"model": model_label()}
    with tempfile.TemporaryDirectory(prefix="bench-precedents-") as folder:
        if backend in ("sqlite", "both"):
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            upgrade_database(url)
            with settings_pointed_at(url, Path(folder)):
                say("sqlite:")
                result["sqlite"] = _measure(url, cases, queries, say, _on(steps, "sqlite"))
        if backend in ("postgres", "both"):
            fresh_postgres(postgres_url)
            with settings_pointed_at(postgres_url, Path(folder)):
                say("postgres:")
                result["postgres"] = _measure(
                    postgres_url, cases, queries, say, _on(steps, "postgres")
                )
    forget_precedents()
    return result
