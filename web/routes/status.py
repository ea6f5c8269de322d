"""The applicants' status page: a case reference plus its access code, no login.

The code travels in a POST body (not the URL, which proxies and browser histories keep). Failed
attempts are limited per address and reference, so codes cannot be guessed by brute force. While
the office waits for information, the page shows what is asked and by when, and takes the
answer: files (checked as at intake) and a note. The answer form carries the reference and code
again in its body, and is limited the same way. The letters sent (decision, request, lapse)
are listed and downloaded the same way, by a POST that carries the code.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from cases.access import ApplicantStatus, WrongAccessCode, applicant_letter, applicant_status
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.documents import read_stored
from cases.errors import InvalidDocument, NotFound, PermitsError, StoredPathOutsideDataFolder
from cases.intake import OTHER_DOCUMENT, Upload, answer_request
from web.i18n import gettext_, in_language, use_language
from web.ratelimit import FailureLimiter, TooManyAttempts, client_address
from web.rendering import render
from web.routes import DOCUMENT_PREFIX, read_form, refusal_reason, stored_file
from web.trigger import resume_case

router = APIRouter(dependencies=[Depends(use_language)])


def _limiter(request: Request) -> FailureLimiter:
    limiter: FailureLimiter = request.app.state.status_limiter
    return limiter


def _key(request: Request, reference: str) -> str:
    return f"{reference.strip().upper()}|{client_address(request)}"


def _asked(found: ApplicantStatus) -> list[dict[str, str]]:
    """The documents asked for, each with its name in the page's language."""
    if not found.requested_documents:
        return []
    permit = get_permit_type(found.permit_type).permit
    asked = []
    for kind in found.requested_documents:
        document = permit.document(kind)
        asked.append({"kind": kind, "name": in_language(document.name) if document else kind})
    return asked


def _found_page(
    request: Request,
    found: ApplicantStatus,
    access_code: str,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "found": found,
        "asked": _asked(found),
        # what happens to a request left unanswered (the request letter says the same)
        "policy": get_permit_type(found.permit_type).permit.information_requests,
        "access_code": access_code,
        "error": error,
        "notice": notice,
        "other_document": OTHER_DOCUMENT,
    }
    return render(request, "status.html", context, status_code)


def _refused(request: Request, reference: str, exc: Exception) -> HTMLResponse:
    """The look-up form again, with why (too many attempts, or no such reference and code)."""
    context = {"reference": reference}
    if isinstance(exc, TooManyAttempts):
        response = render(request, "status.html", {**context, "error": str(exc)}, 429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    assert isinstance(exc, WrongAccessCode)
    _limiter(request).failed(_key(request, reference))
    return render(request, "status.html", {**context, "error": gettext_(str(exc))}, 404)


def _open(request: Request, reference: str, access_code: str) -> ApplicantStatus | HTMLResponse:
    """The status the reference and code open, within the limit; else the page saying why."""
    try:
        _limiter(request).check(_key(request, reference))
        with session_scope() as session:
            return applicant_status(session, reference, access_code)
    except (TooManyAttempts, WrongAccessCode) as exc:
        return _refused(request, reference, exc)


@router.get("/status")
def status_form(request: Request) -> HTMLResponse:
    return render(request, "status.html", {})


@router.post("/status")
def status_lookup(
    request: Request,
    reference: Annotated[str, Form()],
    access_code: Annotated[str, Form()],
) -> HTMLResponse:
    found = _open(request, reference, access_code)
    if isinstance(found, HTMLResponse):
        return found
    return _found_page(request, found, access_code)


def _uploads(form: FormData) -> list[Upload]:
    """The files chosen, one field per kind asked for (``document_<kind>``) plus any other."""
    uploads = []
    for name, item in form.multi_items():
        if name.startswith(DOCUMENT_PREFIX) and isinstance(item, UploadFile) and item.filename:
            kind = name.removeprefix(DOCUMENT_PREFIX)
            uploads.append(Upload(item.filename, item.file.read(), kind=kind))
    return uploads


def _problem(exc: PermitsError) -> str:
    if isinstance(exc, InvalidDocument):
        message = gettext_(
            "%(file)s was not accepted: %(reason)s. Nothing was stored; choose another file and "
            "send again."
        )
        return message % {"file": exc.filename, "reason": refusal_reason(exc)}
    return gettext_(str(exc))


@router.post("/status/answer")
def answer(request: Request, form: Annotated[FormData, Depends(read_form)]) -> HTMLResponse:
    reference = str(form.get("reference", ""))
    access_code = str(form.get("access_code", ""))
    note = str(form.get("note", ""))
    found = _open(request, reference, access_code)
    if isinstance(found, HTMLResponse):
        return found
    try:
        recorded = answer_request(reference, access_code, _uploads(form), note)
    except PermitsError as exc:
        return _found_page(
            request, found, access_code, error=_problem(exc), status_code=exc.http_status
        )
    resume_case(request, recorded.case_id, "answered")  # a lost trigger heals by the sweep
    with session_scope() as session:
        found = applicant_status(session, reference, access_code)
    thanks = gettext_("Thank you: your answer was received and your application continues.")
    return _found_page(request, found, access_code, notice=thanks)


@router.post("/status/letter", response_model=None)
def letter(
    request: Request,
    reference: Annotated[str, Form()],
    access_code: Annotated[str, Form()],
    letter_id: Annotated[int, Form()],
) -> Response:
    """One of the case's letters as a PDF, for an applicant who has the reference and code."""
    found = _open(request, reference, access_code)
    if isinstance(found, HTMLResponse):
        return found
    with session_scope() as session:
        try:
            sent = applicant_letter(session, reference, access_code, letter_id)
        except NotFound:
            gone = gettext_("That letter is not one of this application's; choose one below.")
            return _found_page(request, found, access_code, error=gone, status_code=404)
    try:
        data = read_stored(sent.pdf_path)
    except (FileNotFoundError, StoredPathOutsideDataFolder):
        missing = gettext_(
            "This letter cannot be shown just now; please contact the licensing office."
        )
        return _found_page(request, found, access_code, error=missing, status_code=404)
    filename = f"{found.reference}-{sent.outcome}-{sent.language}.pdf"
    return stored_file(data, "application/pdf", filename, inline=False)
