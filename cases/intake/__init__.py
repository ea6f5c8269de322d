"""Intake: what comes in. Each uploaded file is inspected (type, size, pages, pixels, decodable)
before anything is stored; then the documents are stored and the case created in one transaction.
"""

from __future__ import annotations

from cases.intake.inspection import ACCEPTED, DocumentInfo, Upload, inspect_upload
from cases.intake.submission import Submission, submit, submit_application

__all__ = [
    "ACCEPTED",
    "DocumentInfo",
    "Submission",
    "Upload",
    "inspect_upload",
    "submit",
    "submit_application",
]
