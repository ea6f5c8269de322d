"""A letter drafted from a case as it was read, printed with no lock held, then recorded.

Printing takes a second or more, so the letter stage and a reissue both draft and print first,
then lock the case only to check it is still as it was read and to record the letter. The HTML
and the PDF go to the content-addressed document store; the letter's row holds their sha256 and
their paths relative to the data folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlmodel import Session

from cases.audit import append_event
from cases.documents import store_bytes, stored_path
from cases.errors import TransitionNotAllowed
from cases.letters.context import letter_context
from cases.letters.rendering import print_pdf, render_letter_html, template_name
from cases.lifecycle import CaseStatus
from cases.models import Case, Letter
from cases.settings import get_settings
from cases.vocabulary import Decision, LetterKind

__all__ = [
    "Draft",
    "Printed",
    "PrintedLetter",
    "check_unchanged",
    "draft_letter",
    "print_letter",
    "record_letter",
    "record_printed",
    "seen",
]

Seen = tuple[CaseStatus, Decision | None, dt.datetime]


def seen(case: Case) -> Seen:
    """What must still hold when the letter is recorded: every move of a case stamps it."""
    return case.status, case.decided_outcome, case.updated_at


@dataclass(frozen=True)
class Draft:
    """A letter rendered from the case as it was read (``seen``), before anything is locked."""

    case_id: int
    seen: Seen
    outcome: Decision
    language: str
    template: str
    template_sha256: str
    html: str


@dataclass(frozen=True)
class PrintedLetter:
    draft: Draft
    html_sha256: str
    pdf_sha256: str


def draft_letter(session: Session, case: Case, language: str) -> Draft:
    outcome = case.decided_outcome
    if outcome is None or case.id is None:  # the lifecycle decides a case only with a decision
        raise TransitionNotAllowed(f"case {case.reference} has no decision to write a letter for")
    name = template_name(case.permit_type, outcome, language)
    root = get_settings().letter_templates_dir
    html = render_letter_html(name, letter_context(session, case, language), root)
    return Draft(
        case_id=case.id,
        seen=seen(case),
        outcome=outcome,
        language=language,
        template=name,
        template_sha256=hashlib.sha256((root / name).read_bytes()).hexdigest(),
        html=html,
    )


def print_letter(draft: Draft) -> PrintedLetter:
    """Print and store the draft (its files, stored by content, cost nothing if printed twice)."""
    html_sha256 = store_bytes(draft.html.encode("utf-8"))
    pdf_sha256 = store_bytes(print_pdf(draft.html, draft.template))
    return PrintedLetter(draft, html_sha256, pdf_sha256)


def check_unchanged(case: Case, expected: Seen) -> None:
    if seen(case) != expected:  # the lifecycle allows no such move; never print stale facts
        raise RuntimeError(
            f"case {case.reference} changed while its letter printed; the case flow's next "
            "run prints it again"
        )


def record_letter(
    session: Session,
    printed: PrintedLetter,
    *,
    actor: str,
    version: int = 1,
    reissue_reason: str | None = None,
) -> Letter:
    """The decision letter's row and its ``letter.issued`` audit event (in ``session``)."""
    draft = printed.draft
    return record_printed(
        session,
        draft.case_id,
        Printed(
            kind=LetterKind(draft.outcome.value),
            language=draft.language,
            template=draft.template,
            template_sha256=draft.template_sha256,
            html_sha256=printed.html_sha256,
            pdf_sha256=printed.pdf_sha256,
        ),
        actor=actor,
        version=version,
        reissue_reason=reissue_reason,
    )


@dataclass(frozen=True)
class Printed:
    """Any letter as printed into the content store: a decision letter or a notice."""

    kind: LetterKind
    language: str
    template: str
    template_sha256: str
    html_sha256: str
    pdf_sha256: str


def record_printed(
    session: Session,
    case_id: int,
    printed: Printed,
    *,
    actor: str,
    serial: int = 0,
    version: int = 1,
    reissue_reason: str | None = None,
) -> Letter:
    """A printed letter's row and its ``letter.issued`` audit event, in ``session`` (not
    committed): every kind of letter is recorded here, so each is found and audited alike."""
    letter = Letter(
        case_id=case_id,
        outcome=printed.kind,
        language=printed.language,
        serial=serial,
        version=version,
        template=printed.template,
        template_sha256=printed.template_sha256,
        html_path=stored_path(printed.html_sha256),
        html_sha256=printed.html_sha256,
        pdf_path=stored_path(printed.pdf_sha256),
        pdf_sha256=printed.pdf_sha256,
        issued_by=actor,
        reissue_reason=reissue_reason,
    )
    session.add(letter)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="letter.issued",
        case_id=case_id,
        payload={
            "letter_id": letter.id,
            "outcome": printed.kind.value,
            "language": printed.language,
            "serial": serial,
            "version": version,
            "template": printed.template,
            "template_sha256": printed.template_sha256,
            "pdf_sha256": printed.pdf_sha256,
        },
    )
    return letter
