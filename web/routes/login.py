"""Logging in and out (failed logins are limited per username and address); the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import log_in, log_out, safe_next
from web.i18n import COOKIE, LANGUAGES, gettext_, language_for
from web.ratelimit import FailureLimiter, TooManyAttempts
from web.rendering import flash, render

router = APIRouter()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    limiter: FailureLimiter = request.app.state.login_limiter
    key = f"{username.strip().lower()}|{client_address(request)}"
    context = {"next": safe_next(next), "username": username}
    try:
        limiter.check(key)
    except TooManyAttempts as exc:
        response = render(request, "login.html", {**context, "error": str(exc)}, 429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    user = log_in(request, username, password)
    if user is None:
        limiter.failed(key)
        language_for(request)
        error = gettext_("The username or password is not right. Try again.")
        return render(request, "login.html", {**context, "error": error}, status_code=400)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/language")
def choose_language(
    lang: Annotated[str, Form()], next: Annotated[str, Form()] = "/inbox"
) -> RedirectResponse:
    """Remember the chosen language for a year (a preference, not a secret)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    log_out(request)
    language_for(request)
    flash(request, gettext_("You are logged out."))
    return RedirectResponse("/login", status_code=303)
