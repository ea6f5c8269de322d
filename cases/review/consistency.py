"""The cross-document consistency reviewer: local and deterministic.

It compares the applicant's name and identity card number on the application form with the copy
of the identity card, and says which evidence is missing.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from cases.catalogue import ReviewPolicy
from cases.facts import Message
from cases.review.base import Evidence, FieldRef, Finding, ReviewContext
from cases.values import normalise_hkid
from cases.vocabulary import Severity

__all__ = [
    "REVIEWER",
    "REVIEWER_VERSION",
    "ConsistencyReviewer",
    "cross_check",
    "same_person_name",
]

REVIEWER = "consistency"
REVIEWER_VERSION = "2.0"

NAME_MISMATCH = Message(
    "name_mismatch",
    "The form names '%(form_name)s' but the identity card shows '%(card_name)s' "
    "(similarity %(similarity).0f%%).",
)
ID_NUMBER_MISMATCH = Message(
    "id_number_mismatch",
    "The identity card number on the form (%(form_id)s) differs from the card (%(card_id)s).",
)
MISSING_EVIDENCE = Message(
    "missing_evidence", "%(field)s is empty; not cross-checked.", fields=frozenset({"field"})
)

_IDENTITY_FIELDS = ("applicant_name", "hkid", "id_card_name", "id_card_number")


def _name_words(name: str) -> list[str]:
    """A person's name as upper-case words: punctuation and hyphens split words ("Tai-man")."""
    return re.sub(r"[^\w]+", " ", name.upper()).split()


def name_similarity(first: str, second: str) -> float:
    """How alike two ways of writing a person's name are (0-100), setting aside word order,
    spacing, punctuation and initials: "CHAN Tai Man" = "Tai-man Chan" = "T.M. CHAN"."""
    a, b = _name_words(first), _name_words(second)
    if not a or not b:
        return 0.0
    plain = fuzz.token_sort_ratio(" ".join(a), " ".join(b))
    return max(plain, _initials_match(a, b), _initials_match(b, a))


def _initials_match(full: list[str], short: list[str]) -> float:
    """100 when ``short`` is ``full`` with its given names as initials ("T M CHAN", "TM CHAN")."""
    initials = [w for w in short if len(w) <= 2]
    surnames = [w for w in short if len(w) > 2]
    if not initials or len(surnames) != 1 or surnames[0] not in full:
        return 0.0
    given = [w for w in full if w != surnames[0]]
    return 100.0 if "".join(initials) == "".join(w[0] for w in given) else 0.0


def same_person_name(first: str, second: str, threshold: float) -> bool:
    return name_similarity(first, second) >= threshold


def cross_check(values: dict[str, str], policy: ReviewPolicy | None = None) -> list[Finding]:
    """Compare what the form says with what the identity card copy says (field names only as
    evidence; :class:`ConsistencyReviewer` adds where each was read)."""
    threshold = (policy or ReviewPolicy()).consistency.name_similarity
    findings: list[Finding] = []
    form_name, card_name = values.get("applicant_name", ""), values.get("id_card_name", "")
    if form_name and card_name:
        score = name_similarity(form_name, card_name)
        if score < threshold:
            fact = NAME_MISMATCH(form_name=form_name, card_name=card_name, similarity=round(score))
            findings.append(Finding(fact, Severity.HIGH, _names("applicant_name", "id_card_name")))
    form_id = normalise_hkid(values.get("hkid", "")) or values.get("hkid", "")
    card_id = normalise_hkid(values.get("id_card_number", "")) or values.get("id_card_number", "")
    if form_id and card_id and form_id != card_id:
        fact = ID_NUMBER_MISMATCH(form_id=form_id, card_id=card_id)
        findings.append(Finding(fact, Severity.HIGH, _names("hkid", "id_card_number")))
    for name in _IDENTITY_FIELDS:
        if not values.get(name):
            findings.append(Finding(MISSING_EVIDENCE(field=name), Severity.WARNING, _names(name)))
    return findings


def _names(*names: str) -> Evidence:
    return Evidence(fields=tuple(FieldRef(name) for name in names))


class ConsistencyReviewer:
    """Names, identity numbers, business names, addresses and dates across every document."""

    name = REVIEWER
    version = REVIEWER_VERSION
    model_name: str | None = None
    weights_hash: str | None = None
    on_by_default = True

    def review(self, ctx: ReviewContext) -> list[Finding]:
        findings = cross_check(dict(ctx.field_values), ctx.permit_type.permit.review)
        return [_located(finding, ctx) for finding in findings]


def _located(finding: Finding, ctx: ReviewContext) -> Finding:
    """The finding with its fields' documents, pages and boxes filled in."""
    evidence = ctx.evidence(*finding.evidence.field_names)
    return Finding(finding.fact, finding.severity, evidence, finding.proposes_referral)
