"""Page rendering shared by every route: the Jinja2 views, flash messages and error responses.

One place decides how a page looks (base layout, the user header, the CSRF field) and how an error
is shown: as an HTML page for a person, as ``{"error": message}`` for the JSON API.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape

from cases.access import workable_roles
from cases.calendar import OFFICE_TZ
from cases.catalogue import Text, load_catalogue
from cases.facts import is_fact
from cases.values import format_date
from web.auth import CSRF_FIELD, csrf_token
from web.i18n import (
    LANGUAGES,
    current_language,
    fact_summary,
    fact_text,
    gettext_,
    glossary,
    humanised,
    in_language,
    language_for,
    ngettext_,
)

__all__ = ["error_response", "flash", "render", "templates", "wants_json"]

VIEWS = Path(__file__).resolve().parent / "views"
_FLASH_KEY = "flash"
_PAYLOAD_CHARS = 160


def flash(request: Request, text: str, level: str = "info") -> None:
    """Keep a message in the session for the next page shown (after a redirect)."""
    request.session.setdefault(_FLASH_KEY, []).append({"level": level, "text": text})


def _page_context(request: Request) -> dict[str, Any]:
    if "session" not in request.scope:  # a failure outside the session middleware
        return {
            "user": None,
            "flashes": [],
            "csrf_input": "",
            "can_work": lambda _task: False,
            "language": "en",
            "languages": LANGUAGES,
            "here": "/",
        }
    token = escape(csrf_token(request))
    user = getattr(request.state, "user", None)
    language = language_for(request)
    workable = {str(r) for r in workable_roles(user.role)} if user else set()
    return {
        "language": language,
        "languages": LANGUAGES,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "user": user,
        # can_work(task): whether to offer this person the task's buttons (the server checks too)
        "can_work": lambda task: (
            str(task.required_role) in workable
            and not (user and task.first_decision_by == user.username)
        ),
        "flashes": request.session.pop(_FLASH_KEY, []),
        "csrf_input": Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'),
    }


def _when(moment: dt.datetime | dt.date | None) -> str:
    """A moment as the office reads its clock: Hong Kong time, whatever the server's zone (the
    database keeps UTC; a due "23:59 HKT" read as "15:59 UTC" misleads a caseworker)."""
    if moment is None:
        return "—"
    if isinstance(moment, dt.datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return aware.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M") + " HKT"
    return moment.isoformat()


def _long_date(moment: dt.datetime | dt.date | None) -> str:
    """A date as the public reads it, in the page's language ("5 December 2026",
    "2026年12月5日"): the applicants' pages, like their letters and messages."""
    return "—" if moment is None else format_date(moment, current_language())


def _when_wrapping(moment: dt.datetime | dt.date | None) -> Markup:
    """``when`` for a narrow column: it may wrap before the time, never inside the date."""
    day, _, rest = _when(moment).partition(" ")
    return Markup('<span class="nobreak">{}</span>').format(day) + (f" {rest}" if rest else "")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _short(payload: dict[str, Any], permit_type: str = "") -> str:
    """An audit payload on one line, cut short: the full entry stays in the database. The facts
    in it (a task's reason, why fields were flagged) are said in the page's language."""

    def shown(value: Any) -> str:
        if is_fact(value):
            return fact_text(value, permit_type)
        if isinstance(value, dict) and value and all(map(is_fact, value.values())):
            field = glossary(permit_type).field
            return "; ".join(f"{field(k)}: {fact_text(v, permit_type)}" for k, v in value.items())
        return str(value)

    text = ", ".join(f"{key}: {shown(value)}" for key, value in payload.items())
    return text if len(text) <= _PAYLOAD_CHARS else text[: _PAYLOAD_CHARS - 1] + "…"


def _humanise(value: str) -> str:
    """An enum value (status, outcome, task kind, role) in words, in the page's language."""
    return gettext_(humanised(value))


def _permit_name(permit_type: str) -> str:
    """The permit's name from the catalogue; its id if the catalogue no longer has it."""
    permit = load_catalogue().get(permit_type)
    return in_language(permit.permit.name) if permit else permit_type


def _value(value: Any) -> str:
    """A value a rule read or a table gave, as a caseworker reads it (whole numbers without .0)."""
    if value is None:
        return gettext_("(no value)")
    if isinstance(value, bool):
        return gettext_("yes") if value else gettext_("no")
    if isinstance(value, float):  # 1.3279661016949151 is read as 1.328; 156.0 as 156
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, str) and not value.strip():
        return gettext_("(blank)")
    if isinstance(value, list):
        return "; ".join(_value(item) for item in value) or gettext_("(none)")
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_value(item)}" for key, item in value.items())
    if isinstance(value, Text):  # a licence condition, as the permit words it
        return in_language(value)
    return str(value)


def _money(amount: Any) -> str:
    return "—" if amount is None else f"HK${amount:,.2f}"


_env = Environment(loader=FileSystemLoader(VIEWS), autoescape=True, extensions=["jinja2.ext.i18n"])
_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
    gettext=gettext_, ngettext=ngettext_, newstyle=True
)
templates = Jinja2Templates(env=_env, context_processors=[_page_context])
templates.env.filters.update(
    when=_when,
    long_date=_long_date,
    when_wrapping=_when_wrapping,
    percent=_percent,
    short=_short,
    humanise=_humanise,
    permit_name=_permit_name,
    tr=in_language,
    fact=fact_text,
    fact_summary=fact_summary,
    value=_value,
    money=_money,
)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)


def wants_json(request: Request) -> bool:
    """API clients get JSON errors; people get pages."""
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz"


def error_response(request: Request, message: str, status_code: int) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status_code)
    return render(request, "error.html", {"message": message, "status": status_code}, status_code)
