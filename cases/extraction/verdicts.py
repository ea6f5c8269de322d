"""Each field's verdict: its canonical value and why a person must check it, or None.

One function (``field_verdicts``) serves the case flow and the OCR benchmark, so what is measured is
what runs: the field's type and shape are checked, then the order of dates, then the review
triggers (required, valid, handwriting that reads two ways, a number outside its usual range,
confidence under the field's threshold).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cases import ocr
from cases.catalogue import DocumentRequirement, FieldSpec
from cases.extraction import reasons
from cases.facts import Fact
from cases.ocr.supporting import SupportingDocument
from cases.values import check_order, normalise_field, parse_number

__all__ = [
    "FieldVerdict",
    "comparable",
    "field_verdicts",
    "flag_reason",
    "kind_flag_reason",
]


def flag_reason(
    spec: FieldSpec,
    text: str,
    confidence: float,
    problem: Fact | None,
    second_text: str | None = None,
) -> Fact | None:
    """Why a person must check this field, or None. The first applicable reason is given."""
    if not text:
        return reasons.REQUIRED_EMPTY() if spec.required else None
    if problem:
        return reasons.NOT_VALID(problem=problem)
    if second_text is not None and comparable(spec, second_text) != comparable(spec, text):
        first, second = " ".join(text.split()), " ".join(second_text.split())
        return reasons.READS_TWO_WAYS(first=first, second=second)
    if (unusual := _outside_usual_range(spec, text)) is not None:
        return unusual
    if confidence < spec.confidence_threshold:
        return reasons.LOW_CONFIDENCE(
            confidence=round(confidence, 4), threshold=spec.confidence_threshold
        )
    return None


def _outside_usual_range(spec: FieldSpec, text: str) -> Fact | None:
    if spec.usual_range is None or (number := parse_number(text)) is None:
        return None
    low, high = spec.usual_range
    if low <= number <= high:
        return None
    return reasons.UNUSUAL_NUMBER(value=" ".join(text.split()), low=low, high=high)


def comparable(spec: FieldSpec, text: str) -> str:
    """``text`` as the case would store it, so two ways of writing one value compare equal."""
    value, _ = normalise_field(spec, text)
    return value if value is not None else " ".join(text.split())


def kind_flag_reason(uploaded: DocumentRequirement, supporting: SupportingDocument) -> Fact | None:
    """Why a person must check what an uploaded document is, or None when it reads as uploaded."""
    found = supporting.classification
    if found.kind != uploaded.kind:
        return reasons.KIND_OTHER(
            uploaded=uploaded.kind, reads_as=found.kind, keywords=found.keywords()
        )
    if found.confidence < uploaded.classification_threshold:
        return reasons.KIND_UNCERTAIN(
            confidence=round(found.confidence, 4),
            threshold=uploaded.classification_threshold,
            keywords=found.keywords(),
        )
    return None


@dataclass(frozen=True)
class FieldVerdict:
    """One field as OCR read it, its canonical value, and why a person must check it (or None)."""

    spec: FieldSpec
    reading: ocr.FieldReading | None
    text: str  # the reading's text, trimmed; "" when nothing was read
    value: str | None  # canonical, when the text validates
    reason: Fact | None


def field_verdicts(
    specs: list[FieldSpec], readings: Mapping[str, ocr.FieldReading]
) -> list[FieldVerdict]:
    """Each field's value and flag, as the case flow stores them (and the OCR benchmark counts):
    its type and shape are checked, then the order of dates (which needs the other fields'
    values), then ``flag_reason``."""
    checked = []
    values: dict[str, str] = {}
    for spec in specs:
        reading = readings.get(spec.name)
        text = reading.text.strip() if reading else ""
        value, error = normalise_field(spec, text) if text else (None, None)
        if value is not None:
            values[spec.name] = value
        checked.append((spec, reading, text, value, error))
    verdicts = []
    for spec, reading, text, value, error in checked:
        error = error or (check_order(spec, value, values) if value else None)
        confidence = reading.confidence if reading else 0.0
        second = reading.second_text if reading else None
        reason = flag_reason(spec, text, confidence, error, second)
        verdicts.append(FieldVerdict(spec, reading, text, value, reason))
    return verdicts
