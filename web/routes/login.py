"""Logging in and out; the language.

Failed logins are limited twice: per account and address (a person mistyping), and per account
from all addresses together, so an attacker spreading guesses over many addresses (or forging
``X-Forwarded-For``) gets no more than the account's own limit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import log_in, log_out, safe_next
from web.i18n import COOKIE, LANGUAGES, gettext_, language_for
from web.ratelimit import FailureLimiter, TooManyAttempts, client_address
from web.rendering import flash, render

router = APIRouter()


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
    account = username.strip().lower()
    limits: list[tuple[FailureLimiter, str]] = [
        (request.app.state.login_limiter, f"{account}|{client_address(request)}"),
        (request.app.state.account_limiter, account),
    ]
    context = {"next": safe_next(next), "username": username}
    try:
        for limiter, key in limits:
            limiter.check(key)
    except TooManyAttempts as exc:
        response = render(request, "login.html", {**context, "error": str(exc)}, 429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    user = log_in(request, username, password)
    if user is None:
        for limiter, key in limits:
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
