"""Authoring: what admins use to write the catalogue safely. The linter behind `permits catalogue
check`, the admin pages' report and letter previews, and the impact of a draft rule file on the
cases already decided.
"""

from __future__ import annotations

from cases.authoring.impact import CaseChange, ImpactReport, impact_of_draft
from cases.authoring.letter_check import check_templates, sample_context
from cases.authoring.lint import check_catalogue, check_rules
from cases.authoring.report import (
    LETTER_LANGUAGES,
    LETTER_OUTCOMES,
    CatalogueReport,
    InlineTestResult,
    LetterPreview,
    PermitReport,
    VersionReport,
    catalogue_report,
    letter_pdf,
    permit_report,
    preview_letter,
)

__all__ = [
    "LETTER_LANGUAGES",
    "LETTER_OUTCOMES",
    "CaseChange",
    "CatalogueReport",
    "ImpactReport",
    "InlineTestResult",
    "LetterPreview",
    "PermitReport",
    "VersionReport",
    "catalogue_report",
    "check_catalogue",
    "check_rules",
    "check_templates",
    "impact_of_draft",
    "letter_pdf",
    "permit_report",
    "preview_letter",
    "sample_context",
]
