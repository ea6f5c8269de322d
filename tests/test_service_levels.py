"""Service levels in working days: Hong Kong holidays and closure days skipped, the clock paused
while the case waits for the applicant, one reminder before due and one escalation after."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlmodel import col, select

from cases.calendar import WorkingCalendar, end_of_office_day, office_date
from cases.db import session_scope
from cases.errors import InvalidInput
from cases.gates import NO_ANSWER, claim_task, create_task
from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, AuditEvent, Case, Role, StaffNotice, TaskKind
from cases.repository import get_case
from cases.service_levels import (
    add_closure_day,
    list_closure_days,
    pause_clock,
    resume_clock,
    sweep_service_levels,
)
from tests.conftest import Invoke
from tests.factories import CASEWORKER, FOOD, said

HK = dt.timezone(dt.timedelta(hours=8))
CALENDAR = WorkingCalendar()
_REFERENCES = itertools.count(1)


def hk(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment in Hong Kong, as the UTC the database stores."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=HK).astimezone(dt.UTC)


# --- the calendar (no database) ------------------------------------------------------------------


def test_chinese_new_year_2027_is_skipped() -> None:
    # 6 Feb (Sat) first day, 7 Feb (Sun) second, 8-9 Feb the third and fourth days (holidays)
    assert CALENDAR.add_working_days(dt.date(2027, 2, 5), 1) == dt.date(2027, 2, 10)
    assert CALENDAR.working_days_between(dt.date(2027, 2, 5), dt.date(2027, 2, 10)) == 1
    assert not CALENDAR.is_working_day(dt.date(2027, 2, 8))


def test_easter_2027_is_skipped() -> None:
    # Good Friday 26 Mar, the day following 27 Mar, Easter Monday 29 Mar
    assert CALENDAR.add_working_days(dt.date(2027, 3, 25), 1) == dt.date(2027, 3, 30)
    assert CALENDAR.working_days_between(dt.date(2027, 3, 25), dt.date(2027, 3, 30)) == 1


def test_counting_is_reversible_and_starts_after_a_holiday() -> None:
    start = dt.date(2027, 2, 6)  # a holiday: counting starts on the next working day
    assert CALENDAR.add_working_days(start, 1) == dt.date(2027, 2, 10)
    for n in range(40):
        end = CALENDAR.add_working_days(dt.date(2027, 1, 29), n)
        assert CALENDAR.working_days_between(dt.date(2027, 1, 29), end) == n
    assert CALENDAR.working_days_between(dt.date(2027, 2, 10), dt.date(2027, 2, 5)) == -1


def test_the_office_day_is_hong_kongs_not_utcs() -> None:
    # 23:30 on Thursday in Hong Kong is still Thursday; 00:30 on Friday is Friday, though both
    # are Thursday in UTC
    assert office_date(hk(2027, 2, 4, 23, 30)) == dt.date(2027, 2, 4)
    assert office_date(hk(2027, 2, 5, 0, 30)) == dt.date(2027, 2, 5)
    assert hk(2027, 2, 5, 0, 30).date() == dt.date(2027, 2, 4)
    assert end_of_office_day(dt.date(2027, 2, 5)) == dt.datetime(
        2027, 2, 5, 15, 59, 59, tzinfo=dt.UTC
    )


# --- due dates on cases and tasks ----------------------------------------------------------------


def _case(submitted: dt.datetime, status: CaseStatus = CaseStatus.AWAITING_DECISION) -> int:
    """A case of the food licence (30 working days) with an open decide task."""
    with session_scope() as session:
        case = Case(
            reference=f"SLA-{next(_REFERENCES):06d}",
            permit_type=FOOD,
            status=status,
            submitted_at=submitted,
        )
        session.add(case)
        session.flush()
        reason = NO_ANSWER(due_on="2027-01-01", grace_until="2027-01-08")
        create_task(session, case, TaskKind.DECIDE, reason=reason, role=Role.CASEWORKER, actor="t")
        return case.id or 0


def _due(case_id: int) -> tuple[dt.date, list[dt.date]]:
    """The case's due date and its tasks', as office dates."""
    with session_scope() as session:
        case = get_case(session, case_id)
        tasks = session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case_id)).all()
        assert case.due_at is not None
        return office_date(case.due_at), [office_date(t.due_at) for t in tasks if t.due_at]


def _events(case_id: int | None, action: str) -> list[AuditEvent]:
    with session_scope() as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        if case_id is not None:
            query = query.where(AuditEvent.case_id == case_id)
        return list(session.exec(query.order_by(col(AuditEvent.seq))))


@pytest.mark.usefixtures("db")
def test_due_dates_across_chinese_new_year() -> None:
    # 30 working days from Friday 29 Jan 2027 skip 6-9 Feb: 16 Mar (12 Mar without the holidays,
    # 28 Feb in calendar days)
    case_id = _case(hk(2027, 1, 29))
    assert _due(case_id) == (dt.date(2027, 3, 16), [dt.date(2027, 3, 16)])
    (event,) = _events(case_id, "service_level.due_set")
    assert said(event.payload["fact"]) == (
        "Due 2027-03-16: 30 working days from submission on 2027-01-29."
    )


@pytest.mark.usefixtures("db")
def test_due_dates_across_easter_and_tomb_sweeping_day() -> None:
    # from Monday 1 Mar 2027: Good Friday to Easter Monday and 5 Apr skipped
    assert _due(_case(hk(2027, 3, 1))) == (dt.date(2027, 4, 15), [dt.date(2027, 4, 15)])


@pytest.mark.usefixtures("db")
def test_a_submission_just_after_midnight_in_hong_kong_counts_from_that_day() -> None:
    before, after = _case(hk(2027, 2, 25, 23, 59)), _case(hk(2027, 2, 26, 0, 1))
    assert _due(before)[0] == dt.date(2027, 4, 13)  # from Thursday 25 Feb
    assert _due(after)[0] == dt.date(2027, 4, 14)  # from Friday 26 Feb (still the 25th in UTC)


# --- closure days --------------------------------------------------------------------------------


@pytest.mark.usefixtures("db")
def test_a_closure_day_moves_every_open_due_date_it_falls_inside_of_once() -> None:
    running = _case(hk(2027, 3, 1))  # due 15 Apr
    later = _case(hk(2027, 3, 11))  # submitted after the closure day
    closed = _case(hk(2027, 3, 1), status=CaseStatus.CLOSED)
    added = add_closure_day(dt.date(2027, 3, 10), " Typhoon signal 8 ", actor="admin")
    assert added.moved == [running]
    assert _due(running) == (dt.date(2027, 4, 16), [dt.date(2027, 4, 16)])
    assert _due(later)[0] == dt.date(2027, 4, 27)
    assert _due(closed)[0] == dt.date(2027, 4, 15)
    (moved,) = _events(running, "service_level.due_moved")
    assert said(moved.payload["fact"]) == (
        "The office was closed on 2027-03-10 (Typhoon signal 8): due date moved from 2027-04-15 "
        "to 2027-04-16."
    )
    assert _events(None, "calendar.closure_added")[0].payload == {
        "day": "2027-03-10",
        "reason": "Typhoon signal 8",
    }
    with pytest.raises(InvalidInput, match="already a closure day"):
        add_closure_day(dt.date(2027, 3, 10), "again", actor="admin")
    assert _due(running)[0] == dt.date(2027, 4, 16)
    assert len(_events(running, "service_level.due_moved")) == 1
    assert [(c.day, c.reason) for c in list_closure_days()] == [
        (dt.date(2027, 3, 10), "Typhoon signal 8")
    ]


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize(
    ("day", "reason", "message"),
    [
        (dt.date(2027, 3, 14), "typhoon", "2027-03-14 is a Sunday, not a working day already"),
        (dt.date(2027, 3, 26), "typhoon", r"public holiday \(Good Friday\)"),
        (dt.date(2027, 3, 10), "  ", "Say why the office closed"),
        (dt.date(2027, 3, 10), "x" * 501, "at most 500 characters"),
    ],
)
def test_a_closure_day_that_changes_nothing_is_refused(
    day: dt.date, reason: str, message: str
) -> None:
    case_id = _case(hk(2027, 3, 1))
    with pytest.raises(InvalidInput, match=message):
        add_closure_day(day, reason, actor="admin")
    assert list_closure_days() == []
    assert _due(case_id)[0] == dt.date(2027, 4, 15)


# --- the paused clock ----------------------------------------------------------------------------


@pytest.mark.usefixtures("db")
def test_five_working_days_waiting_for_the_applicant_move_the_due_date_five() -> None:
    case_id = _case(hk(2027, 3, 1))  # due 15 Apr
    with session_scope() as session:
        case = get_case(session, case_id)
        pause_clock(session, case, actor="t", now=hk(2027, 3, 3, 16))
    with session_scope() as session:
        case = get_case(session, case_id)
        fact = resume_clock(session, case, actor="t", now=hk(2027, 3, 10, 9))
    assert fact is not None
    assert said(fact) == (
        "Service-level clock resumed after 5 working days waiting for the applicant: due date "
        "moved from 2027-04-15 to 2027-04-22."
    )
    assert _due(case_id) == (dt.date(2027, 4, 22), [dt.date(2027, 4, 22)])
    assert [e.payload["fact"]["code"] for e in _events(case_id, "service_level.paused")] == [
        "clock_paused"
    ]


@pytest.mark.usefixtures("db")
def test_a_request_for_information_pauses_the_clock_and_the_answer_resumes_it() -> None:
    from cases.gates import refer_unanswered
    from cases.letters import request_information
    from cases.repository import open_request
    from tests.web.test_web import case_at_decision_gate

    case_id, task_id = case_at_decision_gate()
    before = _due(case_id)[0]
    today = office_date(dt.datetime.now(dt.UTC))
    request_information(task_id, "A clearer plan.", today + dt.timedelta(days=30), actor=CASEWORKER)
    paused_on = today
    while CALENDAR.working_days_between(paused_on, today) < 5:
        paused_on -= dt.timedelta(days=1)
    with session_scope() as session:  # as if the request went out five working days ago
        case = get_case(session, case_id, for_update=True)
        assert case.status == CaseStatus.AWAITING_APPLICANT
        assert case.clock_paused_at is not None
        case.clock_paused_at = end_of_office_day(paused_on)
        request = open_request(session, case_id)
        assert request is not None
        refer_unanswered(session, case, request, actor="t")
    expected = CALENDAR.add_working_days(before, 5)
    assert _due(case_id)[0] == expected
    assert _due(case_id)[1][-1] == expected  # the new task is due when the case is
    (resumed,) = _events(case_id, "service_level.resumed")
    assert resumed.payload["fact"]["waited"] == 5


# --- reminders and escalation --------------------------------------------------------------------


def _task(case_id: int) -> ApprovalTask:
    with session_scope() as session:
        return session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case_id)).one()


def _notices(username: str) -> list[str]:
    with session_scope() as session:
        rows = session.exec(
            select(StaffNotice)
            .where(StaffNotice.username == username)
            .order_by(col(StaffNotice.id))
        )
        return [said(notice.notice) for notice in rows]


@pytest.mark.usefixtures("db")
def test_a_reminder_once_before_due_and_an_overdue_task_escalated_once_not_twice() -> None:
    case_id = _case(hk(2027, 1, 29))  # due 16 Mar 2027
    task_id = _task(case_id).id or 0
    claim_task(task_id, actor=CASEWORKER)
    reference = get_reference(case_id)

    assert sweep_service_levels(hk(2027, 3, 12), reminder_days=1).reminded == []  # 2 days left
    assert sweep_service_levels(hk(2027, 3, 15), reminder_days=1).reminded == [task_id]
    again = sweep_service_levels(hk(2027, 3, 15, 18), reminder_days=1)
    assert (again.reminded, again.escalated) == ([], [])
    assert sweep_service_levels(hk(2027, 3, 16, 23, 59), reminder_days=1).escalated == []

    first = sweep_service_levels(hk(2027, 3, 18), reminder_days=1)
    second = sweep_service_levels(hk(2027, 3, 19), reminder_days=1)
    assert (first.escalated, second.escalated) == ([task_id], [])
    task = _task(case_id)
    assert task.required_role == Role.SENIOR_CASEWORKER
    assert task.escalated_from == CASEWORKER.username
    assert task.claimed_by is None  # a caseworker cannot work it in the senior queue
    assert _notices(CASEWORKER.username) == [
        f"Case {reference}: the task you hold is due 2027-03-16, 1 working days left.",
        f"Case {reference}: the task you held was overdue since 2027-03-16 and moved to the "
        "senior caseworkers' queue.",
    ]
    (escalated,) = _events(case_id, "task.escalated")
    assert said(escalated.payload["fact"]) == (
        "Overdue since 2027-03-16 (2 working days): moved from the caseworker queue to the "
        "senior caseworker queue."
    )
    assert escalated.payload["told"] == CASEWORKER.username
    assert len(_events(case_id, "task.reminded")) == 1


def get_reference(case_id: int) -> str:
    with session_scope() as session:
        return get_case(session, case_id).reference


# --- the commands and the scheduled flow ---------------------------------------------------------


@pytest.fixture
def admin(db: str) -> str:
    from cases.access import create_user

    with session_scope() as session:
        create_user(
            session,
            username="office.admin",
            password="a long enough passphrase 1",
            role=Role.ADMIN,
            display_name="Admin",
            actor="test",
        )
    return "office.admin"


def test_permits_calendar_close_and_list(cli: Invoke, admin: str) -> None:
    case_id = _case(hk(2027, 3, 1))
    closed = cli("calendar", "close", "2027-03-10", "--reason", "Black rainstorm", "--by", admin)
    assert closed.exit_code == 0, closed.output
    assert "2027-03-10 is a closure day (Black rainstorm); 1 open cases' due dates moved" in (
        closed.output
    )
    assert _due(case_id)[0] == dt.date(2027, 4, 16)
    listed = cli("calendar", "list", "--year", "2027")
    assert listed.exit_code == 0, listed.output
    assert "Black rainstorm" in listed.output
    assert "Good Friday" in listed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2027-03-14", "--by", "office.admin"), "is a Sunday, not a working day already"),
        (("10/3/2027", "--by", "office.admin"), "is not a date; write it as YYYY-MM-DD"),
        (("2027-03-10", "--by", "test.caseworker"), "is not an active admin account"),
    ],
)
def test_permits_calendar_close_refuses_with_a_message(
    cli: Invoke, admin: str, args: tuple[str, ...], message: str
) -> None:
    del admin
    result = cli("calendar", "close", args[0], "--reason", "typhoon", *args[1:])
    assert result.exit_code != 0
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert list_closure_days() == []


@pytest.mark.usefixtures("db")
def test_permits_sla_sweep_and_the_flow_escalate_once(cli: Invoke) -> None:
    from flows.service_levels import sweep_service_level_clocks

    case_id = _case(hk(2026, 1, 2))  # long overdue
    task_id = _task(case_id).id
    result = cli("sla", "sweep")
    assert result.exit_code == 0, result.output
    assert "0 tasks reminded, 1 tasks escalated to the senior queue" in " ".join(
        result.output.split()
    )
    assert sweep_service_level_clocks.fn() == {"due_set": [], "reminded": [], "escalated": []}
    assert _task(case_id).escalated_at is not None
    assert task_id is not None


# --- the request for information's deadline ------------------------------------------------------


@pytest.mark.usefixtures("db")
def test_a_request_due_on_a_day_the_office_is_closed_runs_to_the_next_working_day() -> None:
    from cases.letters import request_information
    from cases.models import InformationRequest, MessageKind, OutboxMessage
    from tests.web.test_web import case_at_decision_gate

    _case_id, task_id = case_at_decision_gate()
    sunday = dt.date.today() + dt.timedelta(days=20)
    while sunday.weekday() != 6:
        sunday += dt.timedelta(days=1)
    monday = sunday
    while not CALENDAR.is_working_day(monday):  # Monday, unless it is a holiday too
        monday += dt.timedelta(days=1)
    request_information(task_id, "A clearer plan.", sunday, actor=CASEWORKER)
    with session_scope() as session:
        asked = session.exec(select(InformationRequest)).one()
        message = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INFORMATION_REQUEST)
        ).one()
    assert asked.due_on == monday
    assert message.facts["due_on"] == monday.isoformat()  # what the applicant is told


@pytest.mark.usefixtures("db")
def test_a_request_due_on_a_closure_day_runs_to_the_next_working_day() -> None:
    from cases.letters import request_information
    from cases.models import InformationRequest
    from tests.web.test_web import case_at_decision_gate

    _case_id, task_id = case_at_decision_gate()
    due = CALENDAR.add_working_days(dt.date.today(), 10)
    request_information(task_id, "A clearer plan.", due, actor=CASEWORKER)
    add_closure_day(due, "Black rainstorm", actor="admin")
    with session_scope() as session:
        asked = session.exec(select(InformationRequest)).one()
    assert asked.due_on == CALENDAR.add_working_days(due, 1)
    (moved,) = _events(asked.case_id, "information.deadline_moved")
    assert said(moved.payload["fact"]) == (
        f"The office was closed on {due.isoformat()} (Black rainstorm), the last day to answer "
        f"the request for information: it now runs to {asked.due_on.isoformat()}."
    )
