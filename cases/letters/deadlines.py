"""Deadlines of requests for information, swept by a scheduled flow.

A request not answered by its date gets one reminder and ``grace_days`` working days more (the
permit's ``information_requests`` policy); once those have passed too, the policy decides:
``lapse`` closes the application as withdrawn with a lapse letter and message, ``refer`` hands the
case back to a caseworker with a task saying the applicant did not answer. Each step is recorded
on the request under the case's row lock, so a second sweep (or two at once) sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.calendar import office_calendar, office_date
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.gates import refer_unanswered
from cases.letters.drafting import Printed, record_printed
from cases.letters.notices import notice_basics, print_notice
from cases.lifecycle import CaseStatus
from cases.models import (
    Applicant,
    Case,
    InformationRequest,
    MessageKind,
    RequestResolution,
    utcnow,
)
from cases.notifications import queue_message
from cases.repository import get_case, transition
from cases.values import format_date
from cases.vocabulary import Language, LetterKind

__all__ = ["ACTOR", "DeadlineSweep", "sweep_information_requests"]

ACTOR = "system:deadlines"


@dataclass
class DeadlineSweep:
    """Which cases each step touched in one sweep (case ids)."""

    reminded: list[int] = field(default_factory=list)
    lapsed: list[int] = field(default_factory=list)
    referred: list[int] = field(default_factory=list)


def _overdue(today: dt.date) -> list[int]:
    with session_scope() as session:
        rows = session.exec(
            select(InformationRequest.id)
            .join(Case, col(Case.id) == InformationRequest.case_id)
            .where(
                col(InformationRequest.resolution).is_(None),
                col(InformationRequest.due_on) < today,
                Case.status == CaseStatus.AWAITING_APPLICANT,
            )
            .order_by(col(InformationRequest.id))
        ).all()
        return [row for row in rows if row is not None]


def _locked(session: Session, request_id: int) -> tuple[Case, InformationRequest] | None:
    """The request and its case, locked, while the request is still open and awaited."""
    request = session.get(InformationRequest, request_id)
    if request is None:
        return None
    case = get_case(session, request.case_id, for_update=True)
    session.refresh(request)
    if request.resolution is not None or case.status != CaseStatus.AWAITING_APPLICANT:
        return None
    return case, request


def _remind(request_id: int, today: dt.date) -> int | None:
    with session_scope() as session:
        found = _locked(session, request_id)
        if found is None or found[1].reminded_at is not None:
            return None
        case, request = found
        policy = get_permit_type(case.permit_type).permit.information_requests
        request.reminded_at = utcnow()
        request.grace_until = office_calendar(session).add_working_days(today, policy.grace_days)
        session.add(request)
        facts = {
            "request_id": request.id,
            "due_on": request.due_on.isoformat(),
            "grace_until": request.grace_until.isoformat(),
            "on_no_answer": policy.on_no_answer,
        }
        queue_message(session, case, MessageKind.REMINDER, actor=ACTOR, facts=facts)
        append_event(
            session,
            actor=ACTOR,
            action="information.reminded",
            case_id=case.id,
            payload={**facts, "why": "no answer by the date asked; one reminder, then grace"},
        )
        return case.id


def _lapse_letter(request_id: int) -> Printed | None:
    with session_scope() as session:
        found = _locked(session, request_id)
        if found is None:
            return None
        case, request = found
        applicant = session.get(Applicant, case.applicant_id) if case.applicant_id else None
        language = applicant.preferred_language if applicant else Language.EN
        permit = get_permit_type(case.permit_type).permit
        context = {
            **notice_basics(permit, case.reference, language),
            "requested_on": format_date(request.requested_at.date(), language),
            "due_on": format_date(request.due_on, language),
            "grace_until": format_date(request.grace_until or request.due_on, language),
        }
        permit_type = case.permit_type
    return print_notice(permit_type, LetterKind.LAPSE, language, context)


def _lapse(request_id: int) -> int | None:
    notice = _lapse_letter(request_id)  # printed before the lock is taken
    if notice is None:
        return None
    with session_scope() as session:
        found = _locked(session, request_id)
        if found is None:
            return None
        case, request = found
        letter = record_printed(session, case.id or 0, notice, actor=ACTOR)
        request.resolution, request.resolved_at = RequestResolution.LAPSED, utcnow()
        session.add(request)
        facts = {"request_id": request.id, "due_on": request.due_on.isoformat()}
        queue_message(
            session, case, MessageKind.LAPSE, actor=ACTOR, facts=facts, letter_ids=[letter.id or 0]
        )
        append_event(
            session,
            actor=ACTOR,
            action="information.lapsed",
            case_id=case.id,
            payload={**facts, "letter_id": letter.id, "policy": "lapse"},
        )
        transition(
            session,
            case,
            CaseStatus.WITHDRAWN,
            actor=ACTOR,
            why="the request for information was not answered after a reminder; policy: lapse",
        )
        return case.id


def _refer(request_id: int) -> int | None:
    with session_scope() as session:
        found = _locked(session, request_id)
        if found is None:
            return None
        case, request = found
        refer_unanswered(session, case, request, actor=ACTOR)
        return case.id


def _expired(request_id: int, today: dt.date) -> str | None:
    """The policy to apply when the grace after the reminder has run out, else None."""
    with session_scope() as session:
        request = session.get(InformationRequest, request_id)
        if request is None or request.grace_until is None or request.grace_until >= today:
            return None
        case = get_case(session, request.case_id)
        return get_permit_type(case.permit_type).permit.information_requests.on_no_answer


def sweep_information_requests(today: dt.date | None = None) -> DeadlineSweep:
    """Remind, lapse or refer every overdue request once; safe to run as often as wanted."""
    today = today or office_date(utcnow())  # the office's day, in Hong Kong
    sweep = DeadlineSweep()
    for request_id in _overdue(today):
        with session_scope() as session:
            request = session.get(InformationRequest, request_id)
            reminded = request is not None and request.reminded_at is not None
        if not reminded:
            if (case_id := _remind(request_id, today)) is not None:
                sweep.reminded.append(case_id)
            continue
        policy = _expired(request_id, today)
        if policy == "lapse" and (case_id := _lapse(request_id)) is not None:
            sweep.lapsed.append(case_id)
        elif policy == "refer" and (case_id := _refer(request_id)) is not None:
            sweep.referred.append(case_id)
    return sweep
