"""``permits bench rules``: rules per second, compiled and cold, and a 100,000-case impact run.

The rule set is the food licence's newest one, padded to at least 15 rules with renamed copies
(the target is stated for 15 rules). Cases are generated from a seed, spread over every business
type and size band so each table row and ``applies_when`` branch is exercised. The impact run
stores 100,000 evaluated cases in a throw-away SQLite database (bulk inserts) and times
:func:`cases.authoring.impact_of_draft` over them.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cases.authoring import impact_of_draft
from cases.catalogue import PermitType, Ruleset, get_permit_type
from cases.db import get_engine, upgrade_database
from cases.eligibility import clear_compiled, evaluate_ruleset
from tools.bench import Steps

__all__ = ["bench_rules", "bench_ruleset", "generated_values"]

FOOD = "food-business-licence"
_TYPES = ("Restaurant", "Light refreshment", "Food factory", "Karaoke")


def bench_ruleset(permit_type: PermitType, rules: int = 15) -> Ruleset:
    """The newest rule set with renamed copies of its rules appended up to ``rules`` rules."""
    ruleset = max(permit_type.rulesets, key=lambda r: r.effective_from)
    extra = [
        rule.model_copy(update={"id": f"BENCH-{i + 1}"})
        for i, rule in zip(range(rules - len(ruleset.rules)), ruleset.rules * 2, strict=False)
    ]
    return ruleset.model_copy(update={"rules": [*ruleset.rules, *extra]})


def generated_values(seed: int, count: int) -> list[dict[str, Any]]:
    """Typed field values as ``case_values`` gives them, varied across the rules' branches."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        business_type = rng.choice(_TYPES)
        seats = 0 if business_type == "Food factory" else rng.randint(0, 160)
        cases.append(
            {
                "applicant_name": "CHAN Tai Man",
                "hkid": "A123456(3)",
                "phone": "91234567",
                "business_name": "Golden Noodle House",
                "premises_address": "Shop 1, G/F, 1 Nathan Road",
                "business_type": business_type,
                "floor_area_m2": round(rng.uniform(5, 400), 1),
                "seating_capacity": seats,
                "hygiene_staff": rng.randint(0, 3),
                "fire_certificate_no": rng.choice(["", "FSD-2026-01234"]),
                "application_date": "2026-03-02",
                "id_card_name": "CHAN Tai Man",
                "id_card_number": "A123456(3)",
            }
        )
    return cases


def _rate(ruleset: Ruleset, cases: list[dict[str, Any]], *, cold: bool) -> float:
    """Cases per second of this process's CPU time: one core, whatever else the machine runs."""
    started = time.process_time()
    for values in cases:
        if cold:
            clear_compiled()
        evaluate_ruleset(ruleset, values)
    return len(cases) / (time.process_time() - started)


def _store_cases(url: str, permit_type: PermitType, ruleset: Ruleset, count: int) -> None:
    """Bulk-insert ``count`` evaluated cases (fields, outcome, fee, trace) with executemany.

    Traces are serialised once per distinct case (1,000 of them, reused in turn) and rows go
    straight to the driver: the ORM's per-row work would take longer than the run being timed.
    """
    distinct = generated_values(7, 1000)
    evaluations = [evaluate_ruleset(ruleset, values) for values in distinct]
    traces = [json.dumps(e.as_trace(), default=str) for e in evaluations]
    fees = [None if e.fee is None else str(e.fee) for e in evaluations]
    now = "2026-03-02 09:00:00.000000"
    with get_engine(url).begin() as connection:
        for start in range(0, count, 20_000):
            ids = range(start + 1, min(start + 20_000, count) + 1)
            connection.exec_driver_sql(
                'INSERT INTO "case" (id, reference, permit_type, status, submitted_at, '
                "updated_at) VALUES (?, ?, ?, 'letter_issued', ?, ?)",
                [(i, f"BENCH-{i:07d}", permit_type.id, now, now) for i in ids],
            )
            connection.exec_driver_sql(
                "INSERT INTO extractedfield (case_id, name, value, raw_text, confidence, page, "
                "bbox, engine, status) VALUES (?, ?, ?, '', 0.9, 1, '[]', 'bench', 'accepted')",
                [
                    (i, name, str(value))
                    for i in ids
                    for name, value in distinct[i % len(distinct)].items()
                ],
            )
            connection.exec_driver_sql(
                "INSERT INTO eligibilityresult (case_id, ruleset_version, outcome, fee, trace, "
                "evaluated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        i,
                        ruleset.version,
                        evaluations[i % len(distinct)].outcome.value,
                        fees[i % len(distinct)],
                        traces[i % len(distinct)],
                        now,
                    )
                    for i in ids
                ],
            )


def _impact_seconds(
    permit_type: PermitType, ruleset: Ruleset, count: int, steps: Steps | None
) -> dict[str, Any]:
    draft = ruleset.model_copy(
        update={"rules": [r for r in ruleset.rules if r.id != "FBL-8"], "version": "draft"}
    )
    with tempfile.TemporaryDirectory(prefix="permits-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_database(url)
        started = time.perf_counter()
        _store_cases(url, permit_type, ruleset, count)
        stored = time.perf_counter() - started
        with Session(get_engine(url)) as session:
            report = impact_of_draft(session, permit_type, draft, steps=steps)
        get_engine(url).dispose()
    assert report.cases_evaluated == count
    return {
        "impact_cases": count,
        "impact_changed": len(report.changes),
        "impact_insert_s": round(stored, 1),
        "impact_100k_s": round(report.seconds, 1),
    }


def bench_rules(
    cases: int = 20_000,
    cold_cases: int = 500,
    stored: int = 100_000,
    steps: Steps | None = None,
) -> dict[str, Any]:
    permit_type = get_permit_type(FOOD)
    ruleset = bench_ruleset(permit_type)
    values = generated_values(1, cases)
    evaluate_ruleset(ruleset, values[0])  # compile once, outside the timing
    result: dict[str, Any] = {
        "rules": len(ruleset.rules),
        "computed": len(ruleset.computed),
        "tables": len(ruleset.tables),
        "cases_per_s_compiled": round(_rate(ruleset, values, cold=False)),
        "cases_per_s_cold": round(_rate(ruleset, values[:cold_cases], cold=True)),
    }
    clear_compiled()
    if stored:
        result.update(_impact_seconds(permit_type, ruleset, stored, steps))
    return result
