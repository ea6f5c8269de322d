"""Unusual values: a number far outside what decided cases of the same permit type and the same
kind of business show, by a robust z-score (median and median absolute deviation, so the odd
outlier among the past cases does not hide a new one).

The past values come from the precedents (``cases.precedents``: each decided case's key values).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cases.catalogue.review_policy import UnusualValueSettings
from cases.facts import Message
from cases.precedents import NUMERIC_TYPES, decided_cases, key_fields, key_values, weights_hash
from cases.review.base import Finding, ReviewContext
from cases.vocabulary import Severity

__all__ = [
    "Distribution",
    "UnusualValue",
    "UnusualValueReviewer",
    "robust_z",
    "unusual_values",
]

UNUSUAL_VALUE = Message(
    "unusual_value",
    "%(field)s is %(value)s, far from the %(n)d decided cases of the same kind (%(group)s): "
    "median %(median)s, MAD %(mad)s, middle half %(q25)s to %(q75)s, 90%% between %(q05)s and "
    "%(q95)s (robust z-score %(z).1f).",
    fields=frozenset({"field"}),
)

#: Scales the MAD to the standard deviation of a normal distribution (Iglewicz and Hoaglin).
_MAD_SCALE = 0.6745
#: Scales the mean absolute deviation likewise, when more than half the values are equal.
_MEAN_AD_SCALE = 0.7979


@dataclass(frozen=True)
class Distribution:
    """What the past cases show for one field: count, median, MAD and quantiles."""

    n: int
    median: float
    mad: float
    q05: float
    q25: float
    q75: float
    q95: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        data = np.asarray(values, dtype=np.float64)
        median = float(np.median(data))
        q05, q25, q75, q95 = (float(q) for q in np.quantile(data, [0.05, 0.25, 0.75, 0.95]))
        mad = float(np.median(np.abs(data - median)))
        return cls(len(data), median, mad, q05, q25, q75, q95)

    def as_params(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "median": round(self.median, 2),
            "mad": round(self.mad, 2),
            "q05": round(self.q05, 2),
            "q25": round(self.q25, 2),
            "q75": round(self.q75, 2),
            "q95": round(self.q95, 2),
        }


@dataclass(frozen=True)
class UnusualValue:
    field: str
    value: float
    z: float
    distribution: Distribution


def robust_z(value: float, values: Sequence[float], distribution: Distribution) -> float | None:
    """How far ``value`` is from the median in robust standard deviations (None: the past values
    do not spread at all, so no scale to measure by)."""
    if distribution.mad > 0:
        return _MAD_SCALE * (value - distribution.median) / distribution.mad
    mean_ad = float(np.mean(np.abs(np.asarray(values, dtype=np.float64) - distribution.median)))
    if mean_ad > 0:
        return _MEAN_AD_SCALE * (value - distribution.median) / mean_ad
    return None


def unusual_values(
    current: Mapping[str, Any],
    past: Sequence[Mapping[str, Any]],
    *,
    fields: Sequence[str],
    group_by: str | None,
    min_sample: int,
    threshold: float,
) -> list[UnusualValue]:
    """The numeric ``fields`` of ``current`` whose robust z-score against the ``past`` cases of
    the same group (the same ``group_by`` value) is at least ``threshold``; a field is judged
    only when at least ``min_sample`` past cases of the group have a value for it."""
    group = current.get(group_by) if group_by else None
    if group_by and group is None:
        return []
    peers = [p for p in past if not group_by or p.get(group_by) == group]
    found: list[UnusualValue] = []
    for name in fields:
        value = current.get(name)
        if not isinstance(value, int | float):
            continue
        history = [float(p[name]) for p in peers if isinstance(p.get(name), int | float)]
        if len(history) < min_sample:
            continue
        distribution = Distribution.of(history)
        z = robust_z(float(value), history, distribution)
        if z is not None and abs(z) >= threshold:
            found.append(UnusualValue(name, float(value), round(z, 1), distribution))
    return found


class UnusualValueReviewer:
    """Numbers far outside what decided cases of the same permit type and group show."""

    name = "unusual_values"
    version = "1.0"
    model_name: str | None = None
    weights_hash: str | None = None
    on_by_default = True

    def review(self, ctx: ReviewContext) -> list[Finding]:
        settings = ctx.settings if isinstance(ctx.settings, UnusualValueSettings) else None
        settings = settings or UnusualValueSettings()
        numeric = [s.name for s in key_fields(ctx.permit_type) if s.type in NUMERIC_TYPES]
        fields = [name for name in settings.fields or numeric if name in numeric]
        current = key_values(ctx.permit_type, ctx.field_values)
        if not any(name in current for name in fields):
            return []
        past = decided_cases(ctx.session, ctx.case.permit_type, weights_hash()).key_values
        found = unusual_values(
            current,
            past,
            fields=fields,
            group_by=settings.group_by,
            min_sample=settings.min_sample,
            threshold=settings.threshold,
        )
        group = str(current.get(settings.group_by, "")) if settings.group_by else ""
        return [
            Finding(
                UNUSUAL_VALUE(
                    field=u.field,
                    value=f"{u.value:g}",
                    group=group or ctx.permit_type.permit.name.en,
                    z=u.z,
                    **u.distribution.as_params(),
                ),
                Severity.WARNING,
                ctx.evidence(u.field),
            )
            for u in found
        ]
