"""Decided cases for the precedent and unusual-value tests: fields stored as extraction would,
the real rules evaluated, a caseworker's decision, and (unless told not to) the precedent."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import Case, Precedent
from cases.precedents import MODEL_NAME, record_precedent, weights_hash
from tests.factories import FOOD, checked_case, stored_case

_NUMBERS = itertools.count(1)


def decided(fields: Mapping[str, str], outcome: str, *, embed: bool = True) -> int:
    """A decided case (as a caseworker decided it, whatever the rules said); its precedent."""
    case_id = checked_case(fields, reference=f"PREC-{next(_NUMBERS):06d}")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.status, case.decided_outcome = CaseStatus.DECIDED, outcome
        session.add(case)
    if embed:
        assert record_precedent(case_id)
    return case_id


def past_cases(kind: str, areas: list[float], outcome: str = "approve") -> list[int]:
    """Decided cases of this business type with these floor areas, stored as precedents
    directly (their vectors are not what the test is about)."""
    ids: list[int] = []
    with session_scope() as session:
        for area in areas:
            case_id = stored_case(
                session,
                reference=f"PAST-{next(_NUMBERS):06d}",
                status=CaseStatus.DECIDED,
                decided_outcome=outcome,
            )
            vector = np.zeros(384, dtype=np.float32)
            vector[len(ids) % 384] = 1.0
            session.add(
                Precedent(
                    case_id=case_id,
                    permit_type=FOOD,
                    outcome=outcome,
                    model_name=MODEL_NAME,
                    weights_hash=weights_hash(),
                    vector=vector.tobytes(),
                    key_values={"business_type": kind, "floor_area_m2": area},
                )
            )
            ids.append(case_id)
    return ids
