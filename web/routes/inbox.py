"""The caseworker's inbox: open gates first, then recent cases."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from cases.db import session_scope
from cases.queries import open_tasks, recent_cases
from web.auth import require_user
from web.rendering import render

router = APIRouter(dependencies=[Depends(require_user)])


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox")
def inbox(request: Request) -> HTMLResponse:
    with session_scope() as session:
        items = open_tasks(session=session)
        cases = recent_cases(session=session)
    return render(request, "inbox.html", {"items": items, "cases": cases})
