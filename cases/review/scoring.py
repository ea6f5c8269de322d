"""The risk score: points per finding from the permit's scoring table, added up, and the level
the thresholds give it, kept with its arithmetic so the case page can show how it was reached
("name mismatch +40, repeat premises +15 = 55 >= 50: high")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cases.catalogue import RiskScoring
from cases.review.base import Finding
from cases.vocabulary import Risk

__all__ = ["RiskScore", "score"]


@dataclass(frozen=True)
class RiskScore:
    """The score, each finding's points (code, points) and the level with its threshold."""

    total: int
    points: tuple[tuple[str, int], ...]
    level: Risk
    threshold: int | None  # the threshold the total reached (None: below medium, so low)

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "points": [list(p) for p in self.points],
            "level": self.level.value,
            "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> RiskScore:
        return cls(
            int(stored["total"]),
            tuple((str(code), int(points)) for code, points in stored["points"]),
            Risk(stored["level"]),
            stored.get("threshold"),
        )


def score(findings: Iterable[Finding], table: RiskScoring) -> RiskScore:
    points = tuple(
        (f.code, table.points.get(f.code, table.severity_points.get(f.severity.value, 0)))
        for f in findings
    )
    total = sum(p for _, p in points)
    if total >= table.thresholds.high:
        return RiskScore(total, points, Risk.HIGH, table.thresholds.high)
    if total >= table.thresholds.medium and total > 0:
        return RiskScore(total, points, Risk.MEDIUM, table.thresholds.medium)
    return RiskScore(total, points, Risk.LOW, None)
