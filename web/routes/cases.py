"""The case page, its documents and letters, and the two human gates (verify fields, decide)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cases.approvals import decide, verify_fields
from cases.db import session_scope
from cases.errors import NotFound, PermitsError
from cases.models import Case
from cases.queries import case_document, case_file, case_letter, task_case_id
from cases.storage import document_path
from web.auth import StaffUser, require_user
from web.rendering import flash, render
from web.routes import read_form
from web.trigger import resume_case

router = APIRouter(dependencies=[Depends(require_user)])

FIELD_PREFIX = "field_"
Staff = Annotated[StaffUser, Depends(require_user)]


def render_case(
    request: Request,
    case_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    """The case page; after a refused action it shows the message and what the person typed."""
    with session_scope() as session:
        file = case_file(case_id, session=session)
    context = {"file": file, "error": error, "values": values or {}}
    return render(request, "case.html", context, status_code=status_code)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int) -> HTMLResponse:
    return render_case(request, case_id)


def _stored_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise NotFound(f"the stored file for {what} is missing; ask an administrator to restore it")
    return path


@router.get("/cases/{case_id}/documents/{document_id}")
def document(case_id: int, document_id: int) -> FileResponse:
    with session_scope() as session:
        doc = case_document(case_id, document_id, session=session)
    return FileResponse(
        _stored_file(document_path(doc.sha256), doc.filename),
        media_type=doc.media_type,
        filename=doc.filename,
        content_disposition_type="inline",
    )


@router.get("/cases/{case_id}/letters/{letter_id}.pdf")
def letter(case_id: int, letter_id: int) -> FileResponse:
    with session_scope() as session:
        found = case_letter(case_id, letter_id, session=session)
    path = _stored_file(Path(found.pdf_path), f"letter {letter_id}")
    return FileResponse(
        path, media_type="application/pdf", filename=path.name, content_disposition_type="inline"
    )


def _complete_task(
    request: Request,
    task_id: int,
    action: Callable[[], Case],
    *,
    done: str,
    reason: str,
    values: dict[str, str] | None = None,
) -> Response:
    """Run a gate action; on a domain error re-show the case page with the message and status."""
    try:
        case = action()
    except PermitsError as exc:
        with session_scope() as session:
            case_id = task_case_id(task_id, session=session)
        return render_case(
            request, case_id, error=str(exc), status_code=exc.http_status, values=values
        )
    case_id = case.id or 0
    flash(request, done)
    warning = resume_case(request, case_id, reason)
    if warning:
        flash(request, warning, "warning")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/tasks/{task_id}/verify")
def verify(
    request: Request, task_id: int, user: Staff, form: Annotated[FormData, Depends(read_form)]
) -> Response:
    corrections = {
        key.removeprefix(FIELD_PREFIX): value
        for key, value in form.items()
        if key.startswith(FIELD_PREFIX) and isinstance(value, str)
    }
    return _complete_task(
        request,
        task_id,
        lambda: verify_fields(task_id, corrections, actor=user.actor),
        done="Fields confirmed. The case moves on to the eligibility checks.",
        reason="fields-verified",
        values=corrections,
    )


@router.post("/tasks/{task_id}/decide")
def decide_task(
    request: Request,
    task_id: int,
    user: Staff,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _complete_task(
        request,
        task_id,
        lambda: decide(task_id, decision, reason, actor=user.actor),
        done=f"Decision recorded: {decision}. The letter is prepared next.",
        reason="decided",
    )
