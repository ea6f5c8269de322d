"""The caseworker's inbox: my claimed tasks and my team's, filtered, paged in the database."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from cases.access import workable_roles
from cases.catalogue import load_catalogue
from cases.db import session_scope
from cases.gates import claim_task, release_task
from cases.models import TaskKind
from cases.queries import DueFilter, InboxFilters, InboxSort, Queue, inbox, recent_cases
from cases.vocabulary import Risk
from web.auth import StaffUser, require_user, safe_next
from web.i18n import gettext_, use_language
from web.rendering import flash, render

router = APIRouter(dependencies=[Depends(require_user), Depends(use_language)])

PAGE_SIZE = 25
RISKS = tuple(Risk)
Staff = Annotated[StaffUser, Depends(require_user)]


E = TypeVar("E", bound=StrEnum)


def _choice(enum: type[E], value: str | None) -> E | None:
    """A filter's value from the query string; an unknown one is ignored, not an error page."""
    try:
        return enum(value) if value else None
    except ValueError:
        return None


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox")
def inbox_page(
    request: Request,
    user: Staff,
    queue: str | None = None,
    permit_type: str | None = None,
    kind: str | None = None,
    risk: str | None = None,
    due: str | None = None,
    sort: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    default_queue = Queue.TEAM if workable_roles(user.role) else Queue.ALL
    filters = InboxFilters(
        queue=_choice(Queue, queue) or default_queue,
        permit_type=permit_type or None,
        kind=_choice(TaskKind, kind),
        risk=_choice(Risk, risk),
        due=_choice(DueFilter, due),
        sort=_choice(InboxSort, sort) or InboxSort.DUE,
    )
    with session_scope() as session:
        found = inbox(
            session=session, user=user.actor, filters=filters, page=page, page_size=PAGE_SIZE
        )
        cases = recent_cases(session=session, limit=10)
    params = {
        "queue": filters.queue,
        "permit_type": filters.permit_type or "",
        "kind": filters.kind or "",
        "risk": filters.risk or "",
        "due": filters.due or "",
        "sort": filters.sort,
    }
    context = {
        "inbox": found,
        "filters": filters,
        "cases": cases,
        "permit_types": list(load_catalogue().values()),
        "risks": RISKS,
        "query": lambda **changes: "/inbox?" + urlencode({**params, **changes}),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return render(request, "inbox.html", context)


@router.post("/tasks/{task_id}/claim")
def claim(
    task_id: int, request: Request, user: Staff, next: Annotated[str, Form()] = "/inbox"
) -> RedirectResponse:
    claim_task(task_id, actor=user.actor)
    flash(request, gettext_("Task claimed: colleagues see that you are working on it."))
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/tasks/{task_id}/release")
def release(
    task_id: int, request: Request, user: Staff, next: Annotated[str, Form()] = "/inbox"
) -> RedirectResponse:
    release_task(task_id, actor=user.actor)
    flash(request, gettext_("Task released: anyone in the team can pick it up."))
    return RedirectResponse(safe_next(next), status_code=303)
