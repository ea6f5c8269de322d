"""JSON API for other systems and scripts: same session login and CSRF rules as the pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from cases.db import session_scope
from cases.intake import Upload, submit
from cases.queries import case_summary
from web.auth import StaffUser, csrf_token, require_user
from web.trigger import resume_case

router = APIRouter(prefix="/api", dependencies=[Depends(require_user)])
health = APIRouter()


@health.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness for load balancers; answers 503 (by the app's gate) if the schema is outdated."""
    return {"status": "ok"}


@router.get("/session")
def session_info(
    request: Request, user: Annotated[StaffUser, Depends(require_user)]
) -> dict[str, str]:
    """Who is logged in, and the CSRF token a script sends as the X-CSRF-Token header."""
    return {"username": user.username, "role": str(user.role), "csrf_token": csrf_token(request)}


@router.post("/cases", status_code=201)
def create_case(
    request: Request,
    user: Annotated[StaffUser, Depends(require_user)],
    permit_type: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
) -> JSONResponse:
    uploads = [Upload(f.filename or "(unnamed file)", f.file.read()) for f in files]
    submission = submit(uploads, permit_type_id=permit_type, actor=user.username, channel="api")
    case = submission.case
    body: dict[str, Any] = {
        "id": case.id,
        "reference": case.reference,
        "status": case.status,
        "access_code": submission.access_code,  # for the applicant; shown only here
    }
    warning = resume_case(request, case.id or 0, "uploaded")
    if warning:
        body["warning"] = warning
    return JSONResponse(body, status_code=201)


@router.get("/cases/{case_id}")
def get_case_status(case_id: int) -> dict[str, Any]:
    with session_scope() as session:
        return case_summary(case_id, session=session)
