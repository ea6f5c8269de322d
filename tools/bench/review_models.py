"""The precedent and unusual-value parts of ``permits bench review``: decided cases made into
precedents, and two planters (a precedent conflict, an unusual value).

The seeded decided cases become precedents drawn from the same generator as the bench's
applications (``random_truth``: business type, floor area, seats, hygiene staff, checkboxes), with
the outcome the rules give them (a referral or a request for information decided as an approval).
Sizes and seats are rounded to tens, so their summaries come in a few thousand kinds, each
embedded once, instead of embedding every case (an hour on two cores).

``precedent_conflict``: the application has three hygiene managers (the population has one or
two) and keeps its own exact sizes (the population's are round), and three earlier cases with its
very summary were decided the other way from what the rules will propose. (Planted with round
sizes, those three stood among hundreds of population cases just as alike, and a later clean
application near them was found in conflict: one false finding in 60.)
``unusual_value``: the floor area is ten to twenty times the usual.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from cases.catalogue import PermitType, get_permit_type
from cases.eligibility import evaluate_ruleset, typed_values
from cases.lifecycle import CaseStatus
from cases.models import Case, Precedent, utcnow
from cases.precedents import (
    case_summary,
    embed,
    failed_rules,
    key_values,
    model_label,
    weights_hash,
)
from cases.vocabulary import Decision, Outcome
from tools.bench.review_planting import FOOD, BenchCase, BuiltCase, register_planter
from tools.samples.applications import random_truth

__all__ = ["seed_precedents"]

_KEYS = (
    "business_type",
    "floor_area_m2",
    "seating_capacity",
    "hygiene_staff",
    "has_fire_certificate",
    "agrees_to_inspection",
    "fire_certificate_no",
)
_OPPOSITE = {Outcome.APPROVE: Decision.REFUSE, Outcome.REFUSE: Decision.APPROVE}
_CHUNK = 5_000


def _judged(permit_type: PermitType, form: dict[str, str]) -> tuple[str, dict[str, Any], Outcome]:
    """The summary the precedents reviewer will write for these values, their key values, and
    the rules' outcome."""
    ruleset = permit_type.ruleset_for(dt.date(2026, 6, 1))
    evaluation = evaluate_ruleset(ruleset, typed_values(permit_type, form))
    keys = key_values(permit_type, form)
    return (
        case_summary(permit_type, keys, failed_rules(evaluation.as_trace())),
        keys,
        evaluation.outcome,
    )


def _population_values(seed: int) -> dict[str, str]:
    truth = random_truth(seed)
    values = {k: truth[k] for k in _KEYS}
    values["floor_area_m2"] = f"{max(10, round(float(truth['floor_area_m2']), -1)):.0f}"
    values["seating_capacity"] = str(round(int(truth["seating_capacity"]), -1))
    return values


def seed_precedents(engine: Engine, *, seed: int = 1) -> int:
    """Precedents for the seeded decided food-licence cases (the reviewer reads a precedent's
    outcome from its row)."""
    permit_type = get_permit_type(FOOD)
    with Session(engine) as session:
        ids = session.exec(
            select(Case.id).where(Case.permit_type == FOOD, col(Case.decided_outcome).is_not(None))
        ).all()
    rows: list[dict[str, Any]] = []
    for case_id in ids:
        assert case_id is not None
        text, keys, outcome = _judged(permit_type, _population_values(seed * 1_000_003 + case_id))
        rows.append(
            {
                "case_id": case_id,
                "permit_type": FOOD,
                "outcome": "refuse" if outcome == Outcome.REFUSE else "approve",
                "model_name": model_label(),
                "weights_hash": weights_hash(),
                "key_values": keys,
                "summary": text,
                "created_at": utcnow(),
            }
        )
    distinct = sorted({row["summary"] for row in rows})
    vectors = dict(zip(distinct, embed(distinct), strict=True))
    for row in rows:
        row["vector"] = vectors[row["summary"]].tobytes()
    for start in range(0, len(rows), _CHUNK):
        with engine.begin() as connection:
            connection.execute(insert(Precedent), rows[start : start + _CHUNK])
    return len(rows)


def _decided_like(
    engine: Engine, text: str, keys: dict[str, Any], outcome: Decision, n: int
) -> None:
    """``n`` decided cases whose summary is ``text``, decided ``outcome``."""
    vector = embed([text])[0]
    now = utcnow()
    with Session(engine) as session:
        for _ in range(n):
            case = Case(
                reference=f"PLANT-{random.randrange(10**9):09d}",
                permit_type=FOOD,
                status=CaseStatus.CLOSED,
                decided_outcome=outcome,
                submitted_at=now,
            )
            session.add(case)
            session.flush()
            assert case.id is not None
            session.add(
                Precedent(
                    case_id=case.id,
                    permit_type=FOOD,
                    outcome=outcome,
                    model_name=model_label(),
                    weights_hash=weights_hash(),
                    vector=vector.tobytes(),
                    key_values=keys,
                    summary=text,
                )
            )
        session.commit()


class _PrecedentConflict:
    code = "precedent_conflict"
    needs_earlier = False

    def plant(self, case: BenchCase, earlier: list[BuiltCase], rng: random.Random) -> None:
        from cases.db import get_engine

        permit_type = get_permit_type(FOOD)
        case.form["hygiene_staff"] = "3"  # no seeded case has three: these precedents are closest
        text, keys, outcome = _judged(permit_type, case.form)
        if outcome not in _OPPOSITE:  # referred for too little room a seat: fewer seats
            seats = int(case.form["seating_capacity"])
            area = float(case.form["floor_area_m2"])
            case.form["seating_capacity"] = str(min(seats, int(area / 1.5)))
            text, keys, outcome = _judged(permit_type, case.form)
        if outcome not in _OPPOSITE:  # referred for another reason: a plain restaurant, odd sizes
            case.form |= {"business_type": "Restaurant", "floor_area_m2": "137.3"}
            case.form["seating_capacity"] = "41"
            text, keys, outcome = _judged(permit_type, case.form)
        _decided_like(get_engine(), text, keys, _OPPOSITE[outcome], 3)
        case.expected.add(self.code)
        case.allowed.add("unusual_value")  # three hygiene managers where one or two is usual


class _UnusualValue:
    code = "unusual_value"
    needs_earlier = False

    def plant(self, case: BenchCase, earlier: list[BuiltCase], rng: random.Random) -> None:
        case.form["floor_area_m2"] = f"{rng.randint(2500, 5000)}.0"
        case.expected.add(self.code)
        case.allowed.add("precedent_conflict")  # a case that size may have few like it


register_planter(_PrecedentConflict())
register_planter(_UnusualValue())
