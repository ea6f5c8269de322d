"""Response-time figures the benchmarks report: nearest-rank percentiles and a p50/p95/max line."""

from __future__ import annotations

import math

__all__ = ["percentile", "timing_summary"]


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile (the value that ``percent`` % of the requests did not exceed)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def timing_summary(name: str, values: list[float]) -> dict[str, float]:
    return {
        f"{name}_p50_ms": round(percentile(values, 50), 1),
        f"{name}_p95_ms": round(percentile(values, 95), 1),
        f"{name}_max_ms": round(max(values), 1),
    }
