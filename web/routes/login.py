"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import log_in, log_out, safe_next
from web.rendering import flash, render

router = APIRouter()

BAD_LOGIN = "The username or password is not right. Try again."


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
    user = log_in(request, username, password)
    if user is None:
        context = {"next": safe_next(next), "error": BAD_LOGIN, "username": username}
        return render(request, "login.html", context, status_code=400)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    log_out(request)
    flash(request, "You are logged out.")
    return RedirectResponse("/login", status_code=303)
