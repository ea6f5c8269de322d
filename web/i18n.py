"""English and Traditional Chinese pages: GNU gettext catalogues, chosen per request.

The language comes from the ``lang`` cookie (set by the switch in the page header), else English.
Templates mark text with ``{{ _("...") }}`` (Jinja2's i18n extension); the catalogue lives in
``web/locale/<lang>/LC_MESSAGES/messages.po`` and is compiled to ``.mo`` with
``msgfmt -o messages.mo messages.po`` (GNU gettext). A message without a translation shows in
English, so a missing entry is never a blank.

Translated so far: the page frame, log-in, error pages and the applicants' status page (the
public side, where Chinese matters most). The caseworker pages are still English only.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from fastapi import Request

__all__ = ["COOKIE", "LANGUAGES", "current_language", "gettext_", "language_for", "ngettext_"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = {"en": "English", "zh-Hant": "繁體中文"}
COOKIE = "lang"
_GETTEXT_NAMES = {"zh-Hant": "zh_Hant"}
_current: ContextVar[str] = ContextVar("language", default="en")


@cache
def _translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(
        "messages", LOCALE_DIR, languages=[_GETTEXT_NAMES[language]], fallback=True
    )


def language_for(request: Request) -> str:
    """The request's language (cookie), remembered for this request's rendering."""
    chosen = request.cookies.get(COOKIE, "en")
    language = chosen if chosen in LANGUAGES else "en"
    _current.set(language)
    return language


def current_language() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    return _translations(_current.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, n)
