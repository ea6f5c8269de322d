"""The admin page of the office's working days: closure days (typhoon signal 8, black
rainstorm) added with a reason, each moving the open due dates it falls inside of, and the
year's Hong Kong general holidays for reference."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cases.calendar import holiday_name, office_date
from cases.errors import InvalidInput, PermitsError
from cases.service_levels import add_closure_day, list_closure_days
from web.auth import StaffUser, require_admin
from web.i18n import current_language, gettext_, use_language
from web.rendering import flash, render

router = APIRouter(prefix="/admin", dependencies=[Depends(require_admin), Depends(use_language)])
Admin = Annotated[StaffUser, Depends(require_admin)]
PAGE = "/admin/calendar"


def _holidays(year: int) -> list[tuple[dt.date, str]]:
    """The year's holidays, named in the page's language (the ``holidays`` package's names)."""
    language = "zh_HK" if current_language() == "zh-Hant" else "en_HK"
    days = (dt.date(year, 1, 1) + dt.timedelta(days=n) for n in range(366))
    return [
        (day, name) for day in days if day.year == year and (name := holiday_name(day, language))
    ]


def _page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    year = office_date(dt.datetime.now(dt.UTC)).year
    context = {
        "closures": list_closure_days(),
        "holidays": _holidays(year),
        "year": year,
        "form": {},
        **context,
    }
    return render(request, "admin/calendar.html", context, status_code=status_code)


@router.get("/calendar")
def calendar_page(request: Request) -> HTMLResponse:
    return _page(request)


@router.post("/calendar", response_model=None)
def add_closure(
    request: Request,
    admin: Admin,
    day: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            closed_on = dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("Give the day the office closed.") from None
        added = add_closure_day(closed_on, reason, actor=admin.username)
    except PermitsError as exc:
        form = {"day": day, "reason": reason}
        return _page(request, exc.http_status, error=gettext_(str(exc)), form=form)
    done = gettext_("%(day)s recorded as a closure day; %(num)d open cases' due dates moved.")
    flash(request, done % {"day": added.day.isoformat(), "num": len(added.moved)})
    return RedirectResponse(PAGE, status_code=303)
