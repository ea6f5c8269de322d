"""Letters: decision letters from admin-authored templates rendered in a sandbox, in each official
language, printed to PDF (fetching nothing but the letters' own assets), issued once per decision
and language, and reissued by staff as new versions; and the notices of a request for information
(the request, and its lapse)."""

from __future__ import annotations

from cases.letters.context import letter_context
from cases.letters.deadlines import DeadlineSweep, sweep_information_requests
from cases.letters.issue import current_letters, issue_letters, letter_languages
from cases.letters.reissue import REISSUE_ROLES, reissue_letter
from cases.letters.rendering import ASSETS_FOLDER, print_pdf, render_letter_html, template_name
from cases.letters.requests import request_information

__all__ = [
    "ASSETS_FOLDER",
    "REISSUE_ROLES",
    "DeadlineSweep",
    "current_letters",
    "issue_letters",
    "letter_context",
    "letter_languages",
    "print_pdf",
    "reissue_letter",
    "render_letter_html",
    "request_information",
    "sweep_information_requests",
    "template_name",
]
