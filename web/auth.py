"""Who is asking, and is the form really theirs: the signed session, staff lookup and CSRF tokens.

The session cookie (Starlette's ``SessionMiddleware``, signed with the settings' secret) holds only
the username and a CSRF token. The user is read from the database on every request, so a
deactivated account loses access at once instead of when its cookie expires.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request

from cases.access import Actor, authenticate, get_user
from cases.db import session_scope
from cases.errors import PermissionDenied
from cases.models import Role, User

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CsrfRejected",
    "LoginRequired",
    "StaffUser",
    "csrf_token",
    "log_in",
    "log_out",
    "require_admin",
    "require_csrf",
    "require_user",
    "safe_next",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_USER_KEY = "username"
_CSRF_KEY = "csrf"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    """Raised by :func:`require_user`; the app turns it into a redirect (pages) or a 401 (API)."""


class CsrfRejected(Exception):
    """A state-changing request without the session's token: likely forged by another site."""


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


def require_user(request: Request) -> StaffUser:
    """Dependency for every staff page and API route; also exposes the user to the templates."""
    username = request.session.get(_USER_KEY)
    user = None
    if isinstance(username, str):
        with session_scope() as session:
            user = get_user(session, username)
    if user is None or not user.active:
        request.session.pop(_USER_KEY, None)
        raise LoginRequired
    staff = _staff(user)
    request.state.user = staff
    return staff


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
    csrf_token(request)
    return _staff(user)


def log_out(request: Request) -> None:
    request.session.clear()


def safe_next(target: str | None) -> str:
    """Only follow a local path after login, never another site (open-redirect guard)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/inbox"
