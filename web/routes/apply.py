"""Applying online, without a login: choose a permit, give contact details and one file per
document the permit lists, and get the reference and access code for the status page.

What is missing is said before anything is stored (all of it at once, each problem linked to its
field); a file the intake refuses is named with the reason, and nothing is stored for the
application. Submissions are limited per client address, successful or not, so the public form
cannot be used to fill the office's disk or inbox.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cases.catalogue import PermitType, get_permit_type, load_catalogue
from cases.errors import InvalidDocument
from cases.intake import (
    APPLICANT_PROBLEMS,
    InvalidApplicant,
    check_applicant,
    submit,
)
from cases.vocabulary import Language
from web.i18n import current_language, gettext_, in_language, ngettext_, use_language
from web.ratelimit import FailureLimiter, TooManyAttempts, client_address
from web.rendering import render
from web.routes import DOCUMENT_PREFIX, read_form, refusal_reason, slot_uploads
from web.trigger import resume_case

__all__ = ["ACTOR", "router"]

router = APIRouter(dependencies=[Depends(use_language)])

ACTOR = "applicant"
_RECEIVED_KEY = "applied"
_DETAILS = ("name", "email", "phone", "preferred_language")


@router.get("/apply")
def choose_permit(request: Request) -> HTMLResponse:
    return render(request, "apply_choose.html", {"permit_types": list(load_catalogue().values())})


def _render_form(
    request: Request,
    permit_type: PermitType,
    *,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    file_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = current_language()
    context: dict[str, Any] = {
        "chosen": permit_type,
        "values": values or {"preferred_language": language},
        "problems": problems or {},
        "file_error": file_error,
        "language_names": {Language.EN.value: "English", Language.ZH_HANT.value: "繁體中文"},
    }
    return render(request, "apply.html", context, status_code=status_code)


@router.get("/apply/received", include_in_schema=False)
def received(request: Request) -> Response:
    """The reference and access code, shown once: the session forgets them as they are shown."""
    shown = request.session.pop(_RECEIVED_KEY, None)
    if not isinstance(shown, dict):
        return RedirectResponse("/status", status_code=303)
    permit_type = load_catalogue().get(str(shown.get("permit_type", "")))
    name = in_language(permit_type.permit.name) if permit_type else ""
    return render(request, "apply_received.html", {"shown": shown, "permit_name": name})


@router.get("/apply/{permit_type_id}")
def application_form(request: Request, permit_type_id: str) -> HTMLResponse:
    return _render_form(request, get_permit_type(permit_type_id))


def _too_many(request: Request, permit_type: PermitType, exc: TooManyAttempts) -> HTMLResponse:
    minutes = max(1, -(-exc.retry_after_s // 60))
    message = ngettext_(
        "Too many applications were sent from your address. Try again in %(num)d minute.",
        "Too many applications were sent from your address. Try again in %(num)d minutes.",
        minutes,
    ) % {"num": minutes}
    response = _render_form(request, permit_type, file_error=message, status_code=429)
    response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


@router.post("/apply/{permit_type_id}")
def apply(
    request: Request, permit_type_id: str, form: Annotated[FormData, Depends(read_form)]
) -> Response:
    permit_type = get_permit_type(permit_type_id)
    limiter: FailureLimiter = request.app.state.apply_limiter
    key = client_address(request)
    try:
        limiter.check(key)
    except TooManyAttempts as exc:
        return _too_many(request, permit_type, exc)
    limiter.failed(key)  # every submission counts, accepted or not
    values = {name: str(form.get(name) or "") for name in _DETAILS}
    uploads, empty = slot_uploads(form, permit_type.permit.required_documents)
    choose = gettext_("Choose a file for this document.")
    problems = {DOCUMENT_PREFIX + requirement.kind: choose for requirement in empty}
    try:
        details = check_applicant(**values)
    except InvalidApplicant as exc:
        details = None
        said = {name: gettext_(APPLICANT_PROBLEMS[code]) for name, code in exc.problems.items()}
        problems = {**said, **problems}  # in the page's order: the details, then the files
    if problems or details is None:
        return _render_form(request, permit_type, values=values, problems=problems, status_code=422)
    try:
        submission = submit(
            uploads,
            permit_type_id=permit_type.id,
            actor=ACTOR,
            channel="online",
            applicant=details,
            require_complete=True,
        )
    except InvalidDocument as exc:
        refused = gettext_(
            "%(file)s was not accepted: %(reason)s. Nothing was sent; choose the files again "
            "and submit."
        ) % {"file": exc.filename, "reason": refusal_reason(exc)}
        return _render_form(
            request, permit_type, values=values, file_error=refused, status_code=422
        )
    case = submission.case
    resume_case(request, case.id or 0, "uploaded")  # a failure is logged; the sweep retries
    request.session[_RECEIVED_KEY] = {
        "reference": case.reference,
        "code": submission.access_code,
        "permit_type": permit_type.id,
        "email": details.email,
    }
    return RedirectResponse("/apply/received", status_code=303)
