"""Who is acting, and what each staff role may do at the gates."""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import Role

__all__ = ["READ_ONLY_ROLES", "RELEASE_OTHERS", "ROLE_RANK", "Actor", "role_name", "workable_roles"]


ROLE_RANK = {Role.CASEWORKER: 1, Role.SENIOR_CASEWORKER: 2}


# Roles that may read everything they are shown and change nothing (the web app refuses their
# every state-changing request).
READ_ONLY_ROLES = frozenset({Role.AUDITOR})


# Who may release a claim someone else holds.
RELEASE_OTHERS = frozenset({Role.SENIOR_CASEWORKER, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role


def role_name(role: str) -> str:
    return str(role).replace("_", " ")


def workable_roles(role: Role) -> list[Role]:
    """The task roles someone with ``role`` may complete (a senior does a caseworker's work)."""
    rank = ROLE_RANK.get(role, 0)
    return [r for r, needed in ROLE_RANK.items() if rank and needed <= rank]
