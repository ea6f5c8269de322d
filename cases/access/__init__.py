"""Who may get in and what they may do: staff accounts and roles, applicants' access codes, and
the failed attempts that rate limits count.
"""

from __future__ import annotations

from cases.access.applicant_codes import (
    ApplicantStatus,
    LetterSent,
    WrongAccessCode,
    applicant_letter,
    applicant_status,
    case_for_code,
    issue_access_code,
)
from cases.access.roles import (
    READ_ONLY_ROLES,
    RELEASE_OTHERS,
    ROLE_RANK,
    Actor,
    role_name,
    workable_roles,
)
from cases.access.users import (
    MIN_PASSWORD_LENGTH,
    UnknownUser,
    UserError,
    authenticate,
    change_password,
    change_role,
    create_user,
    end_sessions,
    get_user,
    list_users,
    set_active,
    user_events,
)

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "READ_ONLY_ROLES",
    "RELEASE_OTHERS",
    "ROLE_RANK",
    "Actor",
    "ApplicantStatus",
    "LetterSent",
    "UnknownUser",
    "UserError",
    "WrongAccessCode",
    "applicant_letter",
    "applicant_status",
    "authenticate",
    "case_for_code",
    "change_password",
    "change_role",
    "create_user",
    "end_sessions",
    "get_user",
    "issue_access_code",
    "list_users",
    "role_name",
    "set_active",
    "user_events",
    "workable_roles",
]
