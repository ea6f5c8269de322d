"""Facts, not sentences: why a field was flagged, a task's reason, a review finding.

What the machine concludes is stored as a *fact*: a JSON object with a ``code`` and the values it
rests on (``{"code": "low_confidence", "confidence": 0.41, "threshold": 0.6}``). The English of the
audit trail and the API, and every language a page is shown in, are rendered from the same fact;
nothing ever parses a stored sentence back.

Each code is declared once, as a :class:`Message` in the wing that draws the conclusion, with its
English template (``%(name)s`` placeholders, Python's format specs allowed: ``%(confidence).2f``).
The template is also the gettext msgid its translation is keyed by. A parameter can name something
the reader's language says differently, and the message says which:

- ``fields``: a field of the permit (shown as its label in the catalogue's language);
- ``documents``: a kind of document (shown as the catalogue's name for it);
- ``terms``: a word of the product's vocabulary (an outcome, a role: ``request_info``);
- ``facts``: another fact, or a list of facts (rendered in turn);
- ``lists``: a list of words (joined as the language joins them);
- ``checks``: a list of ``{"field": name, "why": fact}`` (one line per field).

Anything else (a number, what OCR read, a person's note) is shown as it is.

Rendering a code this process has not met yet loads every declaration first (each module of
``cases`` is imported once), so a fact reads the same in any process that stores or shows it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ENGLISH",
    "LEGACY_TEXT",
    "Fact",
    "Glossary",
    "Message",
    "is_fact",
    "message_for",
    "messages",
    "render",
]

#: A stored fact: ``{"code": ..., **values}``, JSON all the way down.
Fact = dict[str, Any]

_PLACEHOLDER = re.compile(r"%\((\w+)\)")
_MESSAGES: dict[str, Message] = {}
_ALL_DECLARED = False


def _as_is(text: str) -> str:
    return text


def _humanised(term: str) -> str:
    return str(term).replace("_", " ")


@dataclass(frozen=True)
class Glossary:
    """How one language says the things a fact names; English as the catalogue writes it by
    default. ``cases.catalogue.glossary_for`` builds one for a permit type and a language."""

    translate: Callable[[str], str] = _as_is
    field: Callable[[str], str] = _as_is
    document: Callable[[str], str] = _as_is
    separator: str = ", "
    label_separator: str = ": "
    line_separator: str = "; "

    def term(self, value: str) -> str:
        return self.translate(_humanised(value))


ENGLISH = Glossary()


@dataclass(frozen=True)
class Message:
    """One kind of fact: its code, its English template, and how its parameters are shown."""

    code: str
    template: str
    fields: frozenset[str] = field(default_factory=frozenset)
    documents: frozenset[str] = field(default_factory=frozenset)
    terms: frozenset[str] = field(default_factory=frozenset)
    facts: frozenset[str] = field(default_factory=frozenset)
    lists: frozenset[str] = field(default_factory=frozenset)
    checks: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        known = _MESSAGES.setdefault(self.code, self)
        if known.template != self.template:
            raise ValueError(f"fact code '{self.code}' is declared twice, differently")
        kinds = (self.fields, self.documents, self.terms, self.facts, self.lists, self.checks)
        unknown = set().union(*kinds) - set(self.params)
        if unknown:
            raise ValueError(f"{self.code}: {sorted(unknown)} is not in the template")

    @property
    def params(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER.findall(self.template))

    def __call__(self, **values: Any) -> Fact:
        """The fact, checked against the template: every placeholder given, nothing more."""
        if set(values) != self.params:
            raise TypeError(f"{self.code} takes {sorted(self.params)}, was given {sorted(values)}")
        return {"code": self.code, **values}

    def render(self, values: Mapping[str, Any], glossary: Glossary = ENGLISH) -> str:
        shown = {name: self._show(name, value, glossary) for name, value in values.items()}
        return glossary.translate(self.template) % shown

    def _show(self, name: str, value: Any, glossary: Glossary) -> Any:
        if name in self.fields:
            return glossary.field(value)
        if name in self.documents:
            return glossary.document(value)
        if name in self.terms:
            return glossary.term(value)
        if name in self.facts:  # one fact, or several said one after the other
            if isinstance(value, list):
                return glossary.separator.join(render(item, glossary) for item in value)
            return render(value, glossary)
        if name in self.lists:
            words = [str(item) for item in value]
            return glossary.separator.join(words) if words else glossary.translate("none")
        if name in self.checks:
            return glossary.line_separator.join(
                f"{glossary.field(item['field'])}{glossary.label_separator}"
                f"{render(item['why'], glossary)}"
                for item in value
            )
        return value


#: A sentence stored before facts were, that the migration could not take apart: shown as it is.
LEGACY_TEXT = Message("legacy_text", "%(text)s")


def is_fact(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("code"), str)


def _declare_all() -> None:
    """Import every module of ``cases``: each declares the facts it concludes, and a process may
    render a stored fact whose wing it has not needed yet (the audit trail, a report, a test)."""
    global _ALL_DECLARED
    if _ALL_DECLARED:
        return
    _ALL_DECLARED = True
    package = importlib.import_module(__name__.rpartition(".")[0])
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(module.name)


def message_for(code: str) -> Message | None:
    if code not in _MESSAGES:
        _declare_all()
    return _MESSAGES.get(code)


def messages() -> Iterable[Message]:
    """Every message the product declares."""
    _declare_all()
    return tuple(_MESSAGES.values())


def render(fact: Mapping[str, Any] | str | None, glossary: Glossary = ENGLISH) -> str:
    """A fact as a sentence in the glossary's language.

    A plain string is a row written before facts were stored (the audit trail is never
    rewritten): it is shown as it is. An unknown code is shown as the code and its values, never
    as an error on the page.
    """
    if fact is None:
        return ""
    if isinstance(fact, str):
        return fact
    values = {name: value for name, value in fact.items() if name != "code"}
    message = message_for(str(fact.get("code")))
    if message is None or set(values) != message.params:
        shown = ", ".join(f"{name}={value}" for name, value in values.items())
        return f"{fact.get('code')}({shown})"
    return message.render(values, glossary)
