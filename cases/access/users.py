"""Staff accounts: argon2-hashed passwords, roles, deactivation; every change is audited.

Accounts are never deleted (the audit trail names them): an account that should no longer work is
deactivated, which stops its logins and its open sessions at once (``web.auth`` re-reads the user
on every request). Each session cookie carries the user's session generation; logging out,
deactivation and a password change move it on (:func:`end_sessions`), so a copied cookie stops
working on the server too. Two guards keep the office administrable: nobody deactivates or demotes
themself (another admin does it, so nobody locks themself out by a slip), and the last active
admin cannot be deactivated or demoted.
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.errors import NotFound, PermitsError
from cases.models import AuditEvent, Role, User

__all__ = [
    "UserError",
    "authenticate",
    "change_password",
    "change_role",
    "create_user",
    "end_sessions",
    "get_user",
    "list_users",
    "set_active",
    "user_events",
]

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


class UserError(PermitsError):
    """A refused account change. The message is a ``%(name)s`` template with its values, so the
    web layer can show it translated (the templates are extracted for the gettext catalogue)."""

    http_status = 422

    def __init__(self, template: str, **values: object) -> None:
        self.template, self.values = template, values
        super().__init__(template % values if values else template)


class UnknownUser(UserError, NotFound):
    http_status = 404


class _Refused(UserError):
    """A change that would lock the office (or the admin making it) out of administration."""

    http_status = 409


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("a password needs at least %(n)s characters", n=MIN_PASSWORD_LENGTH)


def create_user(
    session: Session, *, username: str, password: str, role: Role, display_name: str, actor: str
) -> User:
    username = username.strip().lower()
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UserError("a username uses letters, digits, '-', '_' or '.' only")
    _check_password(password)
    if session.exec(select(User).where(User.username == username)).first():
        raise UserError("the username '%(name)s' is taken", name=username)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    append_event(
        session, actor=actor, action="user.created", payload={"username": username, "role": role}
    )
    return user


def get_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def list_users(session: Session) -> list[User]:
    """Every account, active or not, by username."""
    return list(session.exec(select(User).order_by(col(User.username))))


def _existing(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise UnknownUser("there is no user '%(name)s'", name=username)
    return user


def _keep_an_admin(session: Session, user: User, actor: str, change: str) -> None:
    """Refuse ``change`` when it is the actor's own account or takes away the last admin."""
    if user.username == actor:
        if change == "deactivate":
            raise _Refused("you cannot deactivate your own account; ask another admin to do it")
        raise _Refused("you cannot change the role of your own account; ask another admin to do it")
    if user.role != Role.ADMIN or not user.active:
        return
    # Locks the admin rows (PostgreSQL), so two admins demoting each other cannot both succeed.
    admins = session.exec(
        select(User).where(User.role == Role.ADMIN, col(User.active).is_(True)).with_for_update()
    ).all()
    if len(admins) <= 1:
        raise _Refused(
            "'%(name)s' is the last active admin; make another user admin first", name=user.username
        )


def _recorded(session: Session, user: User, actor: str, action: str, **details: Any) -> User:
    """Save a change to ``user`` and add it, with who made it, to the audit trail."""
    session.add(user)
    session.flush()
    append_event(
        session, actor=actor, action=action, payload={"username": user.username, **details}
    )
    return user


def change_role(session: Session, *, username: str, role: Role, actor: str) -> User:
    user = _existing(session, username)
    previous = Role(user.role)
    if previous == role:
        return user
    if previous == Role.ADMIN:  # the actor's own account is an admin's; so is the last admin's
        _keep_an_admin(session, user, actor, "change the role of")
    user.role = role
    return _recorded(session, user, actor, "user.role_changed", role=role, previous_role=previous)


def set_active(session: Session, *, username: str, active: bool, actor: str) -> User:
    """Deactivate (no more logins, open sessions end) or reactivate an account."""
    user = _existing(session, username)
    if user.active == active:
        return user
    if not active:
        _keep_an_admin(session, user, actor, "deactivate")
    user.active = active
    if not active:
        user.session_generation += 1
    return _recorded(session, user, actor, "user.reactivated" if active else "user.deactivated")


def change_password(session: Session, *, username: str, password: str, actor: str) -> User:
    """Set a new password; every open session of the account ends (its cookies stop working)."""
    user = _existing(session, username)
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    user.session_generation += 1
    return _recorded(session, user, actor, "user.password_changed")


def end_sessions(session: Session, *, username: str) -> None:
    """End every open session of the account (logging out): older cookies stop working.

    Not audited: logging out is routine, and the audit trail records what changed the office's
    records or accounts.
    """
    user = get_user(session, username)
    if user is not None:
        user.session_generation += 1
        session.add(user)
        session.flush()


def user_events(session: Session, *, limit: int = 20) -> list[AuditEvent]:
    """The latest changes to accounts from the audit trail, newest first: what, whose, by whom."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action).startswith("user."))
            .order_by(col(AuditEvent.seq).desc())
            .limit(limit)
        )
    )


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user when the password is right and the account is active; None otherwise."""
    user = get_user(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user is not None and user.active else None
