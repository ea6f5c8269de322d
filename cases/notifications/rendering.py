"""Messages to applicants rendered from their facts, in the applicant's language.

A message row stores facts (reference, what is asked, by when...), never sentences; the subject and
plain-text body are rendered from them when the message is sent, from the admin-authored template
``<kind>.<language>.txt.j2`` in the message templates folder (``{% block subject %}`` and
``{% block body %}``). Templates run in Jinja2's sandbox with ``StrictUndefined``, like letters: a
template may only name the facts :data:`MESSAGE_FACTS` lists for its kind, and
:func:`check_message_templates` (part of ``permits catalogue check``) reports any other name with
its file and line, so a typo fails there and not in a message to an applicant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    meta,
    nodes,
)
from jinja2.sandbox import SandboxedEnvironment

from cases.errors import CatalogueError, CatalogueProblem
from cases.models import MessageKind
from cases.settings import get_settings
from cases.values import format_date
from cases.vocabulary import Language

__all__ = [
    "COMMON_FACTS",
    "MESSAGE_FACTS",
    "RenderedMessage",
    "check_message_templates",
    "message_template_name",
    "render_message",
    "sample_facts",
]

# What every message may say: added by the sender when it is not already among the row's facts.
COMMON_FACTS: dict[str, str] = {
    "reference": "the case reference, e.g. FBL-2026-000123",
    "permit_name": "the permit type's name in the message's language",
    "applicant_name": "the applicant's name as given (may be empty)",
    "status_url": "the applicants' status page, where the reference and access code open the case",
    "attachments": "the file names of the letters attached to the message (a list)",
}

# The facts each kind of message may carry (what callers of ``queue_message`` pass). A fact the
# caller did not give is None in the template, so ``{% if due_on %}`` works.
MESSAGE_FACTS: dict[MessageKind, dict[str, str]] = {
    MessageKind.ACKNOWLEDGEMENT: {
        "submitted_on": "the date the application was received (ISO date)",
    },
    # ``asked`` is the row's ``what``; ``documents`` its ``document_kinds`` named by the permit in
    # the message's language (the sender adds both).
    MessageKind.INFORMATION_REQUEST: {
        "asked": "what the caseworker asks for, as typed (text)",
        "documents": "the documents asked for, as the permit names them (a list of text)",
        "due_on": "the date the answer is due (ISO date)",
    },
    MessageKind.REMINDER: {
        "asked": "what was asked (text)",
        "documents": "the documents asked for (a list of text)",
        "due_on": "the date the answer was due (ISO date)",
        "grace_until": "the last day to answer after this reminder (ISO date)",
        "on_no_answer": "what follows without an answer: lapse (the application is closed) or "
        "refer (a licensing officer decides on what the office has); the sender adds it",
    },
    MessageKind.DECISION: {
        "outcome": "the decision: approve or refuse",
    },
    MessageKind.LAPSE: {
        "due_on": "the date the answer was due (ISO date)",
    },
}

_SAMPLES: dict[str, Any] = {
    "reference": "FBL-2026-000000",
    "permit_name": "Food Business Licence",
    "applicant_name": "Chan Tai Man",
    "status_url": "https://permits.example/status",
    "attachments": ["FBL-2026-000000-approve-en.pdf"],
    "submitted_on": "2026-01-01",
    "asked": "A clearer copy of the fire certificate.",
    "documents": ["Fire certificate"],
    "due_on": "2026-01-15",
    "grace_until": "2026-01-29",
    "outcome": "approve",
    "on_no_answer": "lapse",
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


def message_template_name(kind: MessageKind, language: Language) -> str:
    return f"{kind.value}.{language.value}.txt.j2"


def known_facts(kind: MessageKind) -> set[str]:
    return set(COMMON_FACTS) | set(MESSAGE_FACTS[kind])


def sample_facts(kind: MessageKind) -> dict[str, Any]:
    """Every fact a template of ``kind`` may name, with a made-up value (for checks)."""
    return {name: _SAMPLES[name] for name in sorted(known_facts(kind))}


@lru_cache(maxsize=16)
def _environment(root: Path, language: Language) -> SandboxedEnvironment:
    """One sandbox per templates folder and language for the process (building one per message
    cost more than rendering it); Jinja's ``auto_reload`` still reads a template again when its
    file changes, so an admin's edit shows in the next message."""
    environment = SandboxedEnvironment(
        auto_reload=True,
        loader=FileSystemLoader(str(root)),
        undefined=StrictUndefined,
        autoescape=False,  # plain text: an applicant's "<" is a character, not markup
        keep_trailing_newline=True,
    )
    environment.filters["long_date"] = lambda value: format_date(value, language)
    return environment


def render_message(
    kind: MessageKind,
    language: Language,
    facts: Mapping[str, Any],
    root: Path | None = None,
) -> RenderedMessage:
    """Subject and body of one message; a template error names the file and line."""
    root = root or get_settings().message_templates_dir
    name = message_template_name(kind, language)
    context = dict.fromkeys(known_facts(kind)) | dict(facts)
    try:
        template = _environment(root, language).get_template(name)
        blocks = {
            block: "".join(render(template.new_context(context))).strip()
            for block, render in template.blocks.items()
        }
    except TemplateNotFound as exc:
        raise CatalogueError(
            [CatalogueProblem(root / name, None, "(template)", "the message template is missing")]
        ) from exc
    except TemplateError as exc:
        line = getattr(exc, "lineno", None) or _line_naming(root / name, exc.message or "")
        raise CatalogueError(
            [CatalogueProblem(root / name, line, "(template)", exc.message or str(exc))]
        ) from exc
    missing = [block for block in ("subject", "body") if not blocks.get(block)]
    if missing:
        raise CatalogueError(
            [
                CatalogueProblem(
                    root / name,
                    None,
                    "(template)",
                    f"no {{% block {missing[0]} %}} (or it is empty)",
                )
            ]
        )
    subject = " ".join(blocks["subject"].split())  # a header is one line
    return RenderedMessage(subject=subject, body=blocks["body"] + "\n")


_CULPRIT = re.compile(r"'(\w+)' is undefined|has no attribute '(\w+)'")


def _line_naming(path: Path, message: str) -> int | None:
    match = _CULPRIT.search(message)
    culprit = next((g for g in match.groups() if g), None) if match else None
    if culprit is None or not path.is_file():
        return None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(rf"\b{re.escape(culprit)}\b", line):
            return number
    return None


def check_message_templates(root: Path | None = None) -> list[CatalogueProblem]:
    """Every kind has a template in each language; each names only its kind's facts and renders."""
    root = root or get_settings().message_templates_dir
    problems: list[CatalogueProblem] = []
    for kind in MessageKind:
        for language in Language:
            problems.extend(_check_one(root, kind, language))
    return problems


def _check_one(root: Path, kind: MessageKind, language: Language) -> list[CatalogueProblem]:
    path = root / message_template_name(kind, language)
    if not path.is_file():
        return [CatalogueProblem(path, None, "(template)", "the message template is missing")]
    source = path.read_text(encoding="utf-8")
    try:
        tree = _environment(root, language).parse(source)
    except TemplateSyntaxError as exc:
        return [CatalogueProblem(path, exc.lineno, "(template)", exc.message or str(exc))]
    known = known_facts(kind)
    unknown = sorted(meta.find_undeclared_variables(tree) - known)
    if unknown:
        lines = {node.name: node.lineno for node in reversed(list(tree.find_all(nodes.Name)))}
        allowed = ", ".join(sorted(known))
        return [
            CatalogueProblem(
                path,
                lines.get(name),
                name,
                f"not a fact of a {kind.value} message (it may use: {allowed})",
            )
            for name in unknown
        ]
    try:
        render_message(kind, language, sample_facts(kind), root)
    except CatalogueError as exc:
        return exc.problems
    return []
