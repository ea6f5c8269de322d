"""AI-assisted review: advisory findings with their evidence, recorded per reviewer with its name,
version, model and a hash of its full input; it never decides.

How to add a reviewer
---------------------
1. Write a class with ``name`` (snake_case, also its key in permit.yaml), ``version``,
   ``model_name`` and ``weights_hash`` (None without a model), ``on_by_default``, and
   ``review(ctx: ReviewContext) -> list[Finding]`` (``cases.review.base``). Read only what the
   context gives: fields with where they were read (``ctx.fields``, ``ctx.evidence(*names)``),
   documents with content hashes and page images, the rules' outcome and trace, and
   ``ctx.session`` (SELECT only) for other cases. Never write: the service rolls it back and
   records the run as a guardrail breach.
2. Declare each finding's code once as a ``cases.facts.Message`` in your module (its English);
   add its Traditional Chinese to the web translations (web/locale .po, then
   ``python -m web.i18n``). Give every finding its evidence; set ``proposes_referral`` to ask for
   a senior officer (the only say a reviewer has over the case's path).
3. Settings: add a pydantic model and a field named after the reviewer to
   ``cases.catalogue.review_policy.ReviewPolicy``; the reviewer receives it as ``ctx.settings``.
4. ``register(YourReviewer())`` in this ``__init__`` (below), and add it to a permit's
   ``review: reviewers:`` list (or make it ``on_by_default``). A test per reviewer: a true
   positive, a tolerant negative, and ``tests/test_review_guardrails.py`` covers it by name.
"""

from __future__ import annotations

from cases.review.base import (
    CaseRef,
    DocumentView,
    Evidence,
    FieldReading,
    FieldRef,
    Finding,
    GuardrailBreach,
    PageRef,
    ReviewContext,
    Reviewer,
)
from cases.review.consistency import REVIEWER, REVIEWER_VERSION, ConsistencyReviewer, cross_check
from cases.review.duplicates import DuplicatesReviewer
from cases.review.language_model import LanguageModelReviewer
from cases.review.precedents import PrecedentReviewer
from cases.review.record import MarkedFinding, ReviewRecord, referral_findings, review_record
from cases.review.registry import (
    all_reviewers,
    check_policy,
    get_reviewer,
    register,
    reviewers_for,
    unregister,
)
from cases.review.scoring import RiskScore, score
from cases.review.service import review_case, risk_of, run_reviewer
from cases.review.unusual_values import UnusualValueReviewer
from cases.review.verdicts import CodeStats, Verdict, finding_stats, mark_finding

register(ConsistencyReviewer())
register(DuplicatesReviewer())
register(PrecedentReviewer())
register(UnusualValueReviewer())
register(LanguageModelReviewer())

__all__ = [
    "REVIEWER",
    "REVIEWER_VERSION",
    "CaseRef",
    "CodeStats",
    "ConsistencyReviewer",
    "DocumentView",
    "DuplicatesReviewer",
    "Evidence",
    "FieldReading",
    "FieldRef",
    "Finding",
    "GuardrailBreach",
    "LanguageModelReviewer",
    "MarkedFinding",
    "PageRef",
    "PrecedentReviewer",
    "ReviewContext",
    "ReviewRecord",
    "Reviewer",
    "RiskScore",
    "UnusualValueReviewer",
    "Verdict",
    "all_reviewers",
    "check_policy",
    "cross_check",
    "finding_stats",
    "get_reviewer",
    "mark_finding",
    "referral_findings",
    "register",
    "review_case",
    "review_record",
    "reviewers_for",
    "risk_of",
    "run_reviewer",
    "score",
    "unregister",
]
