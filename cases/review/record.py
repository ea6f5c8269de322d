"""A case's review as the case page and the API show it: findings with their verdicts, the risk
score with its arithmetic, and each reviewer's run."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from cases.models import FindingVerdict, Review, ReviewRun
from cases.review.base import Finding
from cases.review.scoring import RiskScore

__all__ = ["MarkedFinding", "ReviewRecord", "review_record"]


@dataclass(frozen=True)
class MarkedFinding:
    index: int
    finding: Finding
    verdict: FindingVerdict | None


@dataclass(frozen=True)
class ReviewRecord:
    review: Review
    findings: list[MarkedFinding]
    score: RiskScore | None  # None: a review made before scores were kept
    runs: list[ReviewRun]


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
    return ReviewRecord(review, findings, RiskScore.from_json(score) if score else None, list(runs))
