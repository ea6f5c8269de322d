"""Decision letters: admin-authored templates rendered in a sandbox, printed to PDF, issued once."""

from __future__ import annotations

from cases.letters.issue import issue_letter, letter_context
from cases.letters.rendering import format_fee, render_letter_html, template_name

__all__ = ["format_fee", "issue_letter", "letter_context", "render_letter_html", "template_name"]
