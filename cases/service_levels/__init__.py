"""Service levels in working days: a case's due date and its paused clock, the office's closure
days that move open due dates, and the sweep that reminds before due and escalates when overdue
(with in-app notices to the holder)."""

from __future__ import annotations

from cases.service_levels.clock import (
    DueState,
    due_state,
    ensure_case_due,
    pause_clock,
    resume_clock,
)
from cases.service_levels.closures import ClosureAdded, add_closure_day, list_closure_days
from cases.service_levels.notices import mark_notice_read, unread_notices
from cases.service_levels.sweep import ServiceLevelSweep, sweep_service_levels

__all__ = [
    "ClosureAdded",
    "DueState",
    "ServiceLevelSweep",
    "add_closure_day",
    "due_state",
    "ensure_case_due",
    "list_closure_days",
    "mark_notice_read",
    "pause_clock",
    "resume_clock",
    "sweep_service_levels",
    "unread_notices",
]
