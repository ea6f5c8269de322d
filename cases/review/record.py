"""A case's review as the case page and the API show it: findings with their verdicts, the risk
score with its arithmetic, and each reviewer's run."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from cases.models import FindingVerdict, Review, ReviewRun
from cases.review.base import Finding
from cases.review.scoring import RiskScore

__all__ = [
    "MarkedFinding",
    "ResolvedFinding",
    "ReviewRecord",
    "referral_findings",
    "review_record",
]


@dataclass(frozen=True)
class MarkedFinding:
    index: int
    finding: Finding
    verdict: FindingVerdict | None


@dataclass(frozen=True)
class ResolvedFinding:
    """A finding a caseworker gave a verdict on that the review, made again, no longer finds."""

    finding: Finding
    verdict: FindingVerdict


@dataclass(frozen=True)
class ReviewRecord:
    review: Review
    findings: list[MarkedFinding]
    score: RiskScore | None  # None: a review made before scores were kept
    runs: list[ReviewRun]
    resolved: list[ResolvedFinding] = field(default_factory=list)


def review_record(session: Session, case_id: int) -> ReviewRecord | None:
    review = session.exec(select(Review).where(Review.case_id == case_id)).first()
    if review is None:
        return None
    verdicts = {
        v.finding_index: v
        for v in session.exec(select(FindingVerdict).where(FindingVerdict.review_id == review.id))
    }
    stored = review.findings.get("findings", [])
    findings = [
        MarkedFinding(i, Finding.from_json(f), verdicts.get(i)) for i, f in enumerate(stored)
    ]
    score = review.findings.get("score")
    runs = session.exec(
        select(ReviewRun).where(ReviewRun.review_id == review.id).order_by(col(ReviewRun.id))
    )
    resolved = [
        ResolvedFinding(Finding.from_json(v.finding), v)
        for v in session.exec(
            select(FindingVerdict)
            .where(
                FindingVerdict.case_id == case_id,
                col(FindingVerdict.review_id).is_(None),
            )
            .order_by(col(FindingVerdict.decided_at))
        )
        if v.finding
    ]
    return ReviewRecord(
        review, findings, RiskScore.from_json(score) if score else None, list(runs), resolved
    )


def referral_findings(review: Review | None) -> list[Finding]:
    """The findings of the review that propose referral to a senior officer (the decision gate
    sends the case to the senior queue for them)."""
    stored = review.findings.get("findings", []) if review is not None else []
    return [f for f in map(Finding.from_json, stored) if f.proposes_referral]
