"""AI-assisted review: advisory findings with their evidence, recorded with the reviewer's name,
version and inputs; it never decides.
"""

from __future__ import annotations

from cases.review.consistency import REVIEWER, REVIEWER_VERSION, Finding, cross_check
from cases.review.service import review_case, risk_of

__all__ = ["REVIEWER", "REVIEWER_VERSION", "Finding", "cross_check", "review_case", "risk_of"]
