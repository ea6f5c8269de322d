"""Gate tasks: who may work one, claiming and releasing it, and closing it exactly once.

A task is completed by a conditional update (``WHERE status = 'open'`` and not claimed by someone
else), so a double-click or a second browser tab changes nothing the second time and gets a clear
:class:`AlreadyDecided` instead.

Claims: a caseworker may claim an open task so that colleagues do not work it at the same time.
While it is claimed, nobody else can complete it (the inbox and case page say who holds it); the
holder releases it, or a senior caseworker releases it for them (holiday, sickness). We chose a
hard lock over "decide anyway with a warning" because two people working one file in parallel is
exactly the duplicated, conflicting work claims exist to prevent, and a release is one click away.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from cases.access import RELEASE_OTHERS, ROLE_RANK, Actor, role_name
from cases.audit import append_event
from cases.db import session_scope
from cases.errors import AlreadyDecided, NotFound, PermissionDenied
from cases.facts import Fact
from cases.models import ApprovalTask, Case, Role, TaskKind, TaskStatus, utcnow
from cases.service_levels.clock import ensure_case_due
from cases.vocabulary import Decision

__all__ = [
    "check_may_work",
    "claim_task",
    "close_task",
    "create_task",
    "get_task",
    "open_task",
    "release_task",
]


def open_task(session: Session, case_id: int, kind: TaskKind) -> ApprovalTask | None:
    return session.exec(
        select(ApprovalTask).where(
            ApprovalTask.case_id == case_id,
            ApprovalTask.kind == kind,
            ApprovalTask.status == TaskStatus.OPEN,
        )
    ).first()


def create_task(
    session: Session,
    case: Case,
    kind: TaskKind,
    *,
    reason: Fact,
    role: Role,
    actor: str,
    first_decision: tuple[Decision, str] | None = None,
) -> ApprovalTask:
    """Open a gate task; ``first_decision`` (decision, username) makes it a four-eyes step 2."""
    due = ensure_case_due(session, case, actor=actor)  # a task is due when its case is
    task = ApprovalTask(
        case_id=case.id or 0, kind=kind, reason=reason, required_role=role, due_at=due
    )
    if first_decision:
        task.step = 2
        task.first_decision, task.first_decision_by = first_decision
    session.add(task)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="task.created",
        case_id=case.id,
        payload={
            "task_id": task.id,
            "kind": kind,
            "reason_code": reason["code"],
            "role": role,
            "step": task.step,
        },
        # the reason quotes what was read and what a person wrote: kept beside the event
        personal={"reason": reason},
    )
    return task


def get_task(session: Session, task_id: int, kind: TaskKind | None = None) -> ApprovalTask:
    task = session.get(ApprovalTask, task_id)
    if task is None or (kind is not None and task.kind != kind):
        what = kind.replace("_", " ") + " task" if kind else "task"
        raise NotFound(f"no {what} with id {task_id}")
    return task


def check_may_work(task: ApprovalTask, actor: Actor) -> None:
    """Role, four-eyes and claim checks shared by completing and claiming a task."""
    if ROLE_RANK.get(actor.role, 0) < ROLE_RANK.get(task.required_role, 99):
        raise PermissionDenied(
            f"this task needs the role '{task.required_role}' or higher; "
            f"your role is '{actor.role}'"
        )
    if task.status != TaskStatus.OPEN:
        raise AlreadyDecided(already_done_message(task))
    if task.first_decision_by == actor.username:
        raise PermissionDenied(
            f"Four-eyes rule: you made the first decision ('{task.first_decision}') on this "
            f"case, so a different {role_name(task.required_role)} must give the second "
            "approval."
        )
    if task.claimed_by and task.claimed_by != actor.username:
        raise PermissionDenied(claimed_message(task))


def claimed_message(task: ApprovalTask) -> str:
    return (
        f"{task.claimed_by} has claimed this task, so only they can complete it. Ask them to "
        "release it (a senior caseworker can release it for them)."
    )


def close_task(
    session: Session,
    task_id: int,
    kind: TaskKind | None,
    actor: Actor,
    status: TaskStatus = TaskStatus.DONE,
) -> ApprovalTask:
    """Check the actor may complete the task, then close it exactly once (``status``)."""
    task = get_task(session, task_id, kind)
    check_may_work(task, actor)
    result = session.execute(
        update(ApprovalTask)
        .where(
            col(ApprovalTask.id) == task_id,
            col(ApprovalTask.status) == TaskStatus.OPEN,
            col(ApprovalTask.claimed_by).is_(None)
            | (col(ApprovalTask.claimed_by) == actor.username),
        )
        .values(status=status, completed_by=actor.username, completed_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(task)
        if task.status == TaskStatus.OPEN:  # claimed by someone else in the meantime
            raise PermissionDenied(claimed_message(task))
        raise AlreadyDecided(already_done_message(task))
    session.refresh(task)
    return task


# --- claims -------------------------------------------------------------------------------------


def claim_task(task_id: int, *, actor: Actor) -> ApprovalTask:
    """Take a task so colleagues do not work it at the same time (idempotent for the holder)."""
    with session_scope() as session:
        task = get_task(session, task_id)
        check_may_work(task, actor)
        if task.claimed_by == actor.username:
            return task
        result = session.execute(
            update(ApprovalTask)
            .where(
                col(ApprovalTask.id) == task_id,
                col(ApprovalTask.status) == TaskStatus.OPEN,
                col(ApprovalTask.claimed_by).is_(None),
            )
            .values(claimed_by=actor.username, claimed_at=utcnow())
        )
        session.refresh(task)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            check_may_work(task, actor)  # raises: someone was quicker
        append_event(
            session,
            actor=actor.username,
            action="task.claimed",
            case_id=task.case_id,
            payload={"task_id": task_id},
        )
        return task


def release_task(task_id: int, *, actor: Actor) -> ApprovalTask:
    """Give a claimed task back to the team; a senior caseworker may release anyone's claim."""
    with session_scope() as session:
        task = get_task(session, task_id)
        holder = task.claimed_by
        if holder is None or task.status != TaskStatus.OPEN:
            return task
        if holder != actor.username and actor.role not in RELEASE_OTHERS:
            raise PermissionDenied(
                f"Only {holder}, who claimed this task, or a senior caseworker can release it."
            )
        task.claimed_by, task.claimed_at = None, None
        session.add(task)
        append_event(
            session,
            actor=actor.username,
            action="task.released",
            case_id=task.case_id,
            payload={"task_id": task_id, "held_by": holder},
        )
        return task


def already_done_message(task: ApprovalTask) -> str:
    when = task.completed_at.strftime("%Y-%m-%d %H:%M") if task.completed_at else "earlier"
    what = f"decided '{task.decision}'" if task.decision else "completed"
    return (
        f"This task was already {what} by {task.completed_by} at {when} UTC; nothing was changed."
    )
