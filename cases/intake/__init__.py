"""Intake: what comes in. Each uploaded file is inspected (type, size, pages, pixels, decodable)
and its kind checked against the permit before anything is stored; the applicant's details are
checked; then the documents, the applicant and the acknowledgement are stored with the case in
one transaction.
"""

from __future__ import annotations

from cases.intake.applicant import (
    APPLICANT_PROBLEMS,
    ApplicantDetails,
    InvalidApplicant,
    check_applicant,
)
from cases.intake.inspection import (
    ACCEPTED,
    DOCUMENT_PROBLEMS,
    DocumentInfo,
    Upload,
    inspect_upload,
)
from cases.intake.submission import Submission, submit, submit_application

__all__ = [
    "ACCEPTED",
    "APPLICANT_PROBLEMS",
    "DOCUMENT_PROBLEMS",
    "ApplicantDetails",
    "DocumentInfo",
    "InvalidApplicant",
    "Submission",
    "Upload",
    "check_applicant",
    "inspect_upload",
    "submit",
    "submit_application",
]
