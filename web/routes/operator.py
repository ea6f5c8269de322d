"""The operator queue: cases whose runs kept failing, shown to admins in the inbox, and retrying
one (admins only, CSRF, audited; a second click is told the case was retried already)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from cases.processing_failures import NotAwaitingRetry, retry_case
from web.auth import StaffUser, require_admin
from web.i18n import gettext_, use_language
from web.rendering import flash
from web.trigger import resume_case

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(require_admin), Depends(use_language)])


@router.post("/cases/{case_id}/retry")
def retry(
    case_id: int, request: Request, user: Annotated[StaffUser, Depends(require_admin)]
) -> RedirectResponse:
    try:
        case = retry_case(case_id=case_id, actor=user.username)
    except NotAwaitingRetry as exc:
        message = gettext_("Case %(reference)s was already retried or has moved on; nothing done.")
        flash(request, message % {"reference": exc.reference}, "warning")
        return RedirectResponse("/inbox", status_code=303)
    message = gettext_("Case %(reference)s is being processed again.")
    flash(request, message % {"reference": case.reference})
    warning = resume_case(request, case_id, "retried")
    if warning:
        flash(request, warning, "warning")
    return RedirectResponse("/inbox", status_code=303)
