"""Admins see the cases whose runs kept failing in the inbox (error, when, tries) and retry one:
CSRF, admin role, audited, and a double click retries once."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.models import AuditEvent, Role
from tests.test_processing_failures import fail, make_case
from tests.web.test_web import TestClient, add_user, log_in, token_from


@pytest.fixture
def failed_case(client: TestClient) -> int:
    case_id = make_case("FBL-2026-90021")
    fail(case_id, 3)
    return case_id


def as_user(client: TestClient, username: str, role: Role) -> TestClient:
    add_user(username, role)
    assert log_in(client, username).status_code == 303
    return client


def retry(client: TestClient, case_id: int) -> int:
    token = token_from(client.get("/inbox").text)
    response = client.post(
        f"/cases/{case_id}/retry", data={"csrf_token": token}, follow_redirects=False
    )
    return response.status_code


def test_an_admin_sees_the_failed_case_with_its_error_and_tries(
    client: TestClient, failed_case: int
) -> None:
    page = as_user(client, "ada", Role.ADMIN).get("/inbox").text
    assert "Processing failed: 1 case waits for a retry" in page
    assert "FBL-2026-90021" in page
    assert "OSError: disk 2" in page  # the last failure's error
    assert f'action="/cases/{failed_case}/retry"' in page


def test_a_caseworker_neither_sees_nor_retries_it(client: TestClient, failed_case: int) -> None:
    page = as_user(client, "casey", Role.CASEWORKER).get("/inbox").text
    assert "Processing failed" not in page
    assert retry(client, failed_case) == 403


def test_a_retry_without_the_forms_token_is_refused(client: TestClient, failed_case: int) -> None:
    as_user(client, "ada", Role.ADMIN)
    response = client.post(f"/cases/{failed_case}/retry", follow_redirects=False)
    assert response.status_code == 403


def test_a_double_click_retries_once_and_the_second_is_told(
    client: TestClient, failed_case: int, calls: list[tuple[int, str]]
) -> None:
    as_user(client, "ada", Role.ADMIN)
    assert retry(client, failed_case) == 303
    assert retry(client, failed_case) == 303
    page = client.get("/inbox").text
    assert "was already retried or has moved on" in page
    assert "Processing failed" not in page
    assert calls == [(failed_case, "retried")]
    with session_scope() as session:
        retried = session.exec(
            select(AuditEvent).where(AuditEvent.action == "processing.retried")
        ).all()
    assert [event.actor for event in retried] == ["ada"]


def test_the_queue_is_shown_in_chinese(client: TestClient, failed_case: int) -> None:
    as_user(client, "ada", Role.ADMIN)
    client.cookies.set("lang", "zh-Hant")
    page = client.get("/inbox").text
    assert "處理失敗" in page
    assert "重試" in page
