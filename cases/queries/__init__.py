"""Read-only queries behind the caseworker console and the JSON API: the inbox, the case file and
a case's summary.

They take the caller's ``session`` and never write, so a page render cannot change a case.
"""

from __future__ import annotations

from cases.queries.case_file import (
    CaseFile,
    FieldRow,
    case_document,
    case_file,
    case_letter,
    task_case_id,
)
from cases.queries.inbox import (
    DueFilter,
    InboxFilters,
    InboxItem,
    InboxPage,
    InboxSort,
    Queue,
    inbox,
    open_tasks,
    recent_cases,
)
from cases.queries.pages import FieldBox, IdentifiedPage, PageView, page_anchor, page_turn
from cases.queries.summary import CaseSummary, OpenTaskSummary, case_summary

__all__ = [
    "CaseFile",
    "CaseSummary",
    "DueFilter",
    "FieldBox",
    "FieldRow",
    "IdentifiedPage",
    "InboxFilters",
    "InboxItem",
    "InboxPage",
    "InboxSort",
    "OpenTaskSummary",
    "PageView",
    "Queue",
    "case_document",
    "case_file",
    "case_letter",
    "case_summary",
    "inbox",
    "open_tasks",
    "page_anchor",
    "page_turn",
    "recent_cases",
    "task_case_id",
]
