"""Intake: what comes in (an application, or an applicant's answer to a request). Each uploaded
file is inspected (type, size, pages, pixels, decodable) before anything is stored; then the
documents are stored and the case created (or the answer recorded) in one transaction.
"""

from __future__ import annotations

from cases.intake.answers import OTHER_DOCUMENT, AnswerRecorded, RequestNotOpen, answer_request
from cases.intake.inspection import ACCEPTED, DocumentInfo, Upload, inspect_upload
from cases.intake.submission import Submission, submit, submit_application

__all__ = [
    "ACCEPTED",
    "OTHER_DOCUMENT",
    "AnswerRecorded",
    "DocumentInfo",
    "RequestNotOpen",
    "Submission",
    "Upload",
    "answer_request",
    "inspect_upload",
    "submit",
    "submit_application",
]
