"""``permits demo``: synthetic scanned applications submitted and followed to a gate or the end."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlmodel import select

from cases.access import Actor, create_user
from cases.catalogue import get_permit_type
from cases.db import read_scope, session_scope
from cases.documents import stored_location
from cases.errors import PermitsError
from cases.gates import decide, open_task, verify_fields
from cases.intake import Upload, submit_application
from cases.lifecycle import AUTOMATIC_STATUSES, CaseStatus
from cases.models import Letter, Role, TaskKind, User
from cases.processing_failures import gave_up_on
from cases.repository import get_case
from cases.vocabulary import Decision, Outcome
from cli.progress import Steps
from flows.deployments import start_case_flow
from tools.samples.applications import HANDS, generate_application

__all__ = ["DEMO_CASEWORKER", "CaseSummary", "ensure_demo_users", "run_demo"]

DEMO_CASEWORKER = "demo.caseworker"
DEMO_USERS = {
    DEMO_CASEWORKER: ("Demo Caseworker", Role.CASEWORKER, "caseworker-demo"),
    "demo.senior": ("Demo Senior Caseworker", Role.SENIOR_CASEWORKER, "senior-demo"),
    "demo.admin": ("Demo Admin", Role.ADMIN, "admin-demo"),
}
PERMIT_TYPE = "food-business-licence"


@dataclass
class CaseSummary:
    case_id: int
    reference: str
    status: str
    outcome: str | None
    letter_path: str | None
    seconds: float
    # why the demo could not take the case further (a gate it could not complete, a failed run)
    problem: str | None = None


def ensure_demo_users() -> dict[str, str]:
    """Create the demo accounts once (development only); return username -> password."""
    with session_scope() as session:
        for username, (name, role, password) in DEMO_USERS.items():
            if session.exec(select(User).where(User.username == username)).first() is None:
                create_user(
                    session,
                    username=username,
                    password=password,
                    role=role,
                    display_name=name,
                    actor="system:demo",
                )
    return {username: password for username, (_, _, password) in DEMO_USERS.items()}


def _quiet(_what: str, _done: int, _total: int | None) -> None:
    """No one is watching (``permits up --demo``)."""


def submit_samples(count: int, *, seed: int, steps: Steps = _quiet) -> list[int]:
    permit_type = get_permit_type(PERMIT_TYPE)
    labels = {f.name: f.label.en for f in permit_type.permit.fields}
    case_ids: list[int] = []
    for i in range(count):  # typed and handwritten in turn, as applications arrive
        hand = list(HANDS)[i % len(HANDS)]
        sample = generate_application(permit_type.form, seed + i, labels=labels, hand=hand)
        case = submit_application(
            [
                Upload(f"form-{seed + i}.png", sample.form_png),
                Upload(f"id-{seed + i}.png", sample.id_card_png),
            ],
            permit_type_id=PERMIT_TYPE,
            actor="system:demo",
            channel="demo",
        )
        assert case.id is not None
        start_case_flow(case.id, reason="submitted")
        case_ids.append(case.id)
        steps("applications submitted", len(case_ids), count)
    return case_ids


def _settled(case_id: int) -> bool:
    """At a gate, finished, or in the operator queue (the audit trail says why). A case whose run
    failed fewer than ``max_failed_runs`` times is not settled: the sweep starts it again (a
    killed OCR worker or runner costs a retry, not the case)."""
    with read_scope() as session:
        status = CaseStatus(get_case(session, case_id).status)
        return status not in AUTOMATIC_STATUSES or gave_up_on(session, case_id)


def wait_until_settled(
    case_ids: list[int], *, timeout: float, steps: Steps = _quiet, round_: int = 1
) -> None:
    """Wait until no case is in a status the flow advances by itself."""
    deadline = time.monotonic() + timeout
    what = f"cases at a gate or done (round {round_})"
    while time.monotonic() < deadline:
        settled = sum(_settled(case_id) for case_id in case_ids)
        steps(what, settled, len(case_ids))
        if settled == len(case_ids):
            return
        time.sleep(1)


def _start_flow(case_id: int, reason: str) -> object:
    return start_case_flow(case_id, reason=reason)


def approve_gates(
    case_ids: list[int], problems: dict[int, str], start: Callable[[int, str], object] = _start_flow
) -> list[int]:
    """Act as the demo caseworker on every open gate; return the cases that were moved on.

    A case that cannot be taken further (a misread date that cannot be confirmed as read) is
    noted in ``problems`` and left at its gate; the others go on.
    """
    moved: list[int] = []
    for case_id in case_ids:
        if case_id in problems:
            continue
        try:
            reason = _complete_gate(case_id)
        except PermitsError as exc:
            problems[case_id] = str(exc)
            continue
        if reason is not None:
            # A busy database or orchestrator: the gate's act is saved and the resume sweep
            # starts the case, as it does for a lost trigger.
            with contextlib.suppress(Exception):
                start(case_id, reason)
            moved.append(case_id)
    return moved


def _complete_gate(case_id: int) -> str | None:
    """Complete the case's open gate as the demo caseworker and say what was done (the reason
    the flow is started for, so its event says so); None when no gate is open."""
    actor = Actor(DEMO_CASEWORKER, Role.CASEWORKER)
    with session_scope() as session:
        verify = open_task(session, case_id, TaskKind.VERIFY_FIELDS)
        decision = open_task(session, case_id, TaskKind.DECIDE)
        proposed = get_case(session, case_id).proposed_outcome
    if verify is not None and verify.id is not None:
        verify_fields(verify.id, {}, actor=actor)
        return "fields-verified"
    if decision is not None and decision.id is not None:
        outcome = Decision.REFUSE if proposed == Outcome.REFUSE else Decision.APPROVE
        # a decision the review referred to a senior is taken in the role the task asks for
        role = Role(decision.required_role) if decision.required_role else Role.CASEWORKER
        decide(
            decision.id,
            outcome,
            f"Demo caseworker accepted the proposal ({proposed}).",
            actor=Actor(DEMO_CASEWORKER, role),
        )
        return "decided"
    return None


def summarise(
    case_ids: list[int], started: float, problems: dict[int, str] | None = None
) -> list[CaseSummary]:
    summaries = []
    with session_scope() as session:
        for case_id in case_ids:
            case = get_case(session, case_id)
            letter = session.exec(select(Letter).where(Letter.case_id == case_id)).first()
            failed = gave_up_on(session, case_id)
            problem = (problems or {}).get(case_id) or (
                "processing failed; see the case's audit trail" if failed else None
            )
            summaries.append(
                CaseSummary(
                    case_id,
                    case.reference,
                    f"{case.status} (processing failed; see the case's audit trail)"
                    if failed
                    else case.status,
                    case.decided_outcome or case.proposed_outcome,
                    stored_location(letter.pdf_path) if letter else None,
                    round(time.monotonic() - started, 1),
                    problem,
                )
            )
    return summaries


def run_demo(
    count: int,
    *,
    approve_all: bool,
    seed: int = 1000,
    timeout: float = 900,
    steps: Steps = _quiet,
) -> list[dict[str, object]]:
    started = time.monotonic()
    case_ids = submit_samples(count, seed=seed, steps=steps)
    wait_until_settled(case_ids, timeout=timeout, steps=steps)
    problems: dict[int, str] = {}
    # A verified case comes back to the decision gate, so approving can take two rounds.
    for n in range(3 if approve_all else 0):
        if not approve_gates(case_ids, problems):
            break
        wait_until_settled(case_ids, timeout=timeout, steps=steps, round_=n + 2)
    return [asdict(s) for s in summarise(case_ids, started, problems)]
