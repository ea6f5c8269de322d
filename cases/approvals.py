"""Human gates: the verification task for doubtful fields and the decision task.

A gate is a row in ``approvaltask``; the flow run that created it ends, and the case waits in the
database for as long as it takes. Completing a task is a conditional update (``WHERE status =
'open'``), so a double-click or a second browser tab applies the decision once and the second
attempt gets a clear :class:`AlreadyDecided` instead of a second decision.

Four-eyes: when the permit's approval policy marks a decision ``four_eyes``, the first person's
decision does not decide the case. It is recorded and a second decide task (step 2) opens for the
policy's role; the first person cannot complete it. A second person who confirms the same decision
decides the case; one who decides otherwise makes a new first decision (which needs its own second
pair of eyes when the policy says so).

Claims and the exactly-once completion of a task live in :mod:`cases.tasks`.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from cases.audit import append_event
from cases.casework import get_case, transition
from cases.catalogue import FieldSpec, get_permit_type
from cases.db import session_scope
from cases.errors import NotFound, PermitsError
from cases.explanation import summarise_rules
from cases.lifecycle import CaseStatus
from cases.models import (
    ApprovalTask,
    Case,
    EligibilityResult,
    ExtractedField,
    FieldStatus,
    InformationRequest,
    Review,
    Role,
    TaskKind,
    TaskStatus,
    utcnow,
)
from cases.tasks import (
    ROLE_RANK,
    Actor,
    claim_task,
    close_task,
    create_task,
    get_task,
    open_task,
    release_task,
    role_name,
)
from cases.validators import normalise_field

__all__ = [
    "ROLE_RANK",
    "Actor",
    "Decision",
    "InvalidInput",
    "claim_task",
    "create_task",
    "decide",
    "open_task",
    "propose_decision",
    "release_task",
    "request_information",
    "verify_fields",
]


class InvalidInput(PermitsError):
    http_status = 422


class Decision:
    APPROVE = "approve"
    REFUSE = "refuse"
    ALL = (APPROVE, REFUSE)


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
        checked = _checked_values(corrections, fields, {f.name: f for f in permit.all_fields})
        close_task(session, task_id, TaskKind.VERIFY_FIELDS, actor)
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
    corrections: dict[str, str], fields: dict[str, ExtractedField], specs: dict[str, FieldSpec]
) -> dict[str, str]:
    """Validate every submitted value; report all problems at once, by field."""
    problems: list[str] = []
    checked: dict[str, str] = {}
    for name, field in fields.items():
        text = corrections.get(name, field.value).strip()
        value, error = normalise_field(specs[name], text) if name in specs else (text, None)
        if error and (text or field.status == FieldStatus.FLAGGED):
            problems.append(f"{name}: {error}")
        checked[name] = value if value is not None else text
    unknown = sorted(set(corrections) - set(fields))
    problems.extend(f"{name}: not a field of this case" for name in unknown)
    if problems:
        # Built first: each problem names a field, so the message as a whole is not translated.
        message = "Please correct these fields: " + "; ".join(problems)
        raise InvalidInput(message)
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
    """E.g. ``Rule set 2026.1: 9 passed, 2 not applicable, 1 failed (FBL-7 refer); review risk
    low.`` A rule that did not apply is counted apart, not as passed."""
    summary = summarise_rules(eligibility.trace.get("rules", []))
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
    """Record a caseworker's decision. Refusal needs a reason; a second submission is refused.

    A second person confirming a refusal may leave the reason empty: the first one's stands.

    The case is DECIDED unless the policy wants four eyes on this decision and this is not the
    second person confirming it: then a step-2 task opens and the case keeps waiting.
    """
    reason = reason.strip()
    if decision not in Decision.ALL:
        raise InvalidInput(f"decision must be one of {', '.join(Decision.ALL)}, not '{decision}'")
    with session_scope() as session:
        task = get_task(session, task_id, TaskKind.DECIDE)
        confirms = task.step == 2 and decision == task.first_decision
        if decision == Decision.REFUSE and not reason and not confirms:
            raise InvalidInput("A refusal needs a reason: it is quoted in the applicant's letter.")
        case = get_case(session, task.case_id, for_update=True)
        task = close_task(session, task_id, TaskKind.DECIDE, actor)
        task.decision, task.decision_reason = decision, reason or None
        session.add(task)
        rule = get_permit_type(case.permit_type).permit.approval_policy.get(decision)  # type: ignore[call-overload]
        if rule is not None and rule.four_eyes and not confirms:
            _record_first_decision(session, case, task, Role(rule.role), actor)
            return case
        _record_final_decision(session, case, task, actor, confirms=confirms)
        return case


def _decision_payload(task: ApprovalTask, case: Case, actor: Actor) -> dict[str, object]:
    return {
        "task_id": task.id,
        "decision": task.decision,
        "proposed": case.proposed_outcome,
        "reason": task.decision_reason or "",
        "role": actor.role,
    }


def _record_first_decision(
    session: Session, case: Case, task: ApprovalTask, role: Role, actor: Actor
) -> None:
    decision = task.decision or ""
    append_event(
        session,
        actor=actor.username,
        action="decision.first_approval",
        case_id=case.id,
        payload=_decision_payload(task, case, actor),
    )
    note = f": {task.decision_reason}" if task.decision_reason else ""
    create_task(
        session,
        case,
        TaskKind.DECIDE,
        reason=f"Four-eyes: {actor.username} decided '{decision}'{note}. A second "
        f"{role_name(role)} confirms it or decides otherwise.",
        role=role,
        actor=actor.username,
        first_decision=(decision, actor.username),
    )


def _record_final_decision(
    session: Session, case: Case, task: ApprovalTask, actor: Actor, *, confirms: bool
) -> None:
    decision = task.decision or ""
    case.decided_outcome, case.decision_reason = decision, task.decision_reason
    if confirms and not task.decision_reason:
        # The letter quotes the reason: keep the first person's when the second adds none.
        first = session.exec(
            select(ApprovalTask)
            .where(
                ApprovalTask.case_id == case.id,
                ApprovalTask.kind == TaskKind.DECIDE,
                ApprovalTask.completed_by == task.first_decision_by,
                ApprovalTask.decision == decision,
            )
            .order_by(col(ApprovalTask.id).desc())
        ).first()
        case.decision_reason = first.decision_reason if first else None
    payload = _decision_payload(task, case, actor)
    if confirms:
        payload["second_approval_of"] = task.first_decision_by
    append_event(
        session, actor=actor.username, action="decision.recorded", case_id=case.id, payload=payload
    )
    why = f"decision: {decision}" + (" (confirmed by a second person)" if confirms else "")
    transition(session, case, CaseStatus.DECIDED, actor=actor.username, why=why)


# --- request information from the applicant -----------------------------------------------------


def request_information(task_id: int, what: str, due_on: dt.date, *, actor: Actor) -> Case:
    """Ask the applicant for something instead of deciding: the open gate task is cancelled."""
    what = what.strip()
    if not what:
        raise InvalidInput("Say what the applicant should send: it is shown to them.")
    if due_on <= utcnow().date():
        raise InvalidInput("The date the applicant has to answer by must be in the future.")
    with session_scope() as session:
        task = get_task(session, task_id)
        case = get_case(session, task.case_id, for_update=True)
        close_task(session, task_id, None, actor, status=TaskStatus.CANCELLED)
        request = InformationRequest(
            case_id=case.id or 0, what=what, due_on=due_on, requested_by=actor.username
        )
        session.add(request)
        session.flush()
        append_event(
            session,
            actor=actor.username,
            action="information.requested",
            case_id=case.id,
            payload={"task_id": task_id, "what": what, "due_on": due_on.isoformat()},
        )
        transition(
            session,
            case,
            CaseStatus.AWAITING_APPLICANT,
            actor=actor.username,
            why=f"information requested, due {due_on.isoformat()}",
        )
        return case
