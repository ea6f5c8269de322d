"""Intake: what comes in (an application, or an applicant's answer to a request). Each uploaded
file is inspected (type, size, pages, pixels, decodable) and its kind checked against the permit
before anything is stored; the applicant's details are checked; then the documents, the applicant
and the acknowledgement are stored with the case (or the answer recorded) in one transaction. The
scanner drop box (``drop_box``) is one more way in: watched folders, one case per application.
"""

from __future__ import annotations

from cases.intake.answers import OTHER_DOCUMENT, AnswerRecorded, RequestNotOpen, answer_request
from cases.intake.applicant import (
    APPLICANT_PROBLEMS,
    ApplicantDetails,
    InvalidApplicant,
    check_applicant,
)
from cases.intake.drop_box import (
    CHANNEL,
    DropResult,
    ReasonLanguage,
    ScanReport,
    StartFlow,
    drop_box_root,
    process_drop,
    scan_drop_box,
)
from cases.intake.drop_folders import DropItem
from cases.intake.drop_reasons import DROP_UNKNOWN_PERMIT_TYPE
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
    "CHANNEL",
    "DOCUMENT_PROBLEMS",
    "DROP_UNKNOWN_PERMIT_TYPE",
    "OTHER_DOCUMENT",
    "AnswerRecorded",
    "ApplicantDetails",
    "DocumentInfo",
    "DropItem",
    "DropResult",
    "InvalidApplicant",
    "ReasonLanguage",
    "RequestNotOpen",
    "ScanReport",
    "StartFlow",
    "Submission",
    "Upload",
    "answer_request",
    "check_applicant",
    "drop_box_root",
    "inspect_upload",
    "process_drop",
    "scan_drop_box",
    "submit",
    "submit_application",
]
