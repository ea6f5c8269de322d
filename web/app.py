"""The caseworker console and JSON API (FastAPI), built by :func:`create_app`.

Run with ``uvicorn web.app:app``. Tests build their own app with a recording ``trigger`` so no
Prefect server is needed. Errors are mapped here, once: domain errors (``PermitsError``) keep their
HTTP status and message; nothing ever shows a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cases.db import ensure_migrated, set_busy_timeout
from cases.errors import DatabaseNotMigrated, PermitsError, StorageUnavailable
from cases.settings import get_settings
from web.auth import CsrfRejected, LoginRequired, ReadOnlyRole, refuse_read_only, require_csrf
from web.health import use_configured_prefect
from web.i18n import gettext_, language_for
from web.middleware import RequestSizeLimit, SecurityHeaders, SessionCookies
from web.ratelimit import DatabaseFailures, FailureLimiter
from web.rendering import error_response, wants_json
from web.routes import admin, api, apply, cases, form_editor, inbox, kpi, login, operator, upload
from web.routes import calendar as working_days
from web.routes import status as applicant_status
from web.trigger import Trigger, default_trigger

__all__ = ["app", "create_app"]

_log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
CSRF_MESSAGE = (
    "This form could not be accepted: it has expired or did not come from this site. "
    "Go back, reload the page and submit it again."
)
LOGIN_FAILURES, STATUS_FAILURES, FAILURE_WINDOW_S = 5, 10, 15 * 60
# Online applications per client address and hour, accepted or not: enough for an office's
# shared address on a busy morning, too few to fill the disk with uploads.
APPLICATIONS_PER_ADDRESS, APPLICATION_WINDOW_S = 20, 3600
# Failures per account from all addresses together: enough for a person on several machines,
# few enough that rotating addresses gives no more guesses than this.
ACCOUNT_FAILURES = 20


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Refuse unsafe settings; remember (rather than crash on) an outdated database schema."""
    settings = get_settings()
    settings.check_production_ready()
    set_busy_timeout(settings.web_db_busy_timeout_s)  # a locked database: "busy", not a hang
    if app.state.trigger is default_trigger:  # the real orchestrator, never an ephemeral one
        app.state.orchestrator_url = use_configured_prefect(settings)
    app.state.database_problem = None
    try:
        ensure_migrated()
    except DatabaseNotMigrated as exc:
        _log.error("%s", exc)
        app.state.database_problem = str(exc)
    yield


def _require_database(request: Request) -> None:
    """App-wide dependency: until the schema is current, every page answers 503 and says why.

    The check runs once, at start-up: after ``permits db upgrade`` the app is restarted anyway.
    """
    problem = getattr(request.app.state, "database_problem", None)
    if problem:
        raise DatabaseNotMigrated(problem)


# --- error mapping -------------------------------------------------------------------------------


def _login_required(request: Request, _exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse({"error": "Log in first."}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _csrf_rejected(request: Request, _exc: Exception) -> Response:
    return error_response(request, CSRF_MESSAGE, 403)


def _read_only(request: Request, exc: Exception) -> Response:
    language_for(request)
    role = gettext_(str(exc.role).replace("_", " ")) if isinstance(exc, ReadOnlyRole) else ""
    message = gettext_(
        "Your role (%(role)s) can read cases and records but not change them. Ask a caseworker "
        "or an administrator to make this change."
    )
    return error_response(request, message % {"role": role}, 403)


def _permits_error(request: Request, exc: Exception) -> Response:
    status = exc.http_status if isinstance(exc, PermitsError) else 400
    return error_response(request, str(exc), status)


def _invalid_request(request: Request, exc: Exception) -> Response:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    parts = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors]
    return error_response(request, "The request is incomplete: " + "; ".join(parts), 422)


def _http_error(request: Request, exc: Exception) -> Response:
    detail = exc.detail if isinstance(exc, StarletteHTTPException) else "Error"
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    if detail == HTTPStatus(status).phrase:  # Starlette's own English ("Not Found"): say it plainly
        language_for(request)
        if status == HTTPStatus.NOT_FOUND:
            detail = gettext_(
                "There is no page at this address. Check the link, or start again below."
            )
        else:
            detail = gettext_(
                "This request could not be handled. Start again from the links below."
            )
    return error_response(request, str(detail), status)


def _storage_unavailable(request: Request, exc: Exception) -> Response:
    _log.error("could not store a file: %s", exc)  # the operator's detail (folder, what to do)
    language_for(request)
    problem = exc.problem if isinstance(exc, StorageUnavailable) else ""
    if problem == "full":
        message = gettext_("The office's document storage is full, so nothing was saved.")
    elif problem == "path_too_long":
        message = gettext_(
            "The office's document storage is set up wrongly (its folder's path is too long), "
            "so nothing was saved."
        )
    elif problem == "unreachable":
        message = gettext_("The office's document storage cannot be reached just now.")
    elif problem in {"credentials", "misconfigured"}:
        message = gettext_("The office's document storage is set up wrongly.")
    else:
        message = gettext_("The office's document storage cannot be written, so nothing was saved.")
    retry = gettext_("Please try again later; the problem has been logged for the administrators.")
    return error_response(request, f"{message} {retry}", 503)


def _database_error(request: Request, exc: Exception) -> Response:
    """A locked (busy) or unreachable database: 503 at once with a message, never a 500."""
    _log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    language_for(request)
    if "locked" in str(exc) or "busy" in str(exc):
        message = gettext_(
            "The system is busy right now, so this was not done. Please try again in a minute."
        )
    else:
        message = gettext_(
            "The database cannot be reached right now, so this was not done. Please try again "
            "in a few minutes; the problem has been logged."
        )
    response = error_response(request, message, 503)
    response.headers["Retry-After"] = "30"
    return response


def _unexpected(request: Request, exc: Exception) -> Response:
    _log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request, "Something went wrong on our side. It has been logged; please try again.", 500
    )


def _add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
    app.add_exception_handler(ReadOnlyRole, _read_only)
    app.add_exception_handler(PermitsError, _permits_error)
    app.add_exception_handler(StorageUnavailable, _storage_unavailable)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


# --- assembly ------------------------------------------------------------------------------------


def create_app(*, trigger: Trigger | None = None) -> FastAPI:
    """Build the app; ``trigger(case_id, reason)`` resumes the case flow after a person acts."""
    app = FastAPI(
        title="Permits",
        lifespan=_lifespan,
        dependencies=[
            Depends(_require_database),
            Depends(require_csrf),
            Depends(refuse_read_only),
        ],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.trigger = trigger or default_trigger
    app.state.orchestrator_url = None  # set at start-up when the real orchestrator is used
    app.state.login_limiter = FailureLimiter(
        LOGIN_FAILURES, FAILURE_WINDOW_S, "log-in attempts", store=DatabaseFailures("login")
    )
    app.state.account_limiter = FailureLimiter(
        ACCOUNT_FAILURES,
        FAILURE_WINDOW_S,
        "log-in attempts",
        store=DatabaseFailures("login-account"),
    )
    app.state.status_limiter = FailureLimiter(
        STATUS_FAILURES,
        FAILURE_WINDOW_S,
        "attempts to open a case status",
        store=DatabaseFailures("status"),
    )
    app.state.apply_limiter = FailureLimiter(
        APPLICATIONS_PER_ADDRESS,
        APPLICATION_WINDOW_S,
        "applications",
        store=DatabaseFailures("apply"),
    )
    # The last added runs first: a too-large body is refused before anything else reads it
    # (and the refusal still carries the security headers).
    app.add_middleware(SessionCookies)
    app.add_middleware(RequestSizeLimit)
    app.add_middleware(SecurityHeaders)
    _add_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages = (login, inbox, operator, cases, upload, apply, applicant_status, kpi)
    for module in (*pages, api, admin, form_editor):
        app.include_router(module.router)
    app.include_router(working_days.router)  # the admin's working-days page
    app.include_router(api.health)
    return app


app = create_app()
