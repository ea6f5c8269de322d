"""English and Traditional Chinese pages: GNU gettext catalogues, chosen per request.

The language comes from the ``lang`` cookie (set by the switch in the page header), else English.
Templates mark text with ``{{ _("...") }}`` (Jinja2's i18n extension, new-style: placeholders are
``%(name)s`` keyword arguments, plurals ``ngettext``); routes use ``gettext_``, and ``pgettext_``
where one English word needs two translations (a rule "Passed" is 符合, an inline test's 通過).
Every page is translated: the page frame, log-in, errors, the applicants' status page, the
caseworker pages (inbox, case, upload) and the admin pages (catalogue, letter previews, users),
with the enum values the pages show (statuses, outcomes, task kinds, roles).
A message without a translation shows in English, so a missing entry is never a blank, and
``tests/web/test_i18n.py`` fails while any marked message lacks one.

The catalogue is generated, not hand-kept: Babel (a dev dependency) extracts the messages with
``web/locale/babel.cfg`` and the keywords in ``EXTRACT_KEYWORDS``, and ``python -m web.i18n``
merges them into ``web/locale/zh_Hant/LC_MESSAGES/messages.po`` (new messages arrive with an
empty translation, retired ones are kept as obsolete) and compiles ``messages.mo`` (committed, so
the server needs no Babel). The equivalent with Babel's own command::

    pybabel extract -F web/locale/babel.cfg -k gettext_ -k ngettext_:1,2 -k pgettext_:1c,2 \\
        -k InvalidInput -o messages.pot .
    pybabel update -i messages.pot -d web/locale -l zh_Hant -N && pybabel compile -d web/locale

Messages that come from data rather than from markup (the enum values behind the ``humanise``
filter, the applicants' status texts) are listed by ``data_messages`` and extracted through
``extract_data_messages``, a Babel extraction method named in ``babel.cfg``.
"""

from __future__ import annotations

import gettext
from collections.abc import Collection, Iterator, Mapping
from contextvars import ContextVar
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from fastapi import Request

from cases.catalogue import Text, glossary_for, load_catalogue
from cases.extraction import summarise_checks
from cases.facts import Glossary, messages, render

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

__all__ = [
    "COOKIE",
    "LANGUAGES",
    "current_language",
    "data_messages",
    "extract_messages",
    "fact_summary",
    "fact_text",
    "gettext_",
    "glossary",
    "glossary_in",
    "humanised",
    "in_language",
    "language_for",
    "ngettext_",
    "pgettext_",
    "use_language",
]

WEB = Path(__file__).resolve().parent
ROOT = WEB.parent
LOCALE_DIR = WEB / "locale"
MAPPING = LOCALE_DIR / "babel.cfg"
LANGUAGES = {"en": "English", "zh-Hant": "繁體中文"}
COOKIE = "lang"
_GETTEXT_NAMES = {"zh-Hant": "zh_Hant"}
_current: ContextVar[str] = ContextVar("language", default="en")

# Babel keywords: ``InvalidInput("...")`` in cases/approvals.py and the routes, and ``UserError``
# and its kinds in cases/users.py, raise a message a person reads; the routes translate it.
EXTRACT_KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "gettext_": None,
    "ngettext_": (1, 2),
    "pgettext_": ((1, "c"), 2),
    "InvalidInput": None,
    "UserError": None,
    "UnknownUser": None,
    "_Refused": None,
}
# Free strings shown through ``humanise``: "unknown", and "none" for a case with no proposed
# outcome yet (the review's risk and severity levels are enums, listed with the others).
_FREE_VALUES = ("unknown", "none")
# Words review findings name (cases/review: a date's relation, a caseworker's verdict).
_REVIEW_WORDS = ("on or before", "after", "confirmed", "dismissed")
# The reviewers by name, as the case page's "Reviewer runs" table shows them (``humanise``).
_REVIEWER_NAMES = ("consistency", "duplicates", "precedents", "unusual values", "language model")
# What the status page says the office waits for: message ids returned by cases/access.py's
# ``_awaited`` (plain strings there, so listed here; tests/web/test_i18n.py shows one in Chinese).
_AWAITED_TEXTS = (
    "Information from you; the office will contact you.",
    "Nothing.",
    "Nothing from you at the moment; the office is working on your application.",
)


def glossary(permit_type: str) -> Glossary:
    """How the current language names the permit's fields and documents, for rendering facts."""
    return _glossary(permit_type, _current.get())


def glossary_in(permit_type: str, language: str) -> Glossary:
    """How ``language`` names the permit's fields and documents, outside a request (the drop
    box's reason notes)."""
    return _glossary(permit_type, language)


@lru_cache(maxsize=64)
def _glossary(permit_type: str, language: str) -> Glossary:
    found = load_catalogue().get(permit_type)
    return glossary_for(found, language, _translations(language).gettext)


def fact_text(fact: Mapping[str, Any] | str | None, permit_type: str) -> str:
    """A stored fact (why a field was flagged, a task's reason, a finding) in the page's
    language; what was read is shown as it was read. Text stored before facts shows as is."""
    return render(fact, glossary(permit_type))


def fact_summary(fact: Mapping[str, Any] | None, permit_type: str) -> str:
    """A task's reason as the inbox's one line: a form mostly unreadable is said once."""
    if not isinstance(fact, dict):
        return fact_text(fact, permit_type)
    return fact_text(summarise_checks(fact), permit_type)


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


async def use_language(request: Request) -> str:
    """Router dependency: the route's own messages (flashes, errors) speak the page's language.

    Async on purpose: FastAPI awaits it in the request's context, which the route then inherits;
    a sync dependency would run in a copied context and its choice would be lost.
    """
    return language_for(request)


def current_language() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    return _translations(_current.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, n)


def pgettext_(context: str, message: str) -> str:
    """``message`` as meant in ``context`` (the .po file's msgctxt)."""
    return _translations(_current.get()).pgettext(context, message)


def in_language(text: Text | None) -> str:
    """A catalogue text (permit, document, field, rule) in the current language."""
    if text is None:
        return ""
    return text.in_language(_current.get())


def humanised(value: object) -> str:
    """An enum value in English words (``awaiting_decision``: ``awaiting decision``), the msgid."""
    return str(value).replace("_", " ")


# --- catalogue tooling (Babel, a dev dependency; imported only when used) ------------------------


def data_messages() -> list[str]:
    """Messages the pages translate from data: enum values, the applicants' status texts, what
    is wrong with an applicant's details or a file (``cases.intake.APPLICANT_PROBLEMS``,
    ``DOCUMENT_PROBLEMS``)."""
    from cases.access import WrongAccessCode
    from cases.access.applicant_codes import _STATUS_TEXT
    from cases.intake import APPLICANT_PROBLEMS, DOCUMENT_PROBLEMS, RequestNotOpen
    from cases.lifecycle import CaseStatus
    from cases.models import (
        DeliveryStatus,
        FieldStatus,
        MessageKind,
        RequestResolution,
        Role,
        TaskKind,
    )
    from cases.review.language_model import NoteKind
    from cases.vocabulary import Outcome, Risk, Severity

    enums: list[type[StrEnum]] = [CaseStatus, Outcome, TaskKind, Role, FieldStatus, Risk, Severity]
    enums += [MessageKind, DeliveryStatus, RequestResolution, NoteKind]
    labels = [humanised(value) for enum in enums for value in enum]
    labels += _FREE_VALUES
    labels += _REVIEW_WORDS
    labels += _REVIEWER_NAMES
    labels += [
        *_STATUS_TEXT.values(),
        *_AWAITED_TEXTS,
        str(WrongAccessCode()),
        str(RequestNotOpen()),
        *APPLICANT_PROBLEMS.values(),
        *DOCUMENT_PROBLEMS.values(),
        *(message.template for message in messages()),
    ]
    return list(dict.fromkeys(labels))


def extract_data_messages(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method (see babel.cfg) yielding ``data_messages``; the file is ignored."""
    del fileobj, keywords, comment_tags, options
    for message in data_messages():
        yield 0, "gettext", message, ["shown from data (web/i18n.py data_messages)"]


def extract_messages() -> Catalog:
    """Every message the web pages mark, as a Babel catalogue template (what a .pot holds)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with MAPPING.open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping, str(MAPPING))  # type: ignore[no-untyped-call]
    template = Catalog(project="permits", charset="utf-8")
    found = extract_from_dir(
        ROOT, method_map, options_map, keywords=EXTRACT_KEYWORDS, comment_tags=("Translators:",)
    )
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def refresh_catalogue(language: str = "zh_Hant") -> Path:
    """Merge the extracted messages into the language's .po and compile its .mo."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po_path = folder / "messages.po"
    with po_path.open("rb") as po:
        catalog = read_po(po, locale=language)
    catalog.update(extract_messages(), no_fuzzy_matching=True, update_creation_date=False)
    for msgid in [key for key, message in catalog.obsolete.items() if not message.string]:
        del catalog.obsolete[msgid]  # retired and never translated: nothing to keep
    with po_path.open("wb") as po:
        write_po(po, catalog, width=100, include_lineno=False, sort_output=True)
    with (folder / "messages.mo").open("wb") as mo:
        write_mo(mo, catalog)
    return po_path


if __name__ == "__main__":
    path = refresh_catalogue()
    print(f"updated {path.relative_to(ROOT)} and compiled messages.mo")
