"""A permit's policy for requests for information the applicant does not answer (``permit.yaml``'s
``information_requests``), validated strictly like the rest of the file."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RequestPolicy"]


class RequestPolicy(BaseModel):
    """What happens to a request for information the applicant does not answer by its date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_days: Annotated[int, Field(ge=0, le=90)] = Field(
        7, description="Working days the applicant still has after the one reminder is sent."
    )
    on_no_answer: Literal["lapse", "refer"] = Field(
        "refer",
        description="lapse: the application is closed as withdrawn, with a lapse letter; "
        "refer: the case goes back to a caseworker with a task saying there was no answer.",
    )
