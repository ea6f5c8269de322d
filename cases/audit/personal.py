"""Personal values audit events refer to, kept beside them (``AuditPersonal``): read back for
the case page, blanked by retention (the chain never covered them, only their salted digest)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from cases.facts import Message
from cases.models import AuditEvent, AuditPersonal, utcnow

__all__ = [
    "FINDING_REMOVED",
    "REMOVED_BY_RETENTION",
    "blank_personal",
    "readable_payload",
    "values_beside",
]

# Said where retention removed what a row or an event said (here, so every process that shows a
# case knows them, whether or not it ever ran a purge).
REMOVED_BY_RETENTION = Message(
    "removed_by_retention", "removed when the case's retention period ended (%(keys)s)"
)
FINDING_REMOVED = Message(
    "finding_removed",
    "a review finding (%(finding)s) whose details were removed when the case's retention "
    "period ended",
)


def values_beside(session: Session, events: Iterable[AuditEvent]) -> dict[int, AuditPersonal]:
    """The personal values kept beside these events, by event id."""
    ids = [e.id for e in events if e.id is not None and "personal" in e.payload]
    if not ids:
        return {}
    rows = session.exec(select(AuditPersonal).where(col(AuditPersonal.event_id).in_(ids)))
    return {row.event_id: row for row in rows}


def readable_payload(event: AuditEvent, row: AuditPersonal | None) -> dict[str, Any]:
    """The event's payload with its personal values back in place, or a note that retention
    removed them: what staff read on the case page."""
    payload = dict(event.payload)
    personal = payload.pop("personal", None)
    if personal is None:
        return payload
    if row is None or row.salt is None:
        keys = ", ".join(personal.get("keys", []))
        return payload | {"personal": REMOVED_BY_RETENTION(keys=keys)}
    return payload | row.values


def blank_personal(session: Session, case_id: int) -> int:
    """Blank the values (and salts) kept beside a case's events; how many rows were blanked."""
    rows = session.exec(
        select(AuditPersonal).where(
            AuditPersonal.case_id == case_id, col(AuditPersonal.salt).is_not(None)
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.values, row.salt, row.purged_at = {}, None, now
        session.add(row)
    return len(rows)
