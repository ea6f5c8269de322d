"""Admin pages: the permit catalogue (versions, checks, inline tests), letter previews, users.

Every route needs an admin (``require_admin``: 403 for anyone else); the app-wide CSRF check covers
the forms. The catalogue pages show what ``permits catalogue check`` and ``permits rules test``
report, from :mod:`cases.authoring.report`; user changes go through :mod:`cases.access.users`, which
audits them. The pages, their flashes and the refusals from :mod:`cases.access.users` speak the
page's language (``use_language``); see ``_said``.

A letter preview is shown inline, not in an iframe: the app's security headers forbid framing
(``frame-ancestors 'none'``) and inline styles, so the letter's body is copied into the page through
an allowlist of tags and attributes (its ``<style>`` is dropped; the PDF shows the printed layout).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from cases.access import UserError, change_role, create_user, list_users, set_active, user_events
from cases.authoring import (
    LETTER_LANGUAGES,
    LETTER_OUTCOMES,
    LetterPreview,
    PermitReport,
    catalogue_report,
    letter_pdf,
    permit_report,
    preview_letter,
)
from cases.db import session_scope
from cases.errors import CatalogueProblem, PermitsError
from cases.models import Role, User
from cases.settings import get_settings
from web.auth import StaffUser, require_admin
from web.i18n import current_language, gettext_, humanised, pgettext_, use_language
from web.rendering import flash, render

router = APIRouter(prefix="/admin", dependencies=[Depends(require_admin), Depends(use_language)])
Admin = Annotated[StaffUser, Depends(require_admin)]
USERS = "/admin/users"


# --- catalogue -------------------------------------------------------------------------------


def _shown_path(path: Path) -> str:
    """A file as the admin finds it in the repository: ``rules/…`` or ``templates/letters/…``."""
    settings = get_settings()
    for base in (settings.catalogue_dir.parent, settings.letter_templates_dir.parent.parent):
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def _where(problem: CatalogueProblem) -> str:
    shown = _shown_path(problem.file)
    return f"{shown}:{problem.line}" if problem.line else shown


def _tested(passed: bool) -> str:
    """An inline test's result: 通過/不通過 in Chinese, where a rule's Passed/Failed is 符合/不符合
    (the case page), hence the msgctxt."""
    return pgettext_("inline test", "Passed") if passed else pgettext_("inline test", "Failed")


def _catalogue_context() -> dict[str, Any]:
    return {
        "shown_path": _shown_path,
        "where": _where,
        "tested": _tested,
        "outcomes": LETTER_OUTCOMES,
        "letter_languages": LETTER_LANGUAGES,
    }


@router.get("")
def catalogue_page(request: Request) -> HTMLResponse:
    report = catalogue_report()
    return render(request, "admin/catalogue.html", {**_catalogue_context(), "report": report})


@router.get("/permits/{permit_type}")
def permit_page(request: Request, permit_type: str) -> HTMLResponse:
    permit = permit_report(permit_type)
    return render(request, "admin/permit.html", {**_catalogue_context(), "permit": permit})


# --- letter previews -------------------------------------------------------------------------


class _LetterBody(HTMLParser):
    """The body of a rendered letter, keeping only harmless markup; headings move two levels
    down so that they sit under the page's own."""

    # fmt: off
    TAGS = frozenset({
        "p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "table", "thead", "tbody",
        "tfoot", "tr", "td", "th", "caption", "div", "span", "small", "hr", "blockquote",
        "address", "section", "sup", "sub", "h1", "h2", "h3", "h4", "h5", "h6",
    })
    DROPPED = frozenset({
        "head", "script", "style", "title", "template", "iframe", "object", "noscript", "svg",
        "math",
    })
    # fmt: on
    ATTRIBUTES = frozenset({"class", "lang", "dir", "colspan", "rowspan", "scope"})
    VOID = frozenset({"br", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    @staticmethod
    def _tag(tag: str) -> str:
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            return f"h{min(int(tag[1]) + 2, 6)}"
        return tag

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DROPPED:
            self.skipping += 1
        if self.skipping or tag not in self.TAGS:
            return
        kept = "".join(
            f' {name}="{escape(value or "")}"' for name, value in attrs if name in self.ATTRIBUTES
        )
        self.out.append(f"<{self._tag(tag)}{kept}>")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.DROPPED:
            self.skipping = max(self.skipping - 1, 0)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{self._tag(closing)}>")
            if closing == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def markup(self) -> Markup:
        self.close()
        closing = "".join(f"</{self._tag(tag)}>" for tag in reversed(self.open))
        return Markup("".join(self.out) + closing)  # only escaped text and allowlisted tags


def _letter_body(html: str) -> Markup:
    parser = _LetterBody()
    parser.feed(html)
    return parser.markup()


def _preview(
    permit_type: str, outcome: str, language: str
) -> tuple[PermitReport, LetterPreview | None]:
    permit = permit_report(permit_type)
    if permit.permit_type is None:  # its files do not load: the page lists why
        return permit, None
    return permit, preview_letter(permit.permit_type, outcome, language)


def _letter_response(
    request: Request,
    permit: PermitReport,
    outcome: str,
    language: str,
    preview: LetterPreview | None,
) -> HTMLResponse:
    """The preview page; 422 with each problem's file and line when the letter does not render."""
    letter = _letter_body(preview.html) if preview and preview.html is not None else None
    context = {
        **_catalogue_context(),
        "permit": permit,
        "outcome": outcome,
        "letter_language": language,
        "preview": preview,
        "problems": preview.problems if preview else permit.problems,
        "letter": letter,
    }
    return render(request, "admin/letter.html", context, 200 if letter is not None else 422)


@router.get("/permits/{permit_type}/letters/{outcome}")
def letter_page(
    request: Request, permit_type: str, outcome: str, language: str | None = None
) -> HTMLResponse:
    """The letter in the language asked for; at first, in the page's own (a Chinese page
    previews the Chinese letter)."""
    language = language or current_language()
    permit, preview = _preview(permit_type, outcome, language)
    return _letter_response(request, permit, outcome, language, preview)


@router.get("/permits/{permit_type}/letters/{outcome}/pdf", response_model=None)
def letter_pdf_download(
    request: Request, permit_type: str, outcome: str, language: str = "en"
) -> Response:
    permit, preview = _preview(permit_type, outcome, language)
    if preview is None or preview.html is None:
        return _letter_response(request, permit, outcome, language, preview)
    filename = f"{permit_type}-{outcome}.{language}.sample.pdf"
    return Response(
        letter_pdf(preview),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- users -----------------------------------------------------------------------------------


def _users_page(
    request: Request, session: Session, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context = {
        "users": list_users(session),
        "events": user_events(session, limit=20),
        "roles": list(Role),
        "form": {},
        **context,
    }
    return render(request, "admin/users.html", context, status_code=status_code)


@router.get("/users")
def users_page(request: Request) -> HTMLResponse:
    with session_scope() as session:
        return _users_page(request, session)


def _said(error: PermitsError) -> str:
    """A refusal in the page's language: :class:`UserError` carries its message's template."""
    if isinstance(error, UserError):
        template = gettext_(error.template)
        return template % error.values if error.values else template
    return gettext_(str(error))


def _change(request: Request, change: Callable[[Session], str], **context: Any) -> Response:
    """Make one change to the accounts; on success say what was done, else why it was not (the
    users page again, with the error's status, nothing written)."""
    try:
        with session_scope() as session:
            done = change(session)
    except PermitsError as exc:
        with session_scope() as session:
            return _users_page(request, session, exc.http_status, error=_said(exc), **context)
    flash(request, done)
    return RedirectResponse(USERS, status_code=303)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UserError("'%(value)s' is not a role", value=value) from None


def _role_name(user: User) -> str:
    return gettext_(humanised(user.role))


@router.post("/users", response_model=None)
def add_user(
    request: Request,
    admin: Admin,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
) -> Response:
    def add(session: Session) -> str:
        user = create_user(
            session,
            username=username,
            password=password,
            role=_role(role),
            display_name=display_name,
            actor=admin.username,
        )
        done = gettext_("User %(name)s added as %(role)s.")
        return done % {"name": user.username, "role": _role_name(user)}

    form = {"username": username, "display_name": display_name, "role": role}
    return _change(request, add, form=form)


@router.post("/users/{username}/role", response_model=None)
def change_user_role(
    request: Request, admin: Admin, username: str, role: Annotated[str, Form()]
) -> Response:
    def change(session: Session) -> str:
        user = change_role(session, username=username, role=_role(role), actor=admin.username)
        done = gettext_("%(name)s is now %(role)s.")
        return done % {"name": user.username, "role": _role_name(user)}

    return _change(request, change)


@router.post("/users/{username}/active", response_model=None)
def change_user_active(
    request: Request, admin: Admin, username: str, active: Annotated[bool, Form()]
) -> Response:
    def change(session: Session) -> str:
        user = set_active(session, username=username, active=active, actor=admin.username)
        if active:
            done = gettext_("%(name)s reactivated: they can log in again.")
        else:
            done = gettext_("%(name)s deactivated: they cannot log in.")
        return done % {"name": user.username}

    return _change(request, change)
