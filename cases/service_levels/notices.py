"""In-app notices to staff: what the service-level sweep told someone, until they mark it read."""

from __future__ import annotations

from sqlmodel import Session, col, select

from cases.db import session_scope
from cases.errors import NotFound
from cases.models import StaffNotice, utcnow

__all__ = ["mark_notice_read", "unread_notices"]


def unread_notices(*, session: Session, username: str, limit: int = 20) -> list[StaffNotice]:
    return list(
        session.exec(
            select(StaffNotice)
            .where(StaffNotice.username == username, col(StaffNotice.read_at).is_(None))
            .order_by(col(StaffNotice.id).desc())
            .limit(limit)
        )
    )


def mark_notice_read(notice_id: int, *, username: str) -> None:
    """Only the person told may dismiss their notice; a second click changes nothing."""
    with session_scope() as session:
        notice = session.get(StaffNotice, notice_id)
        if notice is None or notice.username != username:
            raise NotFound(f"no notice with id {notice_id} for you")
        if notice.read_at is None:
            notice.read_at = utcnow()
            session.add(notice)
