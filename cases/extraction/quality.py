"""How often people correct what OCR read, field by field: where extraction needs work.

A field a person checked is ``verified``; it was corrected when its value changed, in which case
``original_value`` keeps what the machine read. Cases in the random quality sample are checked
whatever the machine's confidence, so over them the rate is an unbiased estimate of the error rate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import case as when
from sqlmodel import Session, col, func, select

from cases.catalogue import PermitType
from cases.models import ExtractedField, FieldStatus

__all__ = ["FieldCorrectionRate", "correction_rates", "in_quality_sample"]


@dataclass(frozen=True)
class FieldCorrectionRate:
    name: str
    total: int  # fields of this name a person checked
    corrected: int  # ... whose value the person changed
    extracted: int  # all fields of this name, checked or not

    @property
    def rate(self) -> float:
        return self.corrected / self.total if self.total else 0.0


def correction_rates(*, session: Session) -> list[FieldCorrectionRate]:
    """Per field name, how many a person checked and corrected; worst rate first."""
    checked = col(ExtractedField.status) == FieldStatus.VERIFIED
    corrected = checked & col(ExtractedField.original_value).is_not(None)
    rows = session.exec(
        select(
            ExtractedField.name,
            func.sum(when((checked, 1), else_=0)),
            func.sum(when((corrected, 1), else_=0)),
            func.count(),
        ).group_by(ExtractedField.name)
    ).all()
    rates = [FieldCorrectionRate(name, int(t or 0), int(c or 0), int(n)) for name, t, c, n in rows]
    return sorted(rates, key=lambda r: (-r.rate, r.name))


def in_quality_sample(permit_type: PermitType, case_id: int) -> bool:
    """Whether this case is in the permit's random quality-audit sample; the same on every run."""
    percent = permit_type.permit.quality_sample_percent
    digest = hashlib.sha256(f"{permit_type.id}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < round(percent * 100)
