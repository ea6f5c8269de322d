"""Extraction: a case's documents read with OCR, each field's value validated and normalised,
and what a person must check flagged with its reason (the verification gate's work list).
"""

from __future__ import annotations

from cases.extraction.quality import FieldCorrectionRate, correction_rates, in_quality_sample
from cases.extraction.reading import page_image
from cases.extraction.reasons import summarise_checks
from cases.extraction.service import ExtractionSummary, extract_case
from cases.extraction.verdicts import (
    FieldVerdict,
    comparable,
    field_verdicts,
    flag_reason,
    kind_flag_reason,
)

__all__ = [
    "ExtractionSummary",
    "FieldCorrectionRate",
    "FieldVerdict",
    "comparable",
    "correction_rates",
    "extract_case",
    "field_verdicts",
    "flag_reason",
    "in_quality_sample",
    "kind_flag_reason",
    "page_image",
    "summarise_checks",
]
