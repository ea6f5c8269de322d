"""The scheduled sweep of requests for information past their date: one Prefect task that makes
one call into ``cases`` (remind once, then lapse or refer as the permit's policy says)."""

from __future__ import annotations

from prefect import flow
from prefect.logging import get_logger

from cases.letters import sweep_information_requests

__all__ = ["sweep_request_deadlines"]


@flow(name="request-deadlines")
def sweep_request_deadlines() -> dict[str, list[int]]:
    """Remind, lapse or refer every overdue request once (a rerun sends nothing twice)."""
    sweep = sweep_information_requests()
    outcome = {"reminded": sweep.reminded, "lapsed": sweep.lapsed, "referred": sweep.referred}
    if any(outcome.values()):
        get_logger("permits.deadlines").info("requests for information: %s", outcome)
    return outcome
