"""Letter templates: admin-authored Jinja2, rendered in a sandbox with strict undefined names.

Templates run in Jinja2's sandbox (an admin's template cannot reach Python internals) with
``StrictUndefined`` (a misspelt field fails loudly at preview time instead of printing a blank in a
letter to an applicant). WeasyPrint turns the HTML into the PDF that is issued.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from cases.errors import CatalogueError, CatalogueProblem
from cases.settings import get_settings

__all__ = ["format_fee", "print_pdf", "render_letter_html", "template_name"]


def _environment(root: Path) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(root)), undefined=StrictUndefined, autoescape=True
    )


def template_name(permit_type: str, outcome: str, language: str = "en") -> str:
    return f"{permit_type}/{outcome}.{language}.html.j2"


def render_letter_html(name: str, context: dict[str, Any], root: Path | None = None) -> str:
    """Render one letter template; a template error names the file, line and what is wrong."""
    root = root or get_settings().letter_templates_dir
    try:
        return _environment(root).get_template(name).render(**context)
    except TemplateNotFound as exc:
        raise CatalogueError(
            [CatalogueProblem(root / name, None, "(template)", "the letter template is missing")]
        ) from exc
    except TemplateError as exc:
        path, line = root / name, getattr(exc, "lineno", None)
        if line is None:  # a render-time error: find the line that names the culprit
            path, line = _locate(root, name, exc.message or str(exc))
        raise CatalogueError(
            [CatalogueProblem(path, line, "(template)", exc.message or str(exc))]
        ) from exc


_CULPRIT = re.compile(r"has no attribute '(\w+)'|'(\w+)' is undefined|attribute '(\w+)' of")
_EXTENDS = re.compile(r"{%-?\s*extends\s+[\"']([^\"']+)[\"']")


def _locate(root: Path, name: str, message: str) -> tuple[Path, int | None]:
    """The template (this one, then the ones it extends) and line that mention the culprit.

    Jinja reports render-time errors without a line, and with ``{% extends %}`` its traceback
    points at the layout, not at the admin's edit, so the name in the message is searched instead.
    """
    match = _CULPRIT.search(message)
    culprit = next((g for g in match.groups() if g), None) if match else None
    current: str | None = name
    while current is not None and (root / current).is_file():
        text = (root / current).read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if culprit and re.search(rf"\b{re.escape(culprit)}\b", line):
                return root / current, number
        parent = _EXTENDS.search(text)
        current = parent.group(1) if parent else None
    return root / name, None


def format_fee(fee: Decimal | float | None) -> str:
    """A fee as a letter prints it (``HK$5,120.00``); empty when no fee applies."""
    return "" if fee is None else f"HK${Decimal(str(fee)):,.2f}"


def print_pdf(html: str, what: str | Path) -> bytes:
    """HTML printed to PDF by WeasyPrint: an issued letter, an admin's preview of one (so the
    preview is the letter an applicant would get), a typed sample form. ``what`` names it in
    the error should WeasyPrint print nothing."""
    from weasyprint import HTML  # imported lazily: it loads Pango, ~0.5 s

    pdf: bytes | None = HTML(string=html).write_pdf()
    if pdf is None:
        raise RuntimeError(f"WeasyPrint produced no PDF for {what}")
    return pdf
