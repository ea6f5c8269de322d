"""Small shared operations on a case: load it, move it to another status (audited), find the
request for information it waits on."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.errors import NotFound
from cases.lifecycle import CLOSING_STATUSES, OPEN_STATUSES, CaseStatus, check_transition
from cases.models import Case, InformationRequest, utcnow
from cases.service_levels.clock import pause_clock, resume_clock

__all__ = ["get_case", "get_case_by_reference", "open_request", "transition"]


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    statement = select(Case).where(Case.id == case_id)
    if for_update:
        statement = statement.with_for_update()
    case = session.exec(statement).first()
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    return case


def get_case_by_reference(session: Session, reference: str) -> Case:
    case = session.exec(select(Case).where(Case.reference == reference)).first()
    if case is None:
        raise NotFound(f"no case with reference {reference}")
    return case


def transition(
    session: Session,
    case: Case,
    target: CaseStatus,
    *,
    actor: str,
    why: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Move a case to ``target`` if the lifecycle allows it, and record who did it and why."""
    check_transition(case.status, target)
    previous = case.status
    case.status = target
    case.updated_at = utcnow()
    if target in CLOSING_STATUSES and case.closed_at is None:
        case.closed_at = case.updated_at
    session.add(case)
    append_event(
        session,
        actor=actor,
        action="case.status_changed",
        case_id=case.id,
        payload={"from": previous, "to": target, "why": why, **(details or {})},
    )
    # The service-level clock stops while the case waits for the applicant.
    if target == CaseStatus.AWAITING_APPLICANT:
        pause_clock(session, case, actor=actor)
    elif previous == CaseStatus.AWAITING_APPLICANT and target in OPEN_STATUSES:
        resume_clock(session, case, actor=actor)


def open_request(session: Session, case_id: int | None) -> InformationRequest | None:
    """The case's unanswered request for information, if it has one (the newest)."""
    return session.exec(
        select(InformationRequest)
        .where(InformationRequest.case_id == case_id, col(InformationRequest.resolution).is_(None))
        .order_by(col(InformationRequest.id).desc())
    ).first()
