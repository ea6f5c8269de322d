"""What the JSON API answers, as Pydantic models: FastAPI validates each answer against its model
and the OpenAPI document (``/api/openapi.json``) describes every route from them.

A query's own shape (``cases.queries.CaseSummary``) is answered as it is; these are the API's own.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from cases.lifecycle import CaseStatus
from cases.models import Role

__all__ = ["ApiError", "CreatedCase", "Health", "SessionInfo"]


class ApiError(BaseModel):
    """Every refusal (not logged in, no CSRF token, a bad file, an unknown case) says why."""

    error: str = Field(description="What went wrong, in a sentence a person can act on.")


class Health(BaseModel):
    status: str = Field(description='"ok", or "unavailable" (503) when a part below is down.')
    database: str | None = Field(
        None, description='"ok", or what is wrong (busy, unreachable) after a real query.'
    )
    orchestrator: str | None = Field(
        None, description='"ok", or why Prefect\'s API does not answer; absent when not used.'
    )
    documents: str | None = Field(
        None, description='"ok", or why the document store cannot take files (and what to do).'
    )


class SessionInfo(BaseModel):
    """Who is logged in, and the token to send as the X-CSRF-Token header of every POST."""

    username: str
    role: Role
    csrf_token: str


class CreatedCase(BaseModel):
    """The case just created from the uploaded files."""

    id: int
    reference: str
    status: CaseStatus
    access_code: str = Field(
        description="The applicant's code for the public status page; shown only here, never "
        "stored in clear."
    )
    warning: str | None = Field(
        None,
        description="Present when the case was stored but its processing could not be started "
        "yet (it starts by itself later).",
    )
