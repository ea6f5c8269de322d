"""Why a gate task was opened: the facts the decision gate stores (``cases.facts``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cases.eligibility import summarise_rules
from cases.facts import Fact, Message
from cases.vocabulary import Decision, Risk

__all__ = [
    "FOUR_EYES",
    "FOUR_EYES_NOTE",
    "NO_REVIEW",
    "PROPOSAL",
    "REVIEW_REFERRAL",
    "REVIEW_RISK",
    "four_eyes",
    "proposal",
]

PROPOSAL = Message(
    "proposal",
    "Rule set %(ruleset)s: %(rules)s; %(review)s.",
    facts=frozenset({"rules", "review"}),
)
REVIEW_RISK = Message("review_risk", "review risk %(risk)s", terms=frozenset({"risk"}))
NO_REVIEW = Message("no_review", "no review")
REVIEW_REFERRAL = Message(
    "review_referral",
    "review risk %(risk)s; sent to a senior officer because the review proposes it (%(findings)s)",
    terms=frozenset({"risk"}),
    facts=frozenset({"findings"}),
)
FOUR_EYES = Message(
    "four_eyes",
    "Four-eyes: %(first_by)s decided '%(decision)s'. A second %(role)s confirms it or decides "
    "otherwise.",
    terms=frozenset({"decision", "role"}),
)
FOUR_EYES_NOTE = Message(
    "four_eyes_note",
    "Four-eyes: %(first_by)s decided '%(decision)s': %(note)s. A second %(role)s confirms it or "
    "decides otherwise.",
    terms=frozenset({"decision", "role"}),
)


def proposal(
    ruleset: str,
    rules: Iterable[Mapping[str, Any]],
    risk: Risk | None,
    referred_by: Sequence[Fact] = (),
) -> Fact:
    """The decision task's reason, e.g. ``Rule set 2026.1: 9 passed, 2 not applicable, 1 failed
    (FBL-7 refer); review risk low.`` A rule that did not apply is counted apart, not as passed.
    ``rules`` are the traced rules; ``risk`` is None when the case had no review;
    ``referred_by`` are the facts of the findings that propose referral to a senior officer."""
    review = REVIEW_RISK(risk=str(risk)) if risk is not None else NO_REVIEW()
    if risk is not None and referred_by:
        review = REVIEW_REFERRAL(risk=str(risk), findings=list(referred_by))
    return PROPOSAL(ruleset=ruleset, rules=summarise_rules(rules), review=review)


def four_eyes(first_by: str, decision: Decision, role: str, note: str | None) -> Fact:
    """The second decision task's reason: who decided what first, and who may confirm it."""
    if note:
        return FOUR_EYES_NOTE(first_by=first_by, decision=decision.value, role=role, note=note)
    return FOUR_EYES(first_by=first_by, decision=decision.value, role=role)
