"""Counter staff upload an application's documents; the case is created and the flow started."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cases.catalogue import PermitType, get_permit_type, load_catalogue
from cases.errors import InvalidDocument, PermitsError
from cases.intake import Upload, submit
from web.auth import StaffUser, require_user
from web.i18n import gettext_, in_language, use_language
from web.rendering import flash, render
from web.routes import read_form, slot_uploads
from web.trigger import resume_case

router = APIRouter(dependencies=[Depends(require_user), Depends(use_language)])


def _render_upload(
    request: Request,
    permit_type_id: str | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    catalogue = load_catalogue()
    chosen = catalogue.get(permit_type_id or "") or next(iter(catalogue.values()), None)
    context = {"permit_types": list(catalogue.values()), "chosen": chosen, "error": error}
    return render(request, "upload.html", context, status_code=status_code)


@router.get("/upload")
def upload_form(request: Request, permit_type: str | None = None) -> HTMLResponse:
    return _render_upload(request, permit_type)


def _uploads(form: FormData, permit_type: PermitType) -> list[Upload]:
    """One upload per document the permit lists; a required one left empty is an error."""
    uploads, empty = slot_uploads(form, permit_type.permit.required_documents)
    if empty:
        missing = gettext_("this document is required; choose a file")
        raise InvalidDocument(in_language(empty[0].name), missing)
    return uploads


@router.post("/upload")
def upload(
    request: Request,
    user: Annotated[StaffUser, Depends(require_user)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    permit_type_id = str(form.get("permit_type", ""))
    try:
        uploads = _uploads(form, get_permit_type(permit_type_id))
        submission = submit(
            uploads, permit_type_id=permit_type_id, actor=user.username, channel="web"
        )
    except PermitsError as exc:
        return _render_upload(request, permit_type_id, error=str(exc), status_code=exc.http_status)
    case, code = submission.case, submission.access_code
    received = gettext_("Application %(reference)s received; reading the documents now.")
    flash(request, received % {"reference": case.reference})
    handover = gettext_(
        "Give the applicant their reference %(reference)s and access code %(code)s for the "
        "status page (/status). It is shown only once."
    )
    flash(request, handover % {"reference": case.reference, "code": code}, "warning")
    warning = resume_case(request, case.id or 0, "uploaded")
    if warning:
        flash(request, warning, "warning")
    return RedirectResponse(f"/cases/{case.id}", status_code=303)
