"""Failed processing: what the audit trail says about a case's failed runs, the operator queue of
cases whose runs keep failing, and an admin's retry.

A failed or crashed run appends ``processing.failed`` (run id, error). Failures count since the
case last moved (``Case.updated_at``); after ``max_failed_runs`` of them the resume sweep leaves
the case alone and it waits in the operator queue. A retry is a move: it sets ``updated_at`` (the
count starts again) and appends ``processing.retried``, under the case's row lock, so a second
click finds nothing to retry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from cases.audit import append_event, readable_payload, values_beside
from cases.db import session_scope
from cases.errors import PermitsError
from cases.lifecycle import AUTOMATIC_STATUSES
from cases.models import AuditEvent, Case, utcnow
from cases.repository import get_case, get_case_by_reference
from cases.settings import get_settings

__all__ = [
    "FailedCase",
    "NotAwaitingRetry",
    "failed_cases",
    "failure_error",
    "failures_since_last_move",
    "gave_up_on",
    "record_failure",
    "retry_case",
]


class NotAwaitingRetry(PermitsError):
    """The case is not in the operator queue (retried already, or it has moved on)."""

    http_status = 409

    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(
            f"case {reference} is not waiting for a retry (it was retried already or has moved "
            "on); nothing was done"
        )


@dataclass(frozen=True)
class FailedCase:
    case_id: int
    reference: str
    status: str
    tries: int
    last_error: str
    last_failed_at: dt.datetime


def record_failure(case_id: int, *, run_id: str, message: str) -> None:
    """Note in the case's audit trail that a flow run failed, and why (shown on the case page)."""
    with session_scope() as session:
        append_event(
            session,
            actor="system:flow",
            action="processing.failed",
            case_id=case_id,
            payload={"flow_run_id": run_id},
            # an error may quote what a document said: kept beside the event (retention)
            personal={"error": message[:2000]},
        )


def failure_error(session: Session, event: AuditEvent) -> str:
    """The error a ``processing.failed`` event recorded (older events hold it in the payload)."""
    payload = readable_payload(event, values_beside(session, [event]).get(event.id or 0))
    return str(payload.get("error", ""))


def _failures(session: Session, case: Case) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.case_id == case.id,
                AuditEvent.action == "processing.failed",
                col(AuditEvent.at) >= case.updated_at,
            )
            .order_by(col(AuditEvent.seq))
        ).all()
    )


def failures_since_last_move(session: Session, case_id: int) -> int:
    return len(_failures(session, get_case(session, case_id)))


def gave_up_on(session: Session, case_id: int) -> bool:
    """Whether the sweep has stopped retrying the case (it waits for an operator)."""
    return failures_since_last_move(session, case_id) >= get_settings().max_failed_runs


def failed_cases(*, session: Session, limit: int = 50) -> list[FailedCase]:
    """The operator queue: cases in an automatic status whose runs failed too often."""
    threshold = get_settings().max_failed_runs
    counts = (
        select(AuditEvent.case_id, func.count().label("tries"))
        .join(Case, col(Case.id) == col(AuditEvent.case_id))
        .where(
            AuditEvent.action == "processing.failed",
            col(AuditEvent.at) >= col(Case.updated_at),
            col(Case.status).in_(list(AUTOMATIC_STATUSES)),
        )
        .group_by(col(AuditEvent.case_id))
        .having(func.count() >= threshold)
        .limit(limit)
    )
    found = []
    for case_id, tries in session.exec(counts).all():
        assert case_id is not None
        case = get_case(session, case_id)
        last = _failures(session, case)[-1]
        found.append(
            FailedCase(
                case_id,
                case.reference,
                str(case.status),
                int(tries),
                failure_error(session, last),
                last.at,
            )
        )
    return sorted(found, key=lambda row: row.last_failed_at, reverse=True)


def retry_case(*, reference: str | None = None, case_id: int | None = None, actor: str) -> Case:
    """Put a case out of the operator queue so its flow runs again; the caller starts the run."""
    with session_scope() as session:
        if reference is not None:
            case_id = get_case_by_reference(session, reference).id
        assert case_id is not None
        case = get_case(session, case_id, for_update=True)
        failures = _failures(session, case)
        if len(failures) < get_settings().max_failed_runs:
            raise NotAwaitingRetry(case.reference)
        append_event(
            session,
            actor=actor,
            action="processing.retried",
            case_id=case.id,
            payload={"tries": len(failures)},
            personal={"last_error": failure_error(session, failures[-1])},
        )
        case.updated_at = utcnow()
        session.add(case)
        return case
