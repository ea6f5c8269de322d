"""Service levels on the pages: the inbox and the case page show due dates in working days and the
escalated mark, the holder of an escalated task finds a notice in their inbox, and an admin adds
a closure day on the working-days page; in English and Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.models import ApprovalTask, Case, Role, StaffNotice
from cases.service_levels import list_closure_days, sweep_service_levels
from tests.web.test_admin import post, text_of
from tests.web.test_web import TestClient, add_user, case_at_decision_gate, csrf, log_in


def _overdue_task_held_by(username: str) -> tuple[int, int]:
    """A case at the decision gate, its task claimed by ``username``, due long ago, swept."""
    case_id, task_id = case_at_decision_gate()
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        case = session.get(Case, case_id)
        assert task is not None
        assert case is not None
        past = dt.datetime(2026, 1, 5, 15, 59, 59, tzinfo=dt.UTC)
        task.due_at = case.due_at = past
        task.claimed_by = username
        session.add_all([task, case])
    sweep_service_levels()
    return case_id, task_id


def _choose(client: TestClient, language: str) -> None:
    client.post("/language", data={"lang": language, "next": "/inbox", "csrf_token": csrf(client)})


def test_the_holder_of_an_escalated_task_is_told_and_seniors_see_the_mark(
    caseworker: TestClient,
) -> None:
    case_id, task_id = _overdue_task_held_by("casey")
    page = text_of(caseworker.get("/inbox").text)
    assert "Notices for you" in page
    assert "the task you held was overdue since 2026-01-05 and moved to the senior" in page
    with session_scope() as session:
        notice = session.exec(select(StaffNotice)).one()
    response = post(caseworker, f"/notices/{notice.id}/read", next="/inbox")
    assert response.status_code == 303
    assert "Notices for you" not in caseworker.get("/inbox").text

    add_user("sam", Role.SENIOR_CASEWORKER)
    assert log_in(caseworker, "sam").status_code == 303
    inbox = text_of(caseworker.get("/inbox").text)
    assert "Overdue by" in inbox
    assert "working days" in inbox
    assert "Escalated" in inbox
    case_page = text_of(caseworker.get(f"/cases/{case_id}").text)
    assert "Service level 2026-01-05 Overdue by" in case_page
    assert "Escalated" in case_page
    refused = post(caseworker, f"/notices/{notice.id}/read", next="/inbox")
    assert refused.status_code == 404  # not sam's notice
    assert task_id


def test_due_dates_in_working_days_in_chinese(caseworker: TestClient) -> None:
    case_id, _task_id = case_at_decision_gate()
    _choose(caseworker, "zh-Hant")
    inbox = text_of(caseworker.get("/inbox").text)
    assert "個工作天" in inbox
    case_page = text_of(caseworker.get(f"/cases/{case_id}").text)
    assert "尚餘" in case_page


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    add_user("ada", Role.ADMIN)
    assert log_in(client, "ada").status_code == 303
    return client


def test_an_admin_adds_a_closure_day_and_a_sunday_is_refused(admin: TestClient) -> None:
    page = text_of(admin.get("/admin/calendar").text)
    assert "No closure days recorded." in page
    assert "Hong Kong general holidays" in page
    sunday = dt.date(2027, 3, 14)
    refused = post(admin, "/admin/calendar", day=sunday.isoformat(), reason="Typhoon")
    assert refused.status_code == 422
    assert "2027-03-14 is a Sunday, not a working day already" in text_of(refused.text)
    assert 'value="Typhoon"' in refused.text  # what the admin typed is kept
    assert post(admin, "/admin/calendar", day="", reason="Typhoon").status_code == 422
    added = post(admin, "/admin/calendar", day="2027-03-10", reason="Black rainstorm")
    assert added.status_code == 303
    page = text_of(admin.get("/admin/calendar").text)
    assert "2027-03-10 recorded as a closure day; 0 open cases' due dates moved." in page
    assert "Black rainstorm" in page
    assert [c.day for c in list_closure_days()] == [dt.date(2027, 3, 10)]
    _choose(admin, "zh-Hant")
    chinese = text_of(admin.get("/admin/calendar").text)
    assert "停止辦公日" in chinese
    assert "年香港公眾假期" in chinese
    assert "耶穌受難節" in chinese  # the holidays named in Chinese (Good Friday)


def test_only_an_admin_opens_the_working_days_page(caseworker: TestClient) -> None:
    assert caseworker.get("/admin/calendar").status_code == 403
    refused = post(caseworker, "/admin/calendar", day="2027-03-10", reason="Typhoon")
    assert refused.status_code == 403
    assert list_closure_days() == []
