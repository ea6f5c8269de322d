"""Who is asking, and is the form really theirs: the signed session, staff lookup and CSRF tokens.

The session cookie (Starlette's ``SessionMiddleware``, signed with the settings' secret) holds only
the username, the user's session generation and a CSRF token. The user is read from the database
on every request, so a deactivated account loses access at once instead of when its cookie
expires, and a cookie whose generation is behind the user's (after logging out, deactivation or a
password change) opens nothing: a copied cookie dies with the session it was copied from.

Read-only roles (auditors) are refused every state-changing request by one app-wide dependency,
:func:`refuse_read_only`, so a route added later is covered without remembering to check.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request

from cases.access import READ_ONLY_ROLES, Actor, authenticate, end_sessions, get_user
from cases.db import session_scope
from cases.errors import PermissionDenied
from cases.models import Role, User

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "OPEN_TO_READ_ONLY",
    "CsrfRejected",
    "LoginRequired",
    "ReadOnlyRole",
    "StaffUser",
    "csrf_token",
    "log_in",
    "log_out",
    "refuse_read_only",
    "require_admin",
    "require_csrf",
    "require_user",
    "safe_next",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_USER_KEY = "username"
_GENERATION_KEY = "generation"
_CSRF_KEY = "csrf"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The only state-changing requests a read-only role may make: its own session and language, and
# the applicants' public status look-up (which changes nothing but a failure count).
OPEN_TO_READ_ONLY = frozenset({"/login", "/logout", "/language", "/status"})


class LoginRequired(Exception):
    """Raised by :func:`require_user`; the app turns it into a redirect (pages) or a 401 (API)."""


class CsrfRejected(Exception):
    """A state-changing request without the session's token: likely forged by another site."""


class ReadOnlyRole(Exception):
    """A read-only role tried to change something; the app answers 403 in the reader's language."""

    def __init__(self, role: Role) -> None:
        super().__init__(role)
        self.role = role


@dataclass(frozen=True)
class StaffUser:
    username: str
    display_name: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role)

    @property
    def role_label(self) -> str:
        return self.role.replace("_", " ")


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (also before login, for the login form)."""
    token = request.session.get(_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[_CSRF_KEY] = token
    return token


async def require_csrf(request: Request) -> None:
    """App-wide dependency: every unsafe request carries the token, as a form field or header."""
    if request.method not in _UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = request.session.get(_CSRF_KEY)
    if not sent or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise CsrfRejected


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _staff(user: User) -> StaffUser:
    # The role column comes back from the database as a plain string.
    return StaffUser(user.username, user.display_name, Role(user.role))


def _session_user(request: Request) -> StaffUser | None:
    """The logged-in user of this request (read once), or None; a stale session is forgotten."""
    cached = getattr(request.state, "user", None)
    if isinstance(cached, StaffUser):
        return cached
    username = request.session.get(_USER_KEY)
    user = None
    if isinstance(username, str):
        with session_scope() as session:
            user = get_user(session, username)
    generation = request.session.get(_GENERATION_KEY)
    if user is None or not user.active or generation != user.session_generation:
        request.session.pop(_USER_KEY, None)
        request.session.pop(_GENERATION_KEY, None)
        return None
    staff = _staff(user)
    request.state.user = staff
    return staff


def require_user(request: Request) -> StaffUser:
    """Dependency for every staff page and API route; also exposes the user to the templates."""
    staff = _session_user(request)
    if staff is None:
        raise LoginRequired
    return staff


def refuse_read_only(request: Request) -> None:
    """App-wide dependency: a read-only role's unsafe request is refused (403), on every route
    but :data:`OPEN_TO_READ_ONLY`. Whoever is not logged in is left to the route's own check."""
    if request.method not in _UNSAFE_METHODS or request.url.path in OPEN_TO_READ_ONLY:
        return
    staff = _session_user(request)
    if staff is not None and staff.role in READ_ONLY_ROLES:
        raise ReadOnlyRole(staff.role)


def require_admin(request: Request) -> StaffUser:
    """Dependency for the admin pages: a logged-in admin, else 403 saying who may open them."""
    staff = require_user(request)
    if staff.role != Role.ADMIN:
        raise PermissionDenied(
            "Only administrators can open the admin pages (catalogue, letter previews, users). "
            "Ask an administrator if you need this."
        )
    return staff


def log_in(request: Request, username: str, password: str) -> StaffUser | None:
    """Check the password; on success start a fresh session (new CSRF token) for the user."""
    with session_scope() as session:
        user = authenticate(session, username, password)
    if user is None:
        return None
    request.session.clear()
    request.session[_USER_KEY] = user.username
    request.session[_GENERATION_KEY] = user.session_generation
    csrf_token(request)
    return _staff(user)


def log_out(request: Request) -> None:
    """End the session here and on the server: every cookie of it (copies too) stops working.

    The user's other sessions (another browser, a script) end as well: one generation per user.
    """
    staff = _session_user(request)
    if staff is not None:
        with session_scope() as session:
            end_sessions(session, username=staff.username)
    request.session.clear()


def safe_next(target: str | None) -> str:
    """Only follow a local path after login, never another site (open-redirect guard)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/inbox"
