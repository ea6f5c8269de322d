"""Intake: what comes in (an application, or an applicant's answer to a request). Each uploaded
file is inspected (type, size, pages, pixels, decodable) before anything is stored; then the
documents are stored and the case created (or the answer recorded) in one transaction. The scanner
drop box (``drop_box``) is one more way in: watched folders, one case per application.
"""

from __future__ import annotations

from cases.intake.answers import OTHER_DOCUMENT, AnswerRecorded, RequestNotOpen, answer_request
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
from cases.intake.inspection import ACCEPTED, DocumentInfo, Upload, inspect_upload
from cases.intake.submission import Submission, submit, submit_application

__all__ = [
    "ACCEPTED",
    "CHANNEL",
    "DROP_UNKNOWN_PERMIT_TYPE",
    "OTHER_DOCUMENT",
    "AnswerRecorded",
    "DocumentInfo",
    "DropItem",
    "DropResult",
    "ReasonLanguage",
    "RequestNotOpen",
    "ScanReport",
    "StartFlow",
    "Submission",
    "Upload",
    "answer_request",
    "drop_box_root",
    "inspect_upload",
    "process_drop",
    "scan_drop_box",
    "submit",
    "submit_application",
]
