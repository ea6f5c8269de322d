"""The applicants' status page: a case reference plus its access code, no login.

The code travels in a POST body (not the URL, which proxies and browser histories keep). Failed
attempts are limited per address and reference, so codes cannot be guessed by brute force.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from cases.access import WrongAccessCode, applicant_status
from cases.db import session_scope
from web.i18n import gettext_, language_for
from web.ratelimit import FailureLimiter, TooManyAttempts, client_address
from web.rendering import render

router = APIRouter()


@router.get("/status")
def status_form(request: Request) -> HTMLResponse:
    return render(request, "status.html", {})


@router.post("/status")
def status_lookup(
    request: Request,
    reference: Annotated[str, Form()],
    access_code: Annotated[str, Form()],
) -> HTMLResponse:
    limiter: FailureLimiter = request.app.state.status_limiter
    key = f"{reference.strip().upper()}|{client_address(request)}"
    context = {"reference": reference}
    try:
        limiter.check(key)
        with session_scope() as session:
            found = applicant_status(session, reference, access_code)
    except TooManyAttempts as exc:
        response = render(request, "status.html", {**context, "error": str(exc)}, 429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except WrongAccessCode as exc:
        limiter.failed(key)
        language_for(request)  # the message is translated before the page is rendered
        message = gettext_(str(exc))
        return render(request, "status.html", {**context, "error": message}, exc.http_status)
    return render(request, "status.html", {"found": found})
