"""Human gates: the verification task for doubtful fields and the decision task.

A gate is a row in ``approvaltask``; the flow run that created it ends, and the case waits in the
database for as long as it takes. Completing a task is a conditional update (``WHERE status =
'open'``), so a double-click or a second browser tab applies the decision once and the second
attempt gets a clear :class:`AlreadyDecided` instead of a second decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.casework import get_case, transition
from cases.catalogue import FieldType, get_permit_type
from cases.db import session_scope
from cases.errors import AlreadyDecided, NotFound, PermissionDenied, PermitsError
from cases.lifecycle import CaseStatus
from cases.models import (
    ApprovalTask,
    Case,
    EligibilityResult,
    ExtractedField,
    FieldStatus,
    Review,
    Role,
    TaskKind,
    TaskStatus,
    utcnow,
)
from cases.validators import normalise

__all__ = [
    "Actor",
    "Decision",
    "InvalidInput",
    "decide",
    "open_task",
    "propose_decision",
    "verify_fields",
]

ROLE_RANK = {Role.CASEWORKER: 1, Role.SENIOR_CASEWORKER: 2}


class InvalidInput(PermitsError):
    http_status = 422


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role


class Decision:
    APPROVE = "approve"
    REFUSE = "refuse"
    ALL = (APPROVE, REFUSE)


def open_task(session: Session, case_id: int, kind: TaskKind) -> ApprovalTask | None:
    return session.exec(
        select(ApprovalTask).where(
            ApprovalTask.case_id == case_id,
            ApprovalTask.kind == kind,
            ApprovalTask.status == TaskStatus.OPEN,
        )
    ).first()


def create_task(
    session: Session, case: Case, kind: TaskKind, *, reason: str, role: Role, actor: str
) -> ApprovalTask:
    permit = get_permit_type(case.permit_type).permit
    due = case.submitted_at + dt.timedelta(days=permit.service_level_days)
    task = ApprovalTask(
        case_id=case.id or 0, kind=kind, reason=reason, required_role=role, due_at=due
    )
    session.add(task)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="task.created",
        case_id=case.id,
        payload={"task_id": task.id, "kind": kind, "reason": reason, "role": role},
    )
    return task


def _claim(session: Session, task_id: int, kind: TaskKind, actor: Actor) -> ApprovalTask:
    """Check the actor may complete the task, then mark it done exactly once."""
    task = session.get(ApprovalTask, task_id)
    if task is None or task.kind != kind:
        raise NotFound(f"no {kind.replace('_', ' ')} task with id {task_id}")
    if ROLE_RANK.get(actor.role, 0) < ROLE_RANK.get(task.required_role, 99):
        raise PermissionDenied(
            f"this task needs the role '{task.required_role}' or higher; "
            f"your role is '{actor.role}'"
        )
    if task.status != TaskStatus.OPEN:
        raise AlreadyDecided(_already_done_message(task))
    result = session.execute(
        update(ApprovalTask)
        .where(col(ApprovalTask.id) == task_id, col(ApprovalTask.status) == TaskStatus.OPEN)
        .values(status=TaskStatus.DONE, completed_by=actor.username, completed_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(task)
        raise AlreadyDecided(_already_done_message(task))
    session.refresh(task)
    return task


def _already_done_message(task: ApprovalTask) -> str:
    when = task.completed_at.strftime("%Y-%m-%d %H:%M") if task.completed_at else "earlier"
    what = f"decided '{task.decision}'" if task.decision else "completed"
    return (
        f"This task was already {what} by {task.completed_by} at {when} UTC; nothing was changed."
    )


# --- verification gate --------------------------------------------------------------------------


def verify_fields(task_id: int, corrections: dict[str, str], *, actor: Actor) -> Case:
    """Record a person's check of the flagged fields: corrected values, the rest confirmed."""
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task is None:
            raise NotFound(f"no task with id {task_id}")
        case = get_case(session, task.case_id, for_update=True)
        permit = get_permit_type(case.permit_type).permit
        fields = {
            f.name: f
            for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id))
        }
        checked = _checked_values(corrections, fields, {f.name: f.type for f in permit.fields})
        _claim(session, task_id, TaskKind.VERIFY_FIELDS, actor)
        changed = _apply_verification(session, fields, checked, actor)
        append_event(
            session,
            actor=actor.username,
            action="fields.verified",
            case_id=case.id,
            payload={"task_id": task_id, "corrected": changed, "confirmed": sorted(checked)},
        )
        transition(
            session, case, CaseStatus.CHECKING, actor=actor.username, why="flagged fields verified"
        )
        return case


def _checked_values(
    corrections: dict[str, str], fields: dict[str, ExtractedField], types: dict[str, FieldType]
) -> dict[str, str]:
    """Validate every submitted value; report all problems at once, by field."""
    problems: list[str] = []
    checked: dict[str, str] = {}
    for name, field in fields.items():
        text = corrections.get(name, field.value).strip()
        value, error = normalise(types[name], text) if name in types else (text, None)
        if error and (text or field.status == FieldStatus.FLAGGED):
            problems.append(f"{name}: {error}")
        checked[name] = value if value is not None else text
    unknown = sorted(set(corrections) - set(fields))
    problems.extend(f"{name}: not a field of this case" for name in unknown)
    if problems:
        raise InvalidInput("Please correct these fields: " + "; ".join(problems))
    return checked


def _apply_verification(
    session: Session, fields: dict[str, ExtractedField], checked: dict[str, str], actor: Actor
) -> dict[str, dict[str, str]]:
    changed: dict[str, dict[str, str]] = {}
    now = utcnow()
    for name, field in fields.items():
        new_value = checked[name]
        if new_value != field.value:
            changed[name] = {"from": field.value, "to": new_value}
            if field.original_value is None:
                field.original_value = field.value
            field.value = new_value
        if field.status == FieldStatus.FLAGGED or name in changed:
            field.status = FieldStatus.VERIFIED
            field.verified_by = actor.username
            field.verified_at = now
        session.add(field)
    return changed


# --- decision gate ------------------------------------------------------------------------------


def _proposal_reason(eligibility: EligibilityResult, review: Review | None) -> str:
    rules = eligibility.trace.get("rules", [])
    failed = [r for r in rules if not r["passed"]]
    summary = (
        f"all {len(rules)} rules passed"
        if not failed
        else "failed: " + ", ".join(f"{r['rule_id']} ({r['outcome_if_failed']})" for r in failed)
    )
    risk = f"review risk {review.risk}" if review else "no review"
    return f"Rule set {eligibility.ruleset_version}: {summary}; {risk}."


def propose_decision(case_id: int) -> ApprovalTask | None:
    """Open the decision gate once the rules and the review are done (idempotent)."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        if case.status != CaseStatus.REVIEWING:
            return open_task(session, case_id, TaskKind.DECIDE)
        eligibility = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).one()
        review = session.exec(select(Review).where(Review.case_id == case_id)).first()
        policy = get_permit_type(case.permit_type).permit.approval_policy
        rule = policy.get("refuse" if eligibility.outcome == "refuse" else "approve")
        role = Role(rule.role) if rule else Role.CASEWORKER
        task = create_task(
            session,
            case,
            TaskKind.DECIDE,
            reason=_proposal_reason(eligibility, review),
            role=role,
            actor="system:proposer",
        )
        transition(
            session,
            case,
            CaseStatus.AWAITING_DECISION,
            actor="system:proposer",
            why=f"decision proposed ({eligibility.outcome}); waiting for a {role}",
        )
        return task


def decide(task_id: int, decision: str, reason: str, *, actor: Actor) -> Case:
    """Record a caseworker's decision. Refusal needs a reason; a second submission is refused."""
    reason = reason.strip()
    if decision not in Decision.ALL:
        raise InvalidInput(f"decision must be one of {', '.join(Decision.ALL)}, not '{decision}'")
    if decision == Decision.REFUSE and not reason:
        raise InvalidInput("A refusal needs a reason: it is quoted in the applicant's letter.")
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task is None:
            raise NotFound(f"no task with id {task_id}")
        case = get_case(session, task.case_id, for_update=True)
        task = _claim(session, task_id, TaskKind.DECIDE, actor)
        task.decision, task.decision_reason = decision, reason or None
        session.add(task)
        case.decided_outcome, case.decision_reason = decision, reason or None
        append_event(
            session,
            actor=actor.username,
            action="decision.recorded",
            case_id=case.id,
            payload={
                "task_id": task_id,
                "decision": decision,
                "proposed": case.proposed_outcome,
                "reason": reason,
                "role": actor.role,
            },
        )
        transition(
            session, case, CaseStatus.DECIDED, actor=actor.username, why=f"decision: {decision}"
        )
        return case
