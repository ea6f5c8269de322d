"""The decision gate: the proposal a person decides on, the decision, and four-eyes.

A gate is a row in ``approvaltask``; the flow run that created it ends, and the case waits in the
database for as long as it takes. Completing a task is a conditional update (``WHERE status =
'open'``), so a double-click or a second browser tab applies the decision once and the second
attempt gets a clear :class:`AlreadyDecided` instead of a second decision.

Four-eyes: when the permit's approval policy marks a decision ``four_eyes``, the first person's
decision does not decide the case. It is recorded and a second decide task (step 2) opens for the
policy's role; the first person cannot complete it. A second person who confirms the same decision
decides the case; one who decides otherwise makes a new first decision (which needs its own second
pair of eyes when the policy says so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from sqlmodel import Session, col, select

from cases.access import ROLE_RANK, Actor
from cases.audit import append_event
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.errors import InvalidInput
from cases.facts import Fact
from cases.gates import reasons
from cases.gates.tasks import close_task, create_task, get_task, open_task
from cases.lifecycle import CaseStatus, Stage, runs_in
from cases.models import ApprovalTask, Case, EligibilityResult, Review, Role, TaskKind
from cases.repository import get_case, transition
from cases.vocabulary import Decision, Outcome, parse_decision

__all__ = ["decide", "propose_decision"]


class Referral(Protocol):
    """A review finding that proposes referral to a senior officer (``cases.review`` says which:
    the gate comes before the review in the wings' order, so it is told, never asks)."""

    @property
    def code(self) -> str: ...
    @property
    def reviewer(self) -> str: ...
    @property
    def fact(self) -> Fact: ...


def _no_referrals(_review: Review | None) -> Sequence[Referral]:
    return ()


def propose_decision(
    case_id: int, referrals: Callable[[Review | None], Sequence[Referral]] = _no_referrals
) -> ApprovalTask | None:
    """Open the decision gate once the rules and the review are done (idempotent);
    ``referrals(review)`` names the review's findings that send the decision to a senior."""
    with session_scope() as session:
        case = get_case(session, case_id, for_update=True)
        if case.status not in runs_in(Stage.PROPOSE):
            return open_task(session, case_id, TaskKind.DECIDE)
        eligibility = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == case_id)
        ).one()
        review = session.exec(select(Review).where(Review.case_id == case_id)).first()
        policy = get_permit_type(case.permit_type).permit.approval_policy
        rule = policy.get(
            Decision.REFUSE if eligibility.outcome == Outcome.REFUSE else Decision.APPROVE
        )
        role = Role(rule.role) if rule else Role.CASEWORKER
        referral = list(referrals(review))
        if referral:
            role = _refer_to_senior(session, case, role, referral)
        task = create_task(
            session,
            case,
            TaskKind.DECIDE,
            reason=reasons.proposal(
                eligibility.ruleset_version,
                eligibility.trace.get("rules", []),
                review.risk if review else None,
                [f.fact for f in referral],
            ),
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


def _refer_to_senior(session: Session, case: Case, role: Role, referral: list[Referral]) -> Role:
    """The role the decision task needs when the review proposes referral: a senior caseworker,
    or the policy's role if that is higher; audited with the findings that asked for it."""
    senior = max(role, Role.SENIOR_CASEWORKER, key=lambda r: ROLE_RANK.get(r, 99))
    append_event(
        session,
        actor="system:proposer",
        action="decision.referred_to_senior",
        case_id=case.id,
        payload={
            "role": senior,
            "policy_role": role,
            "findings": [f.code for f in referral],
            "reviewers": sorted({f.reviewer for f in referral}),
        },
    )
    return senior


def decide(task_id: int, decision: Decision, reason: str, *, actor: Actor) -> Case:
    """Record a caseworker's decision. Refusal needs a reason; a second submission is refused.

    A second person confirming a refusal may leave the reason empty: the first one's stands.

    The case is DECIDED unless the policy wants four eyes on this decision and this is not the
    second person confirming it: then a step-2 task opens and the case keeps waiting.
    """
    reason = reason.strip()
    decision = parse_decision(decision)  # a caller that skipped parsing still gets a clear error
    with session_scope() as session:
        task = get_task(session, task_id, TaskKind.DECIDE)
        confirms = task.step == 2 and decision == task.first_decision
        if decision == Decision.REFUSE and not reason and not confirms:
            raise InvalidInput("A refusal needs a reason: it is quoted in the applicant's letter.")
        case = get_case(session, task.case_id, for_update=True)
        task = close_task(session, task_id, TaskKind.DECIDE, actor)
        task.decision, task.decision_reason = decision, reason or None
        session.add(task)
        rule = get_permit_type(case.permit_type).permit.approval_policy.get(decision)
        if rule is not None and rule.four_eyes and not confirms:
            _record_first_decision(session, case, task, decision, Role(rule.role), actor)
            return case
        _record_final_decision(session, case, task, decision, actor, confirms=confirms)
        return case


def _decision_payload(task: ApprovalTask, case: Case, actor: Actor) -> dict[str, object]:
    return {
        "task_id": task.id,
        "decision": task.decision,
        "proposed": case.proposed_outcome,
        "role": actor.role,
    }


def _decision_reason(task: ApprovalTask) -> dict[str, object] | None:
    """A person's free-text reason may name the applicant: kept beside the event, not in it."""
    return {"reason": task.decision_reason} if task.decision_reason else None


def _record_first_decision(
    session: Session, case: Case, task: ApprovalTask, decision: Decision, role: Role, actor: Actor
) -> None:
    append_event(
        session,
        actor=actor.username,
        action="decision.first_approval",
        case_id=case.id,
        payload=_decision_payload(task, case, actor),
        personal=_decision_reason(task),
    )
    create_task(
        session,
        case,
        TaskKind.DECIDE,
        reason=reasons.four_eyes(actor.username, decision, role, task.decision_reason),
        role=role,
        actor=actor.username,
        first_decision=(decision, actor.username),
    )


def _record_final_decision(
    session: Session,
    case: Case,
    task: ApprovalTask,
    decision: Decision,
    actor: Actor,
    *,
    confirms: bool,
) -> None:
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
        session,
        actor=actor.username,
        action="decision.recorded",
        case_id=case.id,
        payload=payload,
        personal=_decision_reason(task),
    )
    why = f"decision: {decision}" + (" (confirmed by a second person)" if confirms else "")
    transition(session, case, CaseStatus.DECIDED, actor=actor.username, why=why)


# --- request information from the applicant -----------------------------------------------------
