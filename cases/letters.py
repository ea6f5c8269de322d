"""Decision letters: admin-authored Jinja2 templates rendered to HTML and PDF.

Templates run in Jinja2's sandbox (an admin's template cannot reach Python internals) with
``StrictUndefined`` (a misspelt field fails loudly at preview time instead of printing a blank in a
letter to an applicant). WeasyPrint turns the HTML into the PDF that is issued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from sqlmodel import Session, select

from cases.audit import append_event
from cases.casework import get_case, transition
from cases.catalogue import PermitType, get_permit_type
from cases.db import session_scope
from cases.errors import CatalogueError, CatalogueProblem
from cases.lifecycle import CaseStatus
from cases.models import Case, EligibilityResult, ExtractedField, Letter
from cases.settings import get_settings

__all__ = ["format_fee", "issue_letter", "letter_context", "render_letter_html", "template_name"]

ACTOR = "system:letters"


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


def letter_context(session: Session, case: Case) -> dict[str, Any]:
    permit_type = get_permit_type(case.permit_type)
    permit = permit_type.permit
    # every field of the permit, "" when the case has none stored (an optional field left blank)
    fields = {spec.name: "" for spec in permit.all_fields} | {
        f.name: f.value
        for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id))
    }
    eligibility = session.exec(
        select(EligibilityResult).where(EligibilityResult.case_id == case.id)
    ).first()
    trace = eligibility.trace if eligibility else {}
    # rules that could not be evaluated sent the case to a person; a letter cites only unmet ones
    failed = [r for r in trace.get("rules", []) if not r["passed"] and not r.get("error")]
    return {
        "reference": case.reference,
        "permit_name": permit.name.en,
        "issued_on": dt.date.today().strftime("%d %B %Y"),
        "submitted_on": case.submitted_at.strftime("%d %B %Y"),
        "fields": fields,
        "decision": case.decided_outcome,
        "decision_reason": case.decision_reason or "",
        "failed_rules": failed,
        "ruleset_version": case.ruleset_version or "",
        "fee": format_fee(eligibility.fee if eligibility else None),
        "tables": _table_results(permit_type, case.ruleset_version, trace),
    }


def _table_results(
    permit_type: PermitType, version: str | None, trace: dict[str, Any]
) -> dict[str, Any]:
    """Each table of the case's rule set by name (None when it has no result, e.g. a case
    evaluated before the table existed), so ``{% if tables.x %}`` never meets an undefined."""
    results: dict[str, Any] = {
        table.name: None
        for ruleset in permit_type.rulesets
        if ruleset.version == version
        for table in ruleset.tables
    }
    results.update({t["name"]: t["result"] for t in trace.get("tables", [])})
    return results


def _write_pdf(html: str, pdf_path: Path) -> bytes:
    from weasyprint import HTML  # imported lazily: it loads Pango, ~0.5 s

    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    pdf: bytes | None = HTML(string=html).write_pdf()
    if pdf is None:
        raise RuntimeError(f"WeasyPrint produced no PDF for {pdf_path}")
    tmp = pdf_path.with_suffix(".pdf.part")
    tmp.write_bytes(pdf)
    tmp.replace(pdf_path)
    return pdf


def issue_letter(case_id: int, language: str = "en") -> Letter | None:
    """Render and store the decision letter once, then mark the case issued (idempotent)."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        existing = session.exec(select(Letter).where(Letter.case_id == case_id)).first()
        if existing is not None or case.status != CaseStatus.DECIDED:
            return existing
        outcome = case.decided_outcome or ""
        name = template_name(case.permit_type, outcome, language)
        root = get_settings().letter_templates_dir
        html = render_letter_html(name, letter_context(session, case), root)
        folder = get_settings().letters_dir / case.reference
        html_path, pdf_path = (
            folder / f"{outcome}.{language}.html",
            folder / f"{outcome}.{language}.pdf",
        )
        pdf = _write_pdf(html, pdf_path)
        html_path.write_text(html, encoding="utf-8")
        letter = Letter(
            case_id=case_id,
            outcome=outcome,
            language=language,
            template=name,
            template_sha256=hashlib.sha256((root / name).read_bytes()).hexdigest(),
            html_path=str(html_path),
            pdf_path=str(pdf_path),
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        )
        session.add(letter)
        session.flush()
        append_event(
            session,
            actor=ACTOR,
            action="letter.issued",
            case_id=case_id,
            payload={
                "letter_id": letter.id,
                "template": name,
                "template_sha256": letter.template_sha256,
                "pdf_sha256": letter.pdf_sha256,
            },
        )
        transition(
            session, case, CaseStatus.LETTER_ISSUED, actor=ACTOR, why=f"{outcome} letter issued"
        )
        return letter
