"""The case page, its documents and letters, and the two human gates (verify fields, decide)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Annotated

import pypdfium2 as pdfium
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image
from starlette.datastructures import FormData

from cases.db import session_scope
from cases.documents import document_exists, pdf_render_scale, read_document, read_stored
from cases.errors import InvalidInput, NotFound, PermitsError
from cases.extraction import page_image
from cases.gates import answer_deadline, decide, proposed_answer_dates, verify_fields
from cases.letters import reissue_letter, request_information
from cases.lifecycle import CaseStatus
from cases.models import Case, Document
from cases.queries import case_document, case_file, case_letter, page_turn, task_case_id
from cases.review import mark_finding
from cases.settings import get_settings
from cases.vocabulary import parse_decision
from web.auth import StaffUser, require_user
from web.i18n import LANGUAGES, gettext_, humanised, use_language
from web.rendering import flash, render
from web.routes import read_form, stored_file
from web.service_levels import due_reader
from web.trigger import resume_case

router = APIRouter(dependencies=[Depends(require_user), Depends(use_language)])

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
        earliest, proposed = proposed_answer_dates(session)
        due_of = due_reader(session)
    context = {
        "file": file,
        "due_of": due_of,
        "error": error,
        "values": values or {},
        "tomorrow": earliest.isoformat(),
        "default_due": proposed.isoformat(),
    }
    return render(request, "case.html", context, status_code=status_code)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int) -> HTMLResponse:
    return render_case(request, case_id)


def _missing(what: str) -> NotFound:
    return NotFound(f"the stored file for {what} is missing; ask an administrator to restore it")


def _read(read: Callable[[str], bytes], key: str, what: str) -> bytes:
    try:
        return read(key)
    except FileNotFoundError:
        raise _missing(what) from None


@router.get("/cases/{case_id}/documents/{document_id}")
def document(case_id: int, document_id: int) -> Response:
    with session_scope() as session:
        doc = case_document(case_id, document_id, session=session)
    data = _read(read_document, doc.sha256, doc.filename)
    return stored_file(data, doc.media_type, doc.filename)


@router.get("/cases/{case_id}/documents/{document_id}/pages/{number}.png")
def document_page(case_id: int, document_id: int, number: int) -> Response:
    """A page as the PNG extraction read (PDFs rendered at its dpi, a page scanned upside down
    or sideways turned upright), so the OCR boxes drawn over it line up."""
    with session_scope() as session:
        doc = case_document(case_id, document_id, session=session)
        turn = page_turn(case_id, document_id, number, session=session)
    if not document_exists(doc.sha256):
        raise _missing(doc.filename)
    image = page_image(doc, number, turn) or _rendered_pdf_page(doc, number)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Response(buffer.getvalue(), media_type="image/png")  # no-store: web.middleware


def _rendered_pdf_page(doc: Document, number: int) -> Image.Image:
    """A typed PDF's page (text layer, no OCR) still has an image to show, at the extraction's
    dpi."""
    if doc.media_type != "application/pdf":
        raise NotFound(f"{doc.filename} has no page that can be shown")
    pdf = pdfium.PdfDocument(read_document(doc.sha256))
    try:
        page = pdf[number - 1]
        settings = get_settings()
        scale = pdf_render_scale(
            page.get_size(), settings.pdf_render_dpi, settings.max_image_pixels
        )
        rendered: Image.Image = page.render(scale=scale).to_pil()
        return rendered.convert("RGB")
    finally:
        pdf.close()


@router.get("/cases/{case_id}/letters/{letter_id}.pdf")
def letter(case_id: int, letter_id: int) -> Response:
    with session_scope() as session:
        found = case_letter(case_id, letter_id, session=session)
    data = _read(read_stored, found.pdf_path, f"letter {letter_id}")
    filename = f"{found.outcome}.{found.language}.v{found.version}.pdf"
    return stored_file(data, "application/pdf", filename)


@router.post("/cases/{case_id}/letters/reissue")
def reissue(
    request: Request,
    case_id: int,
    user: Staff,
    language: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Staff print a decision letter again, with a reason; the old version stays, superseded."""
    try:
        letter = reissue_letter(case_id, language, reason, actor=user.actor)
    except PermitsError as exc:
        return render_case(
            request,
            case_id,
            error=gettext_(str(exc)),
            status_code=exc.http_status,
            values={"reissue_language": language, "reissue_reason": reason},
        )
    message = gettext_(
        "Letter reissued in %(language)s as version %(version)d; the previous version is kept "
        "and the applicant is sent the new one."
    )
    flash(request, message % {"language": LANGUAGES[letter.language], "version": letter.version})
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


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
        return _refused(request, task_id, exc, values)
    return _done(request, case, done, reason)


def _refused(
    request: Request, task_id: int, exc: PermitsError, values: dict[str, str] | None = None
) -> HTMLResponse:
    with session_scope() as session:
        case_id = task_case_id(task_id, session=session)
    # Messages without values (InvalidInput's) are in the catalogue; others stay in English.
    message = gettext_(str(exc))
    return render_case(request, case_id, error=message, status_code=exc.http_status, values=values)


def _done(request: Request, case: Case, message: str, reason: str = "decided") -> Response:
    """Tell the person, resume the case flow, show the case page again."""
    case_id = case.id or 0
    flash(request, message)
    warning = resume_case(request, case_id, reason)
    if warning:
        flash(request, warning, "warning")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/findings/{index}")
def mark_review_finding(
    request: Request,
    case_id: int,
    index: int,
    user: Staff,
    verdict: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """A caseworker confirms or dismisses a finding; sent twice, the second changes nothing."""
    try:
        marked = mark_finding(case_id, index, verdict, reason, actor=user.actor)
    except PermitsError as exc:
        return render_case(request, case_id, error=gettext_(str(exc)), status_code=exc.http_status)
    message = gettext_("Finding marked %(verdict)s.")
    flash(request, message % {"verdict": gettext_(humanised(marked.verdict))})
    return RedirectResponse(f"/cases/{case_id}#finding-{index}", status_code=303)


@router.post("/tasks/{task_id}/verify")
def verify(
    request: Request, task_id: int, user: Staff, form: Annotated[FormData, Depends(read_form)]
) -> Response:
    corrections = {  # each value is one line (a value's box wraps; a pasted line break is a space)
        key.removeprefix(FIELD_PREFIX): " ".join(value.splitlines())
        for key, value in form.items()
        if key.startswith(FIELD_PREFIX) and isinstance(value, str)
    }
    return _complete_task(
        request,
        task_id,
        lambda: verify_fields(task_id, corrections, actor=user.actor),
        done=gettext_("Fields confirmed. The case moves on to the eligibility checks."),
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
    try:
        decided = parse_decision(decision)
        case = decide(task_id, decided, reason, actor=user.actor)
    except PermitsError as exc:
        return _refused(request, task_id, exc)
    if case.status != CaseStatus.DECIDED:  # four-eyes: the case waits for a second person
        message = gettext_(
            "First approval recorded: %(decision)s. The policy needs a second person's "
            "approval (four-eyes); the task is in the team's inbox."
        )
        flash(request, message % {"decision": gettext_(humanised(decided))})
        return RedirectResponse(f"/cases/{case.id}", status_code=303)
    message = gettext_("Decision recorded: %(decision)s. The letter is prepared next.")
    return _done(request, case, message % {"decision": gettext_(humanised(decided))})


@router.post("/tasks/{task_id}/request-info")
def request_info(
    request: Request,
    task_id: int,
    user: Staff,
    what: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
    document_kinds: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        try:
            due = dt.date.fromisoformat(due_on)
        except ValueError:
            raise InvalidInput("Give the date the applicant has to answer by.") from None
        with session_scope() as session:  # a closed day runs on to the next working day
            due = answer_deadline(session, due)
        case = request_information(
            task_id, what, due, actor=user.actor, document_kinds=document_kinds or []
        )
    except PermitsError as exc:
        return _refused(request, task_id, exc)
    message = gettext_("Information requested from the applicant, due %(date)s.")
    flash(request, message % {"date": due.isoformat()})
    return RedirectResponse(f"/cases/{case.id}", status_code=303)
