"""Scheduled retention and audit anchoring: each flow one call into ``cases``."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.logging import get_logger

from cases.audit import anchor_chain
from cases.retention import run_retention

__all__ = ["anchor_audit_trail", "purge_expired_cases"]


@flow(name="retention")
def purge_expired_cases() -> dict[str, Any]:
    """Purge every closed case whose retention period has ended (a rerun purges nothing twice),
    then anchor the audit chain head outside the database."""
    report = run_retention().as_json()
    if report["cases"]:
        get_logger("permits.retention").info("purged %d cases", len(report["cases"]))
    return report


@flow(name="audit-anchor")
def anchor_audit_trail() -> int | None:
    """Write the audit chain head, signed, to the append-only anchor file."""
    anchor = anchor_chain()
    return anchor.seq if anchor else None
