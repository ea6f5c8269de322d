"""Recording decided cases as precedents: when a case is decided (the flow's step after the
decision) and, for cases decided before, by ``permits review embed-precedents``.

Each row holds the summary's embedding with the model's name and weights hash, the outcome and
the key values; the case's audit trail says it was recorded and by which model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from cases.audit import append_event
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.models import Case, EligibilityResult, ExtractedField, Precedent
from cases.precedents.embedding import ModelUnavailable, embed, model_label, weights_hash
from cases.precedents.summary import case_summary, failed_rules, key_values

__all__ = ["BackfillReport", "backfill_precedents", "record_precedent", "summarise_case"]

ACTOR = "system:precedents"


@dataclass(frozen=True)
class BackfillReport:
    embedded: int
    already: int


def summarise_case(session: Session, case: Case) -> tuple[str, dict[str, object]]:
    """The case's summary text and key values, from its fields and its eligibility trace."""
    permit_type = get_permit_type(case.permit_type)
    values = {
        f.name: f.value
        for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id))
    }
    result = session.exec(
        select(EligibilityResult).where(EligibilityResult.case_id == case.id)
    ).first()
    keys = key_values(permit_type, values)
    return case_summary(permit_type, keys, failed_rules(result.trace if result else None)), keys


def _store(session: Session, cases: Sequence[Case]) -> int:
    summaries = [summarise_case(session, case) for case in cases]
    vectors = embed([text for text, _ in summaries])
    weights = weights_hash()
    ids = [case.id for case in cases]
    session.exec(delete(Precedent).where(col(Precedent.case_id).in_(ids)))
    for case, (text, keys), vector in zip(cases, summaries, vectors, strict=True):
        assert case.id is not None
        assert case.decided_outcome is not None
        session.add(
            Precedent(
                case_id=case.id,
                permit_type=case.permit_type,
                outcome=case.decided_outcome,
                model_name=model_label(),
                weights_hash=weights,
                vector=vector.tobytes(),
                key_values=keys,
                summary=text,
            )
        )
        append_event(
            session,
            actor=ACTOR,
            action="precedent.recorded",
            case_id=case.id,
            payload={
                "outcome": case.decided_outcome,
                "model": model_label(),
                "weights_hash": weights,
                "summary": text,
            },
        )
    return len(cases)


def record_precedent(case_id: int) -> bool:
    """Record a decided case as a precedent once (idempotent); False if it is not decided, or
    if the model is not installed (the audit trail says so; the backfill command catches up)."""
    with session_scope() as session:
        case = session.get(Case, case_id)
        if case is None or case.decided_outcome is None:
            return False
        try:
            weights = weights_hash()
            stored = session.exec(select(Precedent).where(Precedent.case_id == case_id)).first()
            if stored is None or stored.weights_hash != weights:
                _store(session, [case])
            return True
        except ModelUnavailable as exc:
            append_event(
                session,
                actor=ACTOR,
                action="precedent.not_recorded",
                case_id=case_id,
                payload={"why": str(exc), "then": "permits review embed-precedents"},
            )
            return False


def backfill_precedents(
    *, batch: int = 256, progress: Callable[[int], None] | None = None
) -> BackfillReport:
    """Embed every decided case that has no precedent from this model yet, in batches (each
    batch one transaction, so an interrupted run keeps what it finished and resumes)."""
    weights = weights_hash()
    embedded = 0
    with session_scope() as session:
        current = select(Precedent.case_id).where(Precedent.weights_hash == weights)
        already = len(session.exec(current).all())
    after = 0
    while True:
        with session_scope() as session:
            current = select(Precedent.case_id).where(Precedent.weights_hash == weights)
            cases = session.exec(
                select(Case)
                .where(
                    col(Case.decided_outcome).is_not(None),
                    col(Case.id) > after,
                    col(Case.id).not_in(current),
                )
                .order_by(col(Case.id))
                .limit(batch)
            ).all()
            if not cases:
                break
            embedded += _store(session, cases)
            after = cases[-1].id or after
        if progress:
            progress(embedded)
    return BackfillReport(embedded, already)
