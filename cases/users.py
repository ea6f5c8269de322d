"""Staff accounts: argon2-hashed passwords, roles."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from cases.audit import append_event
from cases.errors import PermitsError
from cases.models import Role, User

__all__ = ["authenticate", "create_user", "get_user"]

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


class UserError(PermitsError):
    http_status = 422


def create_user(
    session: Session, *, username: str, password: str, role: Role, display_name: str, actor: str
) -> User:
    username = username.strip().lower()
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UserError("a username uses letters, digits, '-', '_' or '.' only")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.exec(select(User).where(User.username == username)).first():
        raise UserError(f"the username '{username}' is taken")
    user = User(
        username=username,
        display_name=display_name or username,
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


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = get_user(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user is not None and user.active else None
