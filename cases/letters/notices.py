"""Notices to the applicant that are not decisions: the request for information and the notice
that an unanswered request lapsed. One template per kind and language, shared by every permit
type (``templates/letters/_notices/<kind>.<language>.html.j2``) unless a permit type has its own
(``templates/letters/<permit-type>/<kind>.<language>.html.j2``), in the applicant's language.

A notice is printed with no lock held (it takes a fraction of a second to a second); its row is
recorded in the caller's transaction, with the event that caused it, by
``cases.letters.drafting.record_printed`` as every letter is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from cases.catalogue import Permit
from cases.documents import store_bytes
from cases.letters.drafting import Printed
from cases.letters.rendering import print_pdf, render_letter_html, template_name
from cases.settings import get_settings
from cases.values import format_date
from cases.vocabulary import Language, LetterKind

__all__ = ["notice_basics", "print_notice"]

SHARED = "_notices"


def notice_basics(permit: Permit, reference: str, language: Language) -> dict[str, Any]:
    """What every notice prints: the reference, the permit's name and today, in ``language``."""
    name = permit.name.in_language(language)
    return {
        "reference": reference,
        "permit_name": name,
        "issued_on": format_date(dt.date.today(), language),
    }


def _template(permit_type: str, kind: LetterKind, language: Language) -> str:
    own = template_name(permit_type, kind.value, language.value)
    if (get_settings().letter_templates_dir / own).is_file():
        return own
    return template_name(SHARED, kind.value, language.value)


def print_notice(
    permit_type: str, kind: LetterKind, language: Language, context: dict[str, Any]
) -> Printed:
    """Render and print the notice, storing its HTML and PDF in the content store."""
    root = get_settings().letter_templates_dir
    name = _template(permit_type, kind, language)
    html = render_letter_html(name, context, root)
    return Printed(
        kind=kind,
        language=language.value,
        template=name,
        template_sha256=hashlib.sha256((root / name).read_bytes()).hexdigest(),
        html_sha256=store_bytes(html.encode("utf-8")),
        pdf_sha256=store_bytes(print_pdf(html, name)),
    )
