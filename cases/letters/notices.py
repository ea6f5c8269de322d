"""Notices to the applicant that are not decisions: the request for information and the notice
that an unanswered request lapsed. One template per kind and language, shared by every permit
type (``templates/letters/_notices/<kind>.<language>.html.j2``) unless a permit type has its own
(``templates/letters/<permit-type>/<kind>.<language>.html.j2``), in the applicant's language.

A notice is printed with no lock held (it takes a fraction of a second to a second); its row is
recorded in the caller's transaction, with the event that caused it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from cases.audit import append_event
from cases.catalogue import Permit
from cases.documents import store_bytes, stored_path
from cases.letters.rendering import print_pdf, render_letter_html, template_name
from cases.models import Letter
from cases.settings import get_settings
from cases.values import format_date
from cases.vocabulary import Language, LetterKind

__all__ = ["PrintedNotice", "notice_basics", "print_notice", "record_notice"]

SHARED = "_notices"


def notice_basics(permit: Permit, reference: str, language: Language) -> dict[str, Any]:
    """What every notice prints: the reference, the permit's name and today, in ``language``."""
    name = permit.name.in_language(language)
    return {
        "reference": reference,
        "permit_name": name,
        "issued_on": format_date(dt.date.today(), language),
    }


@dataclass(frozen=True)
class PrintedNotice:
    kind: LetterKind
    language: Language
    template: str
    template_sha256: str
    html_sha256: str
    pdf_sha256: str


def _template(permit_type: str, kind: LetterKind, language: Language) -> str:
    own = template_name(permit_type, kind.value, language.value)
    if (get_settings().letter_templates_dir / own).is_file():
        return own
    return template_name(SHARED, kind.value, language.value)


def print_notice(
    permit_type: str, kind: LetterKind, language: Language, context: dict[str, Any]
) -> PrintedNotice:
    """Render and print the notice, storing its HTML and PDF in the content store."""
    root = get_settings().letter_templates_dir
    name = _template(permit_type, kind, language)
    html = render_letter_html(name, context, root)
    return PrintedNotice(
        kind=kind,
        language=language,
        template=name,
        template_sha256=hashlib.sha256((root / name).read_bytes()).hexdigest(),
        html_sha256=store_bytes(html.encode("utf-8")),
        pdf_sha256=store_bytes(print_pdf(html, name)),
    )


def record_notice(
    session: Session, case_id: int, notice: PrintedNotice, *, serial: int, actor: str
) -> Letter:
    """The notice's row and its audit event, in ``session`` (not committed)."""
    letter = Letter(
        case_id=case_id,
        outcome=notice.kind,
        language=notice.language.value,
        serial=serial,
        template=notice.template,
        template_sha256=notice.template_sha256,
        html_path=stored_path(notice.html_sha256),
        html_sha256=notice.html_sha256,
        pdf_path=stored_path(notice.pdf_sha256),
        pdf_sha256=notice.pdf_sha256,
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
            "kind": notice.kind.value,
            "language": notice.language.value,
            "template": notice.template,
            "template_sha256": notice.template_sha256,
            "pdf_sha256": notice.pdf_sha256,
        },
    )
    return letter
