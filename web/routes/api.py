"""JSON API for other systems and scripts: same session login and CSRF rules as the pages.

Every route answers a Pydantic model (``web.schemas``, ``cases.queries``), so the OpenAPI
document served at ``/api/openapi.json`` (to logged-in staff) describes each answer in full.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from cases.db import session_scope
from cases.errors import InvalidDocument
from cases.intake import ApplicantDetails, Upload, check_applicant, submit
from cases.queries import CaseSummary, case_summary
from web.auth import CSRF_HEADER, StaffUser, csrf_token, require_user
from web.health import check_database, check_documents, check_orchestrator
from web.schemas import ApiError, CreatedCase, Health, SessionInfo
from web.trigger import resume_case

__all__ = ["health", "router"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ApiError, "description": description}
    for status, description in (
        (401, "Not logged in: log in at /login first."),
        (403, f"No (or a stale) {CSRF_HEADER} header on a POST, or the role may not do this."),
        (404, "No such case."),
        (422, "The request cannot be used (a missing field, a file that is not accepted)."),
    )
}
router = APIRouter(prefix="/api", dependencies=[Depends(require_user)], responses=_ERRORS)
health = APIRouter()

_DESCRIPTION = (
    "Log in through the login form at `/login` (the session cookie); read the CSRF token from "
    f"`GET /api/session` and send it as the `{CSRF_HEADER}` header of every POST."
)


@health.get(
    "/healthz",
    response_model=Health,
    response_model_exclude_none=True,
    responses={503: {"model": Health, "description": "A part is down; it says which."}},
)
def healthz(request: Request) -> JSONResponse:
    """The database (a real query), the orchestrator (Prefect's /health) and the document store
    (writable, or its bucket answering) are all fine: 200; else 503 naming the part that is down.
    503 too while the schema needs an upgrade."""
    database = check_database()
    documents = check_documents()
    orchestrator_url = getattr(request.app.state, "orchestrator_url", None)
    orchestrator = check_orchestrator(orchestrator_url) if orchestrator_url else None
    health = Health(
        status="ok"
        if database is None and orchestrator is None and documents is None
        else "unavailable",
        database=database or "ok",
        documents=documents or "ok",
        orchestrator=orchestrator or ("ok" if orchestrator_url else None),
    )
    return JSONResponse(
        health.model_dump(exclude_none=True), status_code=200 if health.status == "ok" else 503
    )


@router.get("/session", response_model=SessionInfo)
def session_info(
    request: Request, user: Annotated[StaffUser, Depends(require_user)]
) -> SessionInfo:
    """Who is logged in, and the CSRF token a script sends as the X-CSRF-Token header."""
    return SessionInfo(username=user.username, role=user.role, csrf_token=csrf_token(request))


@router.post(
    "/cases", status_code=201, response_model=CreatedCase, response_model_exclude_none=True
)
def create_case(
    request: Request,
    user: Annotated[StaffUser, Depends(require_user)],
    permit_type: Annotated[str, Form(description="The permit type's id, e.g. liquor-licence.")],
    files: Annotated[list[UploadFile], File(description="The application's files.")],
    kinds: Annotated[
        list[str],
        Form(
            description="What each file is, in the order of `files`: a document kind the "
            "permit's catalogue lists (`required_documents`), e.g. application_form, id_card. "
            "A kind the permit does not list is refused (422) naming the file."
        ),
    ],
    applicant_name: Annotated[str, Form(description="The applicant's full name.")] = "",
    applicant_email: Annotated[
        str, Form(description="Where the office writes to the applicant.")
    ] = "",
    applicant_phone: Annotated[str, Form(description="8 digits, or + and country code.")] = "",
    preferred_language: Annotated[
        str, Form(description="`en` or `zh-Hant`: the language of the applicant's messages.")
    ] = "en",
) -> CreatedCase:
    """A new case from the application's files, each with its kind; processing starts at once.

    With the applicant's name and e-mail (phone optional) they are stored on the case and an
    acknowledgement is queued for the applicant; without them the applicant's record is empty.
    """
    if len(kinds) != len(files):
        raise InvalidDocument(
            "(kinds)",
            f"{len(files)} files but {len(kinds)} kinds were sent; send one kind per file, in "
            "the order of the files",
        )
    uploads = [
        Upload(f.filename or "(unnamed file)", f.file.read(), kind=kind.strip())
        for f, kind in zip(files, kinds, strict=True)
    ]
    details = _applicant(applicant_name, applicant_email, applicant_phone, preferred_language)
    submission = submit(
        uploads,
        permit_type_id=permit_type,
        actor=user.username,
        channel="api",
        applicant=details,
        require_complete=True,
    )
    case = submission.case
    return CreatedCase(
        id=case.id or 0,
        reference=case.reference,
        status=case.status,
        access_code=submission.access_code,  # for the applicant; shown only here
        warning=resume_case(request, case.id or 0, "uploaded"),
    )


def _applicant(name: str, email: str, phone: str, language: str) -> ApplicantDetails | None:
    """The applicant's details when any is given (then checked as a whole), else None."""
    if not (name.strip() or email.strip() or phone.strip()):
        return None
    return check_applicant(name=name, email=email, phone=phone, preferred_language=language)


@router.get("/cases/{case_id}", response_model=CaseSummary)
def get_case_status(case_id: int) -> CaseSummary:
    """Where the case stands: status, proposed and decided outcome, open gate tasks."""
    with session_scope() as session:
        return case_summary(case_id, session=session)


@router.get("/openapi.json", include_in_schema=False)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the JSON API (the /api routes and /healthz), for staff only."""
    return _openapi()


@cache
def _openapi() -> dict[str, Any]:
    return get_openapi(
        title="Permits JSON API",
        version=_version(),
        description=_DESCRIPTION,
        routes=[*router.routes, *health.routes],
    )


def _version() -> str:
    try:
        return version("permits")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0"
