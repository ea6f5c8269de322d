"""The case lifecycle: exactly the moves in ALLOWED are possible, and every move is audited."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from cases.audit import verify_chain
from cases.db import session_scope
from cases.errors import TransitionNotAllowed
from cases.lifecycle import ALLOWED, OPEN_STATUSES, CaseStatus, check_transition
from cases.models import AuditEvent, Case
from cases.repository import transition

S = CaseStatus
PAIRS = list(itertools.product(CaseStatus, repeat=2))
ALLOWED_PAIRS = [(a, b) for a, b in PAIRS if b in ALLOWED[a]]
FORBIDDEN_PAIRS = [(a, b) for a, b in PAIRS if b not in ALLOWED[a]]


def _pair_id(pair: tuple[CaseStatus, CaseStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def test_every_status_has_an_entry_in_the_table() -> None:
    assert set(ALLOWED) == set(CaseStatus)


@pytest.mark.parametrize("pair", FORBIDDEN_PAIRS, ids=_pair_id)
def test_forbidden_transition_is_refused_naming_both_statuses(
    pair: tuple[CaseStatus, CaseStatus],
) -> None:
    current, target = pair
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(current, target)
    message = str(caught.value)
    assert f"from '{current.value}'" in message
    assert f"to '{target.value}'" in message


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=_pair_id)
def test_allowed_transition_passes(pair: tuple[CaseStatus, CaseStatus]) -> None:
    check_transition(*pair)


@pytest.mark.parametrize("terminal", [S.CLOSED, S.WITHDRAWN])
def test_closed_and_withdrawn_are_terminal(terminal: CaseStatus) -> None:
    assert ALLOWED[terminal] == frozenset()
    assert terminal not in OPEN_STATUSES
    for target in CaseStatus:
        with pytest.raises(TransitionNotAllowed, match="the case is finished"):
            check_transition(terminal, target)


def test_refusal_lists_where_the_case_may_go_instead() -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(S.SUBMITTED, S.DECIDED)
    assert "may go to: extracting, withdrawn" in str(caught.value)


def _new_case(reference: str) -> int:
    with session_scope() as session:
        case = Case(reference=reference, permit_type="food-business-licence")
        session.add(case)
        session.flush()
        assert case.id is not None
        return case.id


def _status_events(case_id: int) -> list[AuditEvent]:
    with session_scope() as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.case_id == case_id, AuditEvent.action == "case.status_changed")
                .order_by(AuditEvent.seq)
            )
        )


@pytest.mark.usefixtures("db")
def test_transition_records_an_audit_event_with_from_to_and_why() -> None:
    case_id = _new_case("FBL-2026-900001")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        transition(session, case, S.EXTRACTING, actor="tester", why="starting extraction")
    with session_scope() as session:
        stored = session.get(Case, case_id)
        assert stored is not None
        assert stored.status == S.EXTRACTING
        assert verify_chain(session).ok
    (event,) = _status_events(case_id)
    assert event.actor == "tester"
    assert event.payload == {"from": "submitted", "to": "extracting", "why": "starting extraction"}


@pytest.mark.usefixtures("db")
def test_refused_transition_changes_nothing_and_records_nothing() -> None:
    case_id = _new_case("FBL-2026-900002")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        with pytest.raises(TransitionNotAllowed):
            transition(session, case, S.DECIDED, actor="tester", why="skipping ahead")
    with session_scope() as session:
        stored = session.get(Case, case_id)
        assert stored is not None
        assert stored.status == S.SUBMITTED
    assert _status_events(case_id) == []
