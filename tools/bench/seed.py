"""Bulk seeding of realistic cases for ``permits bench inbox`` (100,000 cases: ~4 million rows).

Every case is shaped as the real stages leave it: an applicant, an application form and an
identity-card copy, every field of its permit read with a confidence and a box, and, past the
verification gate, the eligibility trace and the review the real code produced for it (each
distinct application is evaluated once with :func:`cases.eligibility.evaluate_ruleset` and
checked with :func:`cases.review.cross_check`, then reused). Gate tasks follow the permit's
approval policy (roles, four-eyes second steps), are spread over due dates, some overdue, and some
are claimed. The audit trail is a valid hash chain (``permits audit verify`` passes on it).

Rows go straight to the driver in chunks of cases (executemany on SQLite, COPY on PostgreSQL),
never through the ORM one by one: 100,000 cases took 136 s on SQLite and 160 s on PostgreSQL on
two shared, busy cores (about half of it building rows and hashing the audit chain). The
database must be freshly migrated and empty: ids are given explicitly (and PostgreSQL's sequences
moved past them afterwards) so that fields can point at their documents without a round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from cases.catalogue import PermitType, load_catalogue
from cases.eligibility import evaluate_ruleset, typed_values
from cases.kpi_summaries import refresh_case_kpis
from cases.lifecycle import CaseStatus
from cases.models import (
    Case,
    utcnow,
)
from cases.review import cross_check, risk_of
from tools.bench.bulk import Chain, Rows, finish_seeding, insert_rows
from tools.bench.case_rows import BENCH_USERNAME, CaseBuilder, Ids, Variant
from tools.samples.applications import random_truth

__all__ = ["BENCH_USERNAME", "SeedReport", "seed_cases"]

_PERMIT_SHARE = {"food-business-licence": 5, "temporary-event-permit": 3, "liquor-licence": 2}
S = CaseStatus
# (status, share in %, submitted this many days ago: from, to)
_STAGES = (
    (S.AWAITING_VERIFICATION, 8, 0, 25),
    (S.AWAITING_DECISION, 22, 2, 70),
    (S.AWAITING_APPLICANT, 3, 10, 60),
    (S.DECIDED, 2, 5, 60),
    (S.LETTER_ISSUED, 15, 10, 120),
    (S.CLOSED, 50, 30, 730),
)
_VARIANTS_PER_PERMIT = 150


@dataclass(frozen=True)
class SeedReport:
    cases: int
    open_tasks: int
    seconds: float


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    return str(value)


def _application_texts(permit_type: PermitType, base: dict[str, Any], seed: int) -> dict[str, str]:
    """A rule file's test input, with a person's details around it and one review problem in
    five (another name on the identity card, or an unread card number)."""
    truth = random_truth(seed)
    texts = {
        spec.name: _as_text(base[spec.name])
        if spec.name in base
        else truth.get(spec.name, f"{spec.label.en} {seed % 97}")
        for spec in permit_type.permit.fields
    }
    rng = random.Random(seed)
    roll = rng.random()
    if roll < 0.1 and "id_card_name" in texts:
        texts["id_card_name"] = random_truth(seed + 1)["applicant_name"]
    elif roll < 0.2 and "id_card_number" in texts:
        texts["id_card_number"] = ""
    return texts


def _variants(permit_type: PermitType, seed: int) -> list[Variant]:
    ruleset = max(permit_type.rulesets, key=lambda r: r.effective_from)
    inputs = [test.input for test in ruleset.tests] or [{}]
    variants = []
    for n in range(_VARIANTS_PER_PERMIT):
        texts = _application_texts(permit_type, inputs[n % len(inputs)], seed * 1000 + n)
        evaluation = evaluate_ruleset(ruleset, typed_values(permit_type, texts))
        trace = json.loads(json.dumps(evaluation.as_trace(), default=str))  # as stored
        findings = cross_check(texts)
        variants.append(
            Variant(
                permit_type=permit_type,
                texts=texts,
                outcome=evaluation.outcome,
                fee=evaluation.fee,
                trace=trace,
                failed=[r for r in trace["rules"] if not r["passed"]],
                risk=risk_of(findings),
                findings={"findings": [f.as_json() for f in findings]},
            )
        )
    return variants


def _stage_and_age(rng: random.Random) -> tuple[CaseStatus, float]:
    roll, total = rng.uniform(0, 100), 0
    for status, share, oldest, newest in _STAGES:
        total += share
        if roll < total:
            return status, rng.uniform(oldest, newest)
    return S.CLOSED, rng.uniform(30, 730)


def seed_cases(
    engine: Engine,
    count: int,
    *,
    seed: int = 1,
    now: dt.datetime | None = None,
    chunk: int = 2000,
    steps: Callable[[str, int, int | None], None] | None = None,
) -> SeedReport:
    """Insert ``count`` cases into a freshly migrated, empty database; return what was made."""
    started = utcnow()
    now = now or started
    catalogue = load_catalogue()
    variants = {pid: _variants(catalogue[pid], seed + n) for n, pid in enumerate(_PERMIT_SHARE)}
    permit_ids = list(_PERMIT_SHARE)
    weights = list(_PERMIT_SHARE.values())
    rng, ids, chain = random.Random(seed), Ids(), Chain()
    open_tasks = 0
    for first in range(1, count + 1, chunk):
        rows = Rows()
        for case_id in range(first, min(first + chunk, count + 1)):
            permit_id = rng.choices(permit_ids, weights)[0]
            status, days = _stage_and_age(rng)
            variant = rng.choice(variants[permit_id])
            submitted = now - dt.timedelta(days=days)
            builder = CaseBuilder(rows, ids, chain, rng, case_id, variant, status, submitted)
            open_tasks += builder.build()
        with engine.begin() as connection:
            insert_rows(connection, rows)
            # rows written past the ORM: their KPI summaries in the same transaction
            refresh_case_kpis(connection, range(first, min(first + chunk, count + 1)))
        if steps:
            steps("cases seeded", min(first + chunk - 1, count), count)
    with engine.begin() as connection:
        finish_seeding(connection, chain)
        stored = connection.execute(select(func.count()).select_from(Case.__table__)).scalar_one()  # type: ignore[attr-defined]
    return SeedReport(stored, open_tasks, (utcnow() - started).total_seconds())
