"""Decision letters: admin-authored templates rendered in a sandbox, printed to PDF, issued once."""

from __future__ import annotations

from cases.letters.issue import issue_letter, letter_context
from cases.letters.rendering import format_fee, print_pdf, render_letter_html, template_name

__all__ = [
    "format_fee",
    "issue_letter",
    "letter_context",
    "print_pdf",
    "render_letter_html",
    "template_name",
]
