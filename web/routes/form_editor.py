"""The admin box editor: the blank form's pages with the boxes OCR reads, drawn and named by hand.

For a flat form (no widgets for ``permits forms import``) or a scanned blank. The page carries the
layout as JSON; ``/static/form_editor.js`` draws the boxes over the blank's pages and posts the
whole layout back (CSRF in the ``X-CSRF-Token`` header). The save is checked by
:func:`cases.authoring.form_editor.save_form_layout`: nothing is written while any box has a
problem, and each problem comes back naming its box and field, in the page's language.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from cases.authoring.blank_upload import MAX_BLANK_BYTES, blank_page_png, store_blank
from cases.authoring.form_check import BoxProblem, layout_problems
from cases.authoring.form_editor import (
    LayoutChanged,
    LayoutRejected,
    layout_file_sha256,
    save_form_layout,
)
from cases.catalogue import PermitType, load_permit_type
from cases.db import session_scope
from cases.errors import InvalidInput, NotFound
from cases.settings import get_settings
from web.auth import StaffUser, csrf_token, require_admin
from web.i18n import fact_text, gettext_, in_language, ngettext_, use_language
from web.rendering import flash, render

router = APIRouter(
    prefix="/admin/forms", dependencies=[Depends(require_admin), Depends(use_language)]
)
Admin = Annotated[StaffUser, Depends(require_admin)]
_TYPE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def _permit_type(permit_type: str) -> PermitType:
    """Read from its folder on every request: another process (or a save) may have changed it."""
    folder = get_settings().catalogue_dir / permit_type
    if not _TYPE_NAME.fullmatch(permit_type) or not (folder / "permit.yaml").is_file():
        raise NotFound(f"the catalogue has no permit type '{permit_type}'")
    return load_permit_type(folder)  # CatalogueError: the page lists the file and line


def _kinds() -> dict[str, str]:
    return {
        "text": gettext_("Text (one line)"),
        "comb": gettext_("Comb (one cell per character)"),
        "checkbox": gettext_("Checkbox"),
        "multiline": gettext_("Several lines"),
    }


def _said(problem: BoxProblem, permit_type: PermitType) -> dict[str, Any]:
    return {
        "box": problem.box,
        "field": problem.field,
        "message": fact_text(problem.fact, permit_type.id),
    }


def _editor_data(request: Request, permit_type: PermitType) -> dict[str, Any]:
    """What the script needs: the boxes, the pages, the permit's fields and the page's words."""
    form = permit_type.form
    version = (form.blank_sha256 or "")[:16]
    has_blank = permit_type.blank_form is not None and permit_type.blank_form.is_file()
    base = f"/admin/forms/{permit_type.id}"
    return {
        "save_url": base,
        "layout_sha256": layout_file_sha256(permit_type),
        "csrf": csrf_token(request),
        "boxes": [f.model_dump(exclude_none=True) for f in form.fields],
        "pages": [
            {
                "number": i,
                "width_mm": page.size_mm[0],
                "height_mm": page.size_mm[1],
                "image": f"{base}/pages/{i}.png?v={version}" if has_blank else None,
            }
            for i, page in enumerate(form.pages, start=1)
        ],
        "fields": [
            {"name": f.name, "label": in_language(f.label), "required": f.required}
            for f in permit_type.permit.fields
            if f.source == "application_form"
        ],
        "kinds": _kinds(),
        "words": {
            "unnamed": gettext_("(no field yet)"),
            "choose": gettext_("Choose a field"),
            "required": gettext_("required"),
            "all_placed": gettext_("Every required field has a box."),
            "saving": gettext_("Saving…"),
            "unsaved": gettext_("Changes not saved yet."),
            "failed": gettext_("The layout could not be sent. Check the connection and try again."),
            "show": gettext_("Show box"),
            "box": gettext_(
                "%(field)s, %(kind)s, page %(page)s: x %(x)s, y %(y)s, %(w)s × %(h)s mm"
            ),
            "added": gettext_(
                "Box added on page %(page)s. Arrow keys move it; Shift and an arrow key resize it."
            ),
            "removed": gettext_("Box removed."),
        },
    }


def _editor_page(
    request: Request, permit_type: PermitType, status_code: int = 200, **context: Any
) -> HTMLResponse:
    problems = layout_problems(permit_type.form, permit_type.permit)
    data = _editor_data(request, permit_type)
    return render(
        request,
        "admin/form_editor.html",
        {
            "pt": permit_type,
            "editor": data,
            "pages": data["pages"],
            "kinds": data["kinds"],
            "unplaced": [p.field for p in problems if not p.blocking],
            "has_blank": any(page["image"] for page in data["pages"]),
            "max_blank_mb": MAX_BLANK_BYTES // (1024 * 1024),
            **context,
        },
        status_code,
    )


@router.get("/{permit_type}")
def form_editor_page(request: Request, permit_type: str) -> HTMLResponse:
    return _editor_page(request, _permit_type(permit_type))


@router.get("/{permit_type}/pages/{page}.png")
def blank_page(permit_type: str, page: int) -> Response:
    png = blank_page_png(_permit_type(permit_type), page)
    # Rendered once per blank (cached by its hash on the server); every response is no-store
    # (web.middleware), the browser asks again.
    return Response(png, media_type="image/png")


def _json_error(message: str, status_code: int) -> JSONResponse:
    return JSONResponse({"saved": False, "message": message, "problems": []}, status_code)


@router.post("/{permit_type}", response_model=None)
async def save_form(request: Request, admin: Admin, permit_type: str) -> JSONResponse:
    """The whole layout as ``{"boxes": [...]}``; 200 when written, 422 with every problem."""
    current = _permit_type(permit_type)
    try:
        posted = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _json_error(gettext_("The layout sent is not JSON."), 400)
    boxes = posted.get("boxes") if isinstance(posted, dict) else None
    based_on = posted.get("based_on") if isinstance(posted, dict) else None
    try:
        with session_scope() as session:
            saved = save_form_layout(
                session,
                current,
                boxes,
                actor=admin.username,
                based_on=based_on if isinstance(based_on, str) else None,
            )
    except LayoutChanged:
        return _json_error(
            gettext_(
                "Another admin saved this form after you opened it, so nothing was saved. "
                "Reload the page to see their boxes, then make your changes again."
            ),
            409,
        )
    except LayoutRejected as exc:
        return JSONResponse(
            {
                "saved": False,
                "message": gettext_("Nothing was saved: fix the boxes listed and save again."),
                "problems": [_said(p, current) for p in exc.problems],
            },
            422,
        )
    said = ngettext_(
        "Saved %(n)s box to form.yaml.", "Saved %(n)s boxes to form.yaml.", saved.boxes
    )
    return JSONResponse(
        {
            "saved": True,
            "message": said % {"n": saved.boxes},
            "sha256": saved.sha256,
            "warnings": [_said(p, current) for p in saved.warnings],
        }
    )


@router.post("/{permit_type}/blank", response_model=None)
async def upload_blank(
    request: Request, admin: Admin, permit_type: str, blank: Annotated[UploadFile, File()]
) -> Response:
    current = _permit_type(permit_type)
    data = await blank.read(MAX_BLANK_BYTES + 1)
    try:
        with session_scope() as session:
            stored = store_blank(session, current, data, actor=admin.username)
    except InvalidInput as exc:  # its messages have no values: each is in the catalogue
        return _editor_page(request, current, exc.http_status, error=gettext_(str(exc)))
    done = ngettext_(
        "Blank form stored as form.pdf (%(n)s page). Draw its boxes below.",
        "Blank form stored as form.pdf (%(n)s pages). Draw its boxes below.",
        stored.pages,
    )
    flash(request, done % {"n": stored.pages})
    return RedirectResponse(f"/admin/forms/{current.id}", status_code=303)
