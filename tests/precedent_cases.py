"""Decided cases for the precedent and unusual-value tests: fields stored as extraction would,
the real rules evaluated, a caseworker's decision, and (unless told not to) the precedent."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping

import numpy as np

from cases.db import session_scope
from cases.eligibility import check_case_eligibility
from cases.lifecycle import CaseStatus
from cases.models import Case, ExtractedField, FieldStatus, Precedent
from cases.precedents import MODEL_NAME, record_precedent, weights_hash
from tests.factories import FOOD
from tests.review_cases import GOOD_FIELDS

_NUMBERS = itertools.count(1)


def checked_case(fields: Mapping[str, str]) -> int:
    """A case (no documents) with these fields over GOOD_FIELDS, its rules evaluated."""
    with session_scope() as session:
        case = Case(
            reference=f"PREC-{next(_NUMBERS):06d}",
            permit_type=FOOD,
            status=CaseStatus.CHECKING,
            application_date=dt.date(2026, 3, 2),
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        for name, value in {**GOOD_FIELDS, **fields}.items():
            session.add(
                ExtractedField(
                    case_id=case.id,
                    name=name,
                    value=value,
                    raw_text=value,
                    confidence=0.95,
                    status=FieldStatus.ACCEPTED,
                )
            )
        case_id = case.id
    check_case_eligibility(case_id)
    return case_id


def decided(fields: Mapping[str, str], outcome: str, *, embed: bool = True) -> int:
    """A decided case (as a caseworker decided it, whatever the rules said); its precedent."""
    case_id = checked_case(fields)
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
    ids = []
    with session_scope() as session:
        for area in areas:
            case = Case(
                reference=f"PAST-{next(_NUMBERS):06d}",
                permit_type=FOOD,
                status=CaseStatus.DECIDED,
                decided_outcome=outcome,
            )
            session.add(case)
            session.flush()
            assert case.id is not None
            vector = np.zeros(384, dtype=np.float32)
            vector[len(ids) % 384] = 1.0
            session.add(
                Precedent(
                    case_id=case.id,
                    permit_type=FOOD,
                    outcome=outcome,
                    model_name=MODEL_NAME,
                    weights_hash=weights_hash(),
                    vector=vector.tobytes(),
                    key_values={"business_type": kind, "floor_area_m2": area},
                )
            )
            ids.append(case.id)
    return ids
