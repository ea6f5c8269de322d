"""The KPI dashboard (seniors and admins): charts drawn on the server, each with its data table
and a CSV download; and the admins' case export (a POST: it is audited).

The figures come from :mod:`cases.reporting`; this module only parses the filters, checks the
role, names the columns in the page's language and draws the charts (:mod:`web.charts`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from cases.catalogue import load_catalogue
from cases.db import session_scope
from cases.errors import NotFound, PermissionDenied
from cases.models import Role
from cases.reporting import (
    KPI_TABLES,
    BadDate,
    KpiFilters,
    as_csv,
    compute_table,
    current_dashboard,
    parse_day,
)
from cases.reporting import export_cases as export_case_rows
from web.auth import StaffUser, require_user
from web.i18n import gettext_, use_language
from web.kpi_view import TEXT_COLUMNS, cell_text, charts_for, column_labels, table_titles
from web.rendering import error_response, render

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(use_language)])
_MANAGERS = frozenset({Role.SENIOR_CASEWORKER, Role.ADMIN})


def require_manager(request: Request) -> StaffUser:
    """A senior caseworker or an admin; anyone else is told who may open the dashboard."""
    staff = require_user(request)
    if staff.role not in _MANAGERS:
        raise PermissionDenied(
            gettext_("Only senior caseworkers and administrators can open the KPI dashboard.")
        )
    return staff


Manager = Annotated[StaffUser, Depends(require_manager)]


# The dates' names as the page labels them (its filter form and the export form).
_DATE_LABELS = {"since": "Submitted from", "until": "to"}


def bad_date_text(exc: BadDate) -> str:
    """One line in the page's language naming the date and what was typed, and the form."""
    return gettext_(
        "%(field)s: “%(value)s” is not a date; write it as YYYY-MM-DD, for example 2026-01-31."
    ) % {"field": gettext_(_DATE_LABELS.get(exc.name, exc.name)), "value": exc.value}


def _unknown_permit_type(permit_type: str | None) -> str | None:
    """One line in the page's language when the filter names no permit type we issue (an old
    bookmark, a typed address); None when it names one or none."""
    if not permit_type or permit_type in load_catalogue():
        return None
    return gettext_("%(field)s: “%(value)s” is not a permit type; choose one from the list.") % {
        "field": gettext_("Permit"),
        "value": permit_type,
    }


def _filters(permit_type: str | None, since: str | None, until: str | None) -> KpiFilters:
    known = load_catalogue()
    return KpiFilters(
        permit_type=permit_type if permit_type in known else None,
        since=parse_day(since, "since"),
        until=parse_day(until, "until"),
    )


def _bad_dates(since: str | None, until: str | None) -> list[str]:
    """What is wrong with the period's dates, a line each (none: both can be read)."""
    said = []
    for name, value in (("since", since), ("until", until)):
        try:
            parse_day(value, name)
        except BadDate as exc:
            said.append(bad_date_text(exc))
    return said


@router.get("/kpi")
def kpi_page(
    request: Request,
    user: Manager,
    permit_type: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> HTMLResponse:
    bad_dates = _bad_dates(since, until)
    filters = (
        _filters(permit_type, None, None) if bad_dates else _filters(permit_type, since, until)
    )
    with session_scope() as session:
        dashboard = current_dashboard(session, filters)
    query = urlencode({k: v for k, v in filters.describe().items() if v})
    context: dict[str, Any] = {
        "dashboard": dashboard,
        "filters": filters,
        "permit_types": list(load_catalogue().values()),
        "charts": charts_for(dashboard),
        "titles": table_titles(),
        "labels": column_labels(),
        "cell": cell_text,
        "text_columns": TEXT_COLUMNS,
        "csv_query": f"?{query}" if query else "",
        "bad_dates": bad_dates,
        "unknown_permit_type": _unknown_permit_type(permit_type),
    }
    return render(request, "kpi.html", context)


@router.get("/kpi/{name}.csv")
def kpi_csv(
    request: Request,
    name: str,
    user: Manager,
    permit_type: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    if name not in KPI_TABLES:
        raise NotFound(f"no KPI table named {name}")
    unknown = _unknown_permit_type(permit_type)
    bad_filters = _bad_dates(since, until) + ([unknown] if unknown else [])
    if bad_filters:
        return error_response(request, " ".join(bad_filters), 422)
    filters = _filters(permit_type, since, until)
    with session_scope() as session:
        table = compute_table(session, name, filters)
    return Response(
        as_csv(table.columns, table.rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kpi-{name}.csv"'},
    )


@router.post("/kpi/export")
def export_download(
    request: Request,
    user: Manager,
    since: Annotated[str, Form()] = "",
    format: Annotated[str, Form()] = "csv",
    personal_data: Annotated[str, Form()] = "",
) -> Response:
    """Admins only: every case submitted since the date, personal data if ticked (audited)."""
    if user.role != Role.ADMIN:
        raise PermissionDenied(gettext_("Only administrators can export cases."))
    bad_dates = _bad_dates(since, None)
    if bad_dates:
        return error_response(request, bad_dates[0], 422)
    start = parse_day(since, "since")
    with session_scope() as session:
        export = export_case_rows(
            session,
            actor=user.actor,
            since=start,
            format=format,
            with_personal_data=bool(personal_data),
        )
        text = export.text()
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cases.{format}"'},
    )
