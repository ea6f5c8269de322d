"""The inbox query: queues, filters, due-date order, paging in the database, 100,000 cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel import select

from cases.access import Actor
from cases.db import session_scope
from cases.gates import claim_task
from cases.models import ApprovalTask, Case, Review, Role, TaskKind, TaskStatus
from cases.queries import DueFilter, InboxFilters, Queue, inbox

pytestmark = pytest.mark.usefixtures("db")

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
CASEY = Actor("casey", Role.CASEWORKER)
SENIOR = Actor("sam", Role.SENIOR_CASEWORKER)
AUDITOR = Actor("audrey", Role.AUDITOR)
PERMITS = ("food-business-licence", "street-trading")


def _seed(n: int, *, open_every: int = 1) -> None:
    """``n`` cases, each with a decide task (every ``open_every``-th open) and a review."""
    cases: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        submitted = NOW - dt.timedelta(days=i % 40)
        cases.append(
            {
                "id": i,
                "reference": f"T-{i:07d}",
                "permit_type": PERMITS[i % 2],
                "status": "awaiting_decision",
                "submitted_at": submitted,
                "updated_at": submitted,
            }
        )
        tasks.append(
            {
                "case_id": i,
                "kind": TaskKind.DECIDE if i % 3 else TaskKind.VERIFY_FIELDS,
                "status": TaskStatus.OPEN if i % open_every == 0 else TaskStatus.DONE,
                "reason": "test",
                "required_role": Role.SENIOR_CASEWORKER if i % 5 == 0 else Role.CASEWORKER,
                "created_at": submitted,
                "due_at": submitted + dt.timedelta(days=30),
                "step": 1,
            }
        )
        reviews.append(
            {
                "case_id": i,
                "reviewer": "t",
                "reviewer_version": "1",
                "inputs_hash": "x",
                "risk": ("low", "medium", "high")[i % 3],
                "findings": {},
                "created_at": submitted,
            }
        )
    with session_scope() as session:
        for table, rows in ((Case, cases), (ApprovalTask, tasks), (Review, reviews)):
            for start in range(0, len(rows), 10_000):
                session.execute(insert(table), rows[start : start + 10_000])


def _page(user: Actor = CASEY, **kwargs: Any) -> Any:
    page = kwargs.pop("page", 1)
    with session_scope() as session:
        return inbox(
            session=session,
            user=user,
            filters=InboxFilters(**kwargs),
            page=page,
            page_size=10,
            now=NOW,
        )


def test_team_queue_holds_what_my_role_may_do_most_urgent_first() -> None:
    _seed(30)
    page = _page()
    assert page.counts == {Queue.MINE: 0, Queue.TEAM: 24, Queue.ALL: 30}
    assert page.total == 24
    assert page.pages == 3
    dues = [item.task.due_at for item in page.items]
    assert dues == sorted(dues)
    assert all(item.task.required_role == Role.CASEWORKER for item in page.items)
    senior = _page(SENIOR)
    assert senior.counts[Queue.TEAM] == 30  # a senior does a caseworker's work too
    assert _page(AUDITOR).counts[Queue.TEAM] == 0


def test_pages_do_not_overlap_and_cover_the_queue() -> None:
    _seed(30)
    seen = [item.task.id for p in (1, 2, 3) for item in _page(page=p).items]
    assert len(seen) == len(set(seen)) == 24
    assert _page(page=4).items == []


def test_filters_narrow_the_queue() -> None:
    _seed(30)
    food = _page(permit_type="food-business-licence")
    assert {item.case.permit_type for item in food.items} == {"food-business-licence"}
    assert food.total == 12
    verify = _page(queue=Queue.ALL, kind=TaskKind.VERIFY_FIELDS)
    assert verify.total == 10
    high = _page(queue=Queue.ALL, risk="high")
    assert high.total == 10
    assert {item.risk for item in high.items} == {"high"}
    overdue = _page(queue=Queue.ALL, due=DueFilter.OVERDUE)
    # due = submitted + 30 days, submitted = NOW - (i % 40) days: overdue when i % 40 > 30
    assert overdue.total == 0
    assert _page(queue=Queue.ALL, due=DueFilter.WEEK).total == 30 - 23


def test_overdue_tasks_are_marked_and_counted() -> None:
    _seed(3)
    with session_scope() as session:
        task = session.exec(select(ApprovalTask).where(ApprovalTask.case_id == 2)).one()
        task.due_at = NOW - dt.timedelta(hours=1)
        session.add(task)
    page = _page(queue=Queue.ALL)
    assert [item.overdue for item in page.items] == [True, False, False]
    assert page.overdue == 1
    assert _page(queue=Queue.ALL, due=DueFilter.OVERDUE).total == 1


def test_claimed_tasks_make_my_queue() -> None:
    _seed(4)
    with session_scope() as session:
        task_id = session.exec(select(ApprovalTask.id).where(ApprovalTask.case_id == 1)).one()
    assert task_id is not None
    claim_task(task_id, actor=CASEY)
    mine = _page(queue=Queue.MINE)
    assert mine.counts[Queue.MINE] == 1
    assert [item.task.claimed_by for item in mine.items] == ["casey"]
