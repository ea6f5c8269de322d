"""Letter templates: admin-authored Jinja2, rendered in a sandbox with strict undefined names.

Templates run in Jinja2's sandbox (an admin's template cannot reach Python internals) with
``StrictUndefined`` (a misspelt field fails loudly at preview time instead of printing a blank in a
letter to an applicant). WeasyPrint turns the HTML into the PDF that is issued.

Printing fetches nothing but the letters' own assets (files under ``<templates>/_assets/``): a
template that links ``file:///etc/passwd`` as an attachment, an image or a stylesheet, or names a
web address, gets nothing embedded, and the refusal is logged with the URL.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from cases.errors import CatalogueError, CatalogueProblem
from cases.settings import get_settings
from cases.values import format_date, format_fee

__all__ = ["ASSETS_FOLDER", "print_pdf", "render_letter_html", "template_name"]

#: The folder, inside the letter templates' folder, of the only files a letter may embed.
ASSETS_FOLDER = "_assets"
_log = logging.getLogger(__name__)


def _environment(root: Path, language: str) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=FileSystemLoader(str(root)), undefined=StrictUndefined, autoescape=True
    )
    # ``{{ fields.event_start_date|date }}``, ``{{ amount|money }}`` in the letter's language
    environment.filters["date"] = lambda value: format_date(value, language)
    environment.filters["money"] = lambda value: format_fee(value, language)
    return environment


def template_name(permit_type: str, outcome: str, language: str = "en") -> str:
    return f"{permit_type}/{outcome}.{language}.html.j2"


def render_letter_html(name: str, context: dict[str, Any], root: Path | None = None) -> str:
    """Render one letter template; a template error names the file, line and what is wrong."""
    root = root or get_settings().letter_templates_dir
    try:
        language = str(context.get("language", "en"))
        return _environment(root, language).get_template(name).render(**context)
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


def print_pdf(html: str, what: str | Path, root: Path | None = None) -> bytes:
    """HTML printed to PDF by WeasyPrint: an issued letter, an admin's preview of one (so the
    preview is the letter an applicant would get), a typed sample form. ``what`` names it in
    the error should WeasyPrint print nothing. Relative links resolve in the templates' folder
    ``root``; only files in its ``_assets`` folder are fetched."""
    from weasyprint import HTML  # imported lazily: it loads Pango, ~0.5 s

    root = (root or get_settings().letter_templates_dir).resolve()
    pdf: bytes | None = HTML(
        string=html, base_url=f"{root.as_uri()}/", url_fetcher=_own_assets_fetcher(root)
    ).write_pdf()
    if pdf is None:
        raise RuntimeError(f"WeasyPrint produced no PDF for {what}")
    return pdf


def _own_assets_fetcher(root: Path) -> Any:
    """A WeasyPrint URL fetcher that serves files under ``root/_assets`` and refuses the rest."""
    from weasyprint.urls import URLFetcher, URLFetchingError

    assets = root / ASSETS_FOLDER

    class OwnAssets(URLFetcher):  # type: ignore[misc]  # weasyprint has no type hints
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _inside(url, assets):
                _log.warning("letter printing refused to fetch %s (not under %s)", url, assets)
                raise URLFetchingError(f"a letter may embed only files under {assets}: {url}")
            return super().fetch(url, headers)

    return OwnAssets(allowed_protocols=("file",))


def _inside(url: str, folder: Path) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()
    return path.is_relative_to(folder) and path.is_file()
