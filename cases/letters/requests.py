"""A request for information as the applicant receives it: recorded with its letter and its
message in one transaction, so the case never waits for an answer to a request nobody sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from cases.access import Actor
from cases.catalogue import Permit, get_permit_type
from cases.db import session_scope
from cases.gates import answer_deadline, check_request, get_task, open_information_request
from cases.letters.drafting import record_printed
from cases.letters.notices import notice_basics, print_notice
from cases.models import Applicant, Case, MessageKind
from cases.notifications import queue_message
from cases.repository import get_case
from cases.settings import get_settings
from cases.values import format_date
from cases.vocabulary import Language, LetterKind

__all__ = ["request_information"]


def _document_names(permit: Permit, kinds: Sequence[str], language: Language) -> list[str]:
    names = []
    for kind in kinds:
        document = permit.document(kind)
        assert document is not None  # check_request refused unknown kinds
        names.append(document.name.in_language(language))
    return names


def _letter_context(
    case: Case, permit: Permit, language: Language, what: str, kinds: Sequence[str], due_on: dt.date
) -> dict[str, Any]:
    policy = permit.information_requests
    return {
        **notice_basics(permit, case.reference, language),
        "what": what,
        "documents": _document_names(permit, kinds, language),
        "due_on": format_date(due_on, language),
        "status_url": f"{get_settings().web_url}/status",
        "grace_days": policy.grace_days,
        "on_no_answer": policy.on_no_answer,
    }


def request_information(
    task_id: int,
    what: str,
    due_on: dt.date,
    *,
    actor: Actor,
    document_kinds: Sequence[str] = (),
) -> Case:
    """Ask the applicant for ``what`` and/or documents of ``document_kinds`` by ``due_on``
    instead of deciding: the gate task is cancelled, the case waits for the applicant, and the
    request letter (in the applicant's language) and its message are queued with it."""
    what = what.strip()
    with session_scope() as session:
        case = get_case(session, get_task(session, task_id).case_id)
        check_request(case.permit_type, what, document_kinds, due_on)
        due_on = answer_deadline(session, due_on)
        applicant = session.get(Applicant, case.applicant_id) if case.applicant_id else None
        language = applicant.preferred_language if applicant else Language.EN
        permit = get_permit_type(case.permit_type).permit
        context = _letter_context(case, permit, language, what, document_kinds, due_on)
    notice = print_notice(case.permit_type, LetterKind.INFORMATION_REQUEST, language, context)
    with session_scope() as session:
        case, request = open_information_request(
            session, task_id, what, due_on, document_kinds=document_kinds, actor=actor
        )
        letter = record_printed(
            session, case.id or 0, notice, serial=request.id or 0, actor=actor.username
        )
        queue_message(
            session,
            case,
            MessageKind.INFORMATION_REQUEST,
            actor=actor.username,
            facts={
                "request_id": request.id,
                "what": what,
                "document_kinds": request.document_kinds,
                "due_on": due_on.isoformat(),
                "grace_days": permit.information_requests.grace_days,
                "on_no_answer": permit.information_requests.on_no_answer,
            },
            letter_ids=[letter.id or 0],
        )
        return case
