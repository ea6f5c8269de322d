"""The scheduled service-level sweep: one call into ``cases`` (remind once before due, escalate
once when overdue, give open cases without one a due date)."""

from __future__ import annotations

from prefect import flow
from prefect.logging import get_logger

from cases.service_levels import sweep_service_levels

__all__ = ["sweep_service_level_clocks"]


@flow(name="service-levels")
def sweep_service_level_clocks() -> dict[str, list[int]]:
    """Remind and escalate every task that is due once (a rerun does nothing twice)."""
    sweep = sweep_service_levels()
    outcome = {"due_set": sweep.due_set, "reminded": sweep.reminded, "escalated": sweep.escalated}
    if any(outcome.values()):
        get_logger("permits.service_levels").info("service levels: %s", outcome)
    return outcome
