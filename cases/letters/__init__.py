"""Letters: decision letters from admin-authored templates rendered in a sandbox, printed to PDF,
issued once; and the notices of a request for information (the request, and its lapse)."""

from __future__ import annotations

from cases.letters.deadlines import DeadlineSweep, sweep_information_requests
from cases.letters.issue import issue_letter, letter_context
from cases.letters.rendering import format_fee, print_pdf, render_letter_html, template_name
from cases.letters.requests import request_information

__all__ = [
    "DeadlineSweep",
    "format_fee",
    "issue_letter",
    "letter_context",
    "print_pdf",
    "render_letter_html",
    "request_information",
    "sweep_information_requests",
    "template_name",
]
