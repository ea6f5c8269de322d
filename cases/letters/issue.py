"""The letter stage: the decided case's letter rendered, printed to PDF and stored, exactly once.

The HTML and the PDF go to the content-addressed document store; the letter's row holds their
sha256 and their paths relative to the data folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from cases.audit import append_event
from cases.catalogue import PermitType, get_permit_type
from cases.db import session_scope
from cases.documents import store_bytes, stored_path
from cases.errors import TransitionNotAllowed
from cases.letters.rendering import format_fee, print_pdf, render_letter_html, template_name
from cases.lifecycle import CaseStatus, Stage, runs_in
from cases.models import Case, EligibilityResult, ExtractedField, Letter
from cases.repository import get_case, transition
from cases.settings import get_settings
from cases.vocabulary import Decision, LetterKind

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
        # templates are admins' data: they see the word as plain text, not a Python enum
        "decision": case.decided_outcome.value if case.decided_outcome else None,
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


@dataclass(frozen=True)
class _Draft:
    """A letter rendered from the case as it was read (``seen``), before anything is locked."""

    case_id: int
    seen: tuple[CaseStatus, Decision | None, dt.datetime]
    outcome: Decision
    language: str
    template: str
    template_sha256: str
    html: str


def _seen(case: Case) -> tuple[CaseStatus, Decision | None, dt.datetime]:
    """What must still hold when the letter is recorded: every move of a case stamps it."""
    return case.status, case.decided_outcome, case.updated_at


def _issued(session: Session, case: Case) -> tuple[bool, Letter | None]:
    """Whether the letter stage has nothing to do (a letter exists, or the case moved on)."""
    existing = session.exec(select(Letter).where(Letter.case_id == case.id)).first()
    return existing is not None or case.status not in runs_in(Stage.LETTER), existing


def _draft(session: Session, case_id: int, case: Case, language: str) -> _Draft:
    outcome = case.decided_outcome
    if outcome is None:  # the lifecycle decides a case only with a decision
        raise TransitionNotAllowed(f"case {case.reference} has no decision to write a letter for")
    name = template_name(case.permit_type, outcome, language)
    root = get_settings().letter_templates_dir
    return _Draft(
        case_id=case_id,
        seen=_seen(case),
        outcome=outcome,
        language=language,
        template=name,
        template_sha256=hashlib.sha256((root / name).read_bytes()).hexdigest(),
        html=render_letter_html(name, letter_context(session, case), root),
    )


def _record(
    session: Session, case: Case, draft: _Draft, html_sha256: str, pdf_sha256: str
) -> Letter:
    letter = Letter(
        case_id=draft.case_id,
        outcome=LetterKind(draft.outcome.value),
        language=draft.language,
        template=draft.template,
        template_sha256=draft.template_sha256,
        html_path=stored_path(html_sha256),
        html_sha256=html_sha256,
        pdf_path=stored_path(pdf_sha256),
        pdf_sha256=pdf_sha256,
    )
    session.add(letter)
    session.flush()
    append_event(
        session,
        actor=ACTOR,
        action="letter.issued",
        case_id=draft.case_id,
        payload={
            "letter_id": letter.id,
            "template": draft.template,
            "template_sha256": draft.template_sha256,
            "pdf_sha256": pdf_sha256,
        },
    )
    transition(
        session, case, CaseStatus.LETTER_ISSUED, actor=ACTOR, why=f"{draft.outcome} letter issued"
    )
    return letter


def issue_letter(case_id: int, language: str = "en") -> Letter | None:
    """Print the decided case's letter and record it once, then mark the case issued (idempotent).

    Printing takes a second or more, so it happens with no lock held, from the case as read; the
    row is locked only to check the case is still as it was and to record the letter. A second
    click or a retried run that printed too finds the first letter and records nothing (its
    files, stored by content, cost nothing).
    """
    with session_scope() as session:
        case = get_case(session, case_id)
        settled, existing = _issued(session, case)
        if settled:
            return existing
        draft = _draft(session, case_id, case, language)
    html_sha256 = store_bytes(draft.html.encode("utf-8"))
    pdf_sha256 = store_bytes(print_pdf(draft.html, draft.template))
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        settled, existing = _issued(session, case)
        if settled:
            return existing
        if _seen(case) != draft.seen:  # the lifecycle allows no such move; never print stale facts
            raise RuntimeError(
                f"case {case.reference} changed while its letter printed; the case flow's next "
                "run prints it again"
            )
        return _record(session, case, draft, html_sha256, pdf_sha256)
