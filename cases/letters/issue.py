"""The letter stage: the decided case's letter rendered, printed to PDF and stored, exactly once."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from cases.audit import append_event
from cases.catalogue import PermitType, get_permit_type
from cases.db import session_scope
from cases.letters.rendering import format_fee, render_letter_html, template_name
from cases.lifecycle import CaseStatus, Stage, runs_in
from cases.models import Case, EligibilityResult, ExtractedField, Letter
from cases.repository import get_case, transition
from cases.settings import get_settings

__all__ = ["issue_letter", "letter_context"]

ACTOR = "system:letters"


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
        if existing is not None or case.status not in runs_in(Stage.LETTER):
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


ACTOR = "system:letters"
