"""Resuming the case flow after a person acts (upload, verification, decision).

The case's state is already committed when the flow is triggered, so an unreachable orchestrator
loses nothing: the scheduled sweep restarts any case that is ready to advance. The person is told
that, instead of seeing an error for an action that did succeed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import Request

__all__ = ["ORCHESTRATOR_DOWN", "Trigger", "default_trigger", "resume_case"]

Trigger = Callable[[int, str], object]

ORCHESTRATOR_DOWN = (
    "Saved. The workflow orchestrator could not be reached, so the case will be picked up "
    "automatically when it is back."
)

_log = logging.getLogger(__name__)


def default_trigger(case_id: int, reason: str) -> object:
    """Start the case flow through its Prefect deployment.

    Imported on first use: Prefect takes seconds to import, which the web app should not pay at
    start-up nor in tests that inject their own trigger.
    """
    from flows.deployments import start_case_flow

    return start_case_flow(case_id, reason=reason)


def resume_case(request: Request, case_id: int, reason: str) -> str | None:
    """Call the app's trigger; return a message for the person if it failed, else None."""
    trigger: Trigger = request.app.state.trigger
    try:
        trigger(case_id, reason)
    except Exception:
        _log.exception("could not start the case flow for case %s (%s)", case_id, reason)
        return ORCHESTRATOR_DOWN
    return None
