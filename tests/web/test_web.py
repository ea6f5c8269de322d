"""The caseworker console and JSON API, through FastAPI's TestClient on both databases.

Cases are created with the real ``cases`` functions; the flow trigger is a recording stub, so no
Prefect server is needed (the end-to-end test drives the real one).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlmodel import func, select

import web.app as web_app
from cases.access import create_user
from cases.db import session_scope
from cases.errors import DatabaseNotMigrated
from cases.extraction.reasons import LOW_CONFIDENCE, verification_reason
from cases.gates import create_task
from cases.intake import Upload, submit_application
from cases.letters import issue_letters
from cases.lifecycle import CaseStatus
from cases.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    Document,
    ExtractedField,
    FieldStatus,
    Letter,
    Role,
    TaskKind,
    TaskStatus,
)
from cases.repository import get_case, transition
from tests.conftest import UseStore
from tests.factories import decided_case, letter_pdf, propose_from_checking
from tests.services import s3_objects, s3_settings
from web.app import create_app

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its test client; httpx still works. Drop this once the dev
    # dependencies bring httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PERMIT = "food-business-licence"
PASSWORD = "correct-horse-battery"
GOOD_VALUES = {
    "applicant_name": "CHAN Tai Man",
    "hkid": "A123456(3)",
    "phone": "91234567",
    "business_name": "Golden Noodle House",
    "premises_address": "Shop 3, G/F, 12 Nathan Road, Kowloon",
    "business_type": "Restaurant",
    "floor_area_m2": "80.0",
    "seating_capacity": "40",
    "hygiene_staff": "1",
    "fire_certificate_no": "FSD-2026-00042",
    "application_date": "2026-03-01",
    "id_card_name": "CHAN Tai Man",
    "id_card_number": "A123456(3)",
}
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- helpers -------------------------------------------------------------------------------------


def png(width: int = 320, height: int = 200) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def add_user(username: str, role: Role = Role.CASEWORKER) -> None:
    with session_scope() as session:
        create_user(
            session,
            username=username,
            password=PASSWORD,
            role=role,
            display_name=f"{username.title()} Officer",
            actor="test",
        )


def token_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    token = token_from(client.get("/login").text)
    response: httpx.Response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return response


def csrf(client: TestClient) -> str:
    return str(client.get("/api/session").json()["csrf_token"])


def submitted_case() -> int:
    case = submit_application(
        [Upload("form.png", png()), Upload("id-card.png", png(200, 120))],
        permit_type_id=PERMIT,
        actor="test",
        channel="test",
    )
    assert case.id is not None
    return case.id


def with_fields(case_id: int, status: CaseStatus, flagged: tuple[str, ...] = ()) -> None:
    """What extraction would have stored, then the case moved on as extraction would."""
    with session_scope() as session:
        case = get_case(session, case_id)
        case.application_date = dt.date(2026, 3, 1)
        for name, value in GOOD_VALUES.items():
            doubtful = name in flagged
            session.add(
                ExtractedField(
                    case_id=case_id,
                    name=name,
                    value=value,
                    confidence=0.3 if doubtful else 0.95,
                    status=FieldStatus.FLAGGED if doubtful else FieldStatus.ACCEPTED,
                    flag=LOW_CONFIDENCE(confidence=0.3, threshold=0.6) if doubtful else None,
                )
            )
        transition(session, case, CaseStatus.EXTRACTING, actor="test", why="test")
        transition(session, case, status, actor="test", why="test")
        if status == CaseStatus.AWAITING_VERIFICATION:
            create_task(
                session,
                case,
                TaskKind.VERIFY_FIELDS,
                reason=verification_reason(
                    [(name, LOW_CONFIDENCE(confidence=0.3, threshold=0.6)) for name in flagged],
                    total=len(GOOD_VALUES),
                ),
                role=Role.CASEWORKER,
                actor="t",
            )


def case_at_decision_gate() -> tuple[int, int]:
    """A case taken through the real eligibility, review and proposal stages."""
    case_id = submitted_case()
    with_fields(case_id, CaseStatus.CHECKING)
    return case_id, propose_from_checking(case_id)


def count(model: type, *where: Any) -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def decisions(case_id: int) -> int:
    return count(
        AuditEvent, AuditEvent.case_id == case_id, AuditEvent.action == "decision.recorded"
    )


def stored_case(case_id: int) -> Case:
    with session_scope() as session:
        return get_case(session, case_id)


# --- login ---------------------------------------------------------------------------------------


def test_pages_need_login(client: TestClient) -> None:
    response = client.get("/inbox?page=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Finbox%3Fpage%3D2"
    api = client.get("/api/cases/1")
    assert api.status_code == 401
    assert api.json() == {"error": "Log in first."}


def test_bad_password_is_refused(client: TestClient) -> None:
    add_user("casey")
    response = log_in(client, "casey", "wrong-password")
    assert response.status_code == 400
    assert "not right" in response.text
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_login_shows_the_user_and_sets_security_headers(client: TestClient) -> None:
    add_user("casey")
    response = log_in(client, "casey")
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    page = client.get("/inbox")
    assert page.status_code == 200
    assert "Casey Officer" in page.text
    assert "(caseworker)" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"


def test_login_follows_only_local_next(client: TestClient) -> None:
    add_user("casey")
    token = token_from(client.get("/login?next=//evil.example").text)
    response = client.post(
        "/login",
        data={"username": "casey", "password": PASSWORD, "csrf_token": token, "next": "//evil"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/inbox"


def test_logout_ends_the_session(caseworker: TestClient) -> None:
    token = token_from(caseworker.get("/inbox").text)
    caseworker.post("/logout", data={"csrf_token": token})
    assert caseworker.get("/inbox", follow_redirects=False).status_code == 303


# --- inbox and case page -------------------------------------------------------------------------


def test_inbox_lists_an_open_task(caseworker: TestClient) -> None:
    case_id, _task_id = case_at_decision_gate()
    page = caseworker.get("/inbox")
    reference = stored_case(case_id).reference
    assert f'href="/cases/{case_id}"' in page.text
    assert reference in page.text
    assert "Decide" in page.text
    assert "Proposed: <strong>approve</strong>" in page.text
    assert "Food Business Licence" in page.text


def test_inbox_highlights_overdue_tasks(caseworker: TestClient) -> None:
    _case_id, task_id = case_at_decision_gate()
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        assert task is not None
        task.due_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        session.add(task)
    assert "Overdue" in caseworker.get("/inbox").text


def test_case_page_shows_fields_rules_and_decision_forms(caseworker: TestClient) -> None:
    case_id, task_id = case_at_decision_gate()
    page = caseworker.get(f"/cases/{case_id}")
    assert page.status_code == 200
    for text in (
        "Name of applicant",
        "Golden Noodle House",
        "95%",
        "FBL-1",
        "Minimum floor area",
        "Cap. 132X, s. 33",
        "floor_area_m2 = 80",
        "Passed",
        "Risk: <strong>low</strong>",
        f'action="/tasks/{task_id}/decide"',
        "task.created",
    ):
        assert text in page.text


def test_unknown_case_is_a_404_page(caseworker: TestClient) -> None:
    page = caseworker.get("/cases/999999")
    assert page.status_code == 404
    assert "no case with id 999999" in page.text
    assert "Traceback" not in page.text


def test_document_is_served_only_with_its_case(caseworker: TestClient) -> None:
    case_id = submitted_case()
    other_case = submitted_case()
    with session_scope() as session:
        doc = session.exec(select(Document).where(Document.case_id == case_id)).first()
    assert doc is not None
    response = caseworker.get(f"/cases/{case_id}/documents/{doc.id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == png()
    assert caseworker.get(f"/cases/{other_case}/documents/{doc.id}").status_code == 404


def test_a_document_on_an_s3_store_is_served_as_from_the_data_folder(
    caseworker: TestClient, s3_endpoint: str, use_store: UseStore
) -> None:
    use_store(s3_settings(s3_endpoint, "web"))
    case_id = submitted_case()
    with session_scope() as session:
        doc = session.exec(
            select(Document).where(Document.case_id == case_id, Document.filename == "form.png")
        ).one()
    assert doc.sha256 in s3_objects(s3_endpoint, "web")

    response = caseworker.get(f"/cases/{case_id}/documents/{doc.id}")

    assert response.status_code == 200
    assert response.content == png()
    assert response.headers["content-disposition"] == f'inline; filename="{doc.filename}"'


def test_an_issued_letter_is_served_from_the_store_and_a_path_out_of_it_is_refused(
    caseworker: TestClient,
) -> None:
    case_id = decided_case()
    [letter] = issue_letters(case_id)
    assert letter is not None

    response = caseworker.get(f"/cases/{case_id}/letters/{letter.id}.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="approve.en.v1.pdf"' in response.headers["content-disposition"]
    assert response.content == letter_pdf(letter)

    with session_scope() as session:
        stored = session.get(Letter, letter.id)
        assert stored is not None
        stored.pdf_path = "../../../etc/passwd"
        session.add(stored)
    refused = caseworker.get(f"/cases/{case_id}/letters/{letter.id}.pdf")
    assert refused.status_code == 500
    assert "leads outside the data folder" in refused.text
    assert "Traceback" not in refused.text


# --- gates ---------------------------------------------------------------------------------------


def decide(client: TestClient, task_id: int, decision: str, reason: str = "") -> httpx.Response:
    response: httpx.Response = client.post(
        f"/tasks/{task_id}/decide",
        data={"decision": decision, "reason": reason, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    return response


def test_approval_is_recorded_and_resumes_the_flow(
    caseworker: TestClient, calls: list[tuple[int, str]]
) -> None:
    case_id, task_id = case_at_decision_gate()
    response = decide(caseworker, task_id, "approve", "all in order")
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case_id}"
    case = stored_case(case_id)
    assert case.status == CaseStatus.DECIDED
    assert case.decided_outcome == "approve"
    assert calls == [(case_id, "decided")]
    assert "Decision recorded: approve" in caseworker.get(f"/cases/{case_id}").text


def test_refusal_needs_a_reason(caseworker: TestClient, calls: list[tuple[int, str]]) -> None:
    case_id, task_id = case_at_decision_gate()
    response = decide(caseworker, task_id, "refuse", "   ")
    assert response.status_code == 422
    assert "A refusal needs a reason" in response.text
    assert decisions(case_id) == 0
    assert stored_case(case_id).status == CaseStatus.AWAITING_DECISION
    assert calls == []


def test_second_decision_is_refused_and_the_first_stands(
    caseworker: TestClient, calls: list[tuple[int, str]]
) -> None:
    case_id, task_id = case_at_decision_gate()
    assert decide(caseworker, task_id, "approve").status_code == 303
    second = decide(caseworker, task_id, "approve")
    assert second.status_code == 409
    assert "already decided" in second.text
    assert decisions(case_id) == 1
    assert calls == [(case_id, "decided")]


def test_post_without_csrf_token_is_forbidden(caseworker: TestClient) -> None:
    case_id, task_id = case_at_decision_gate()
    response = caseworker.post(f"/tasks/{task_id}/decide", data={"decision": "approve"})
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    forged = caseworker.post(
        f"/tasks/{task_id}/decide", data={"decision": "approve", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert decisions(case_id) == 0


def test_a_role_without_the_right_is_refused(client: TestClient) -> None:
    _case_id, task_id = case_at_decision_gate()
    add_user("audrey", Role.AUDITOR)
    log_in(client, "audrey")
    response = decide(client, task_id, "approve")
    assert response.status_code == 403
    assert "Your role (auditor) can read cases and records but not change them" in response.text


def test_decision_is_kept_when_the_orchestrator_is_down(client: TestClient) -> None:
    def unreachable(_case_id: int, _reason: str) -> None:
        raise ConnectionError("Prefect is down")

    client.app.state.trigger = unreachable  # type: ignore[attr-defined]
    add_user("casey")
    log_in(client, "casey")
    case_id, task_id = case_at_decision_gate()
    response = decide(client, task_id, "approve")
    assert response.status_code == 303
    assert decisions(case_id) == 1
    assert "picked up automatically when it is back" in client.get(f"/cases/{case_id}").text


def test_verified_fields_are_saved_and_resume_the_flow(
    caseworker: TestClient, calls: list[tuple[int, str]]
) -> None:
    case_id = submitted_case()
    with_fields(case_id, CaseStatus.AWAITING_VERIFICATION, flagged=("business_name",))
    page = caseworker.get(f"/cases/{case_id}")
    task_id = int(re.search(r'action="/tasks/(\d+)/verify"', page.text).group(1))  # type: ignore[union-attr]
    assert 'name="field_business_name"' in page.text
    form = {f"field_{name}": value for name, value in GOOD_VALUES.items()}
    form |= {"field_business_name": "Golden Noodles", "csrf_token": token_from(page.text)}
    response = caseworker.post(f"/tasks/{task_id}/verify", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert stored_case(case_id).status == CaseStatus.CHECKING
    assert calls == [(case_id, "fields-verified")]
    assert count(ApprovalTask, ApprovalTask.status == TaskStatus.OPEN) == 0
    assert "was: Golden Noodle House" in caseworker.get(f"/cases/{case_id}").text


# --- upload --------------------------------------------------------------------------------------


def upload(client: TestClient, files: dict[str, tuple[str, bytes, str]]) -> httpx.Response:
    token = token_from(client.get("/upload").text)
    response: httpx.Response = client.post(
        "/upload",
        data={"permit_type": PERMIT, "csrf_token": token},
        files=files,
        follow_redirects=False,
    )
    return response


def test_upload_form_lists_the_required_documents(caseworker: TestClient) -> None:
    page = caseworker.get("/upload")
    assert page.status_code == 200
    assert '<label for="document-application_form">Application form FBL-1' in page.text
    assert 'name="document_id_card"' in page.text


def test_empty_upload_is_refused_and_nothing_is_stored(
    caseworker: TestClient, calls: list[tuple[int, str]]
) -> None:
    response = upload(
        caseworker,
        {
            "document_application_form": ("empty-form.png", b"", "image/png"),
            "document_id_card": ("id.png", png(), "image/png"),
        },
    )
    assert response.status_code == 422
    assert "empty-form.png: the file is empty" in response.text
    assert count(Case) == 0
    assert calls == []


def test_valid_upload_creates_the_case_and_starts_the_flow(
    caseworker: TestClient, calls: list[tuple[int, str]]
) -> None:
    response = upload(
        caseworker,
        {
            "document_application_form": ("form.png", png(), "image/png"),
            "document_id_card": ("id.png", png(200, 120), "image/png"),
        },
    )
    assert response.status_code == 303
    case_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert count(Case) == 1
    assert count(Document, Document.case_id == case_id) == 2
    assert calls == [(case_id, "uploaded")]
    page = caseworker.get(f"/cases/{case_id}")
    assert "received; reading the documents now" in page.text
    assert "id.png" in page.text


# --- JSON API and health -------------------------------------------------------------------------


def test_api_creates_a_case_and_reports_its_status(
    caseworker: TestClient, calls: list[tuple[int, str]]
) -> None:
    headers = {"X-CSRF-Token": csrf(caseworker)}
    response = caseworker.post(
        "/api/cases",
        data={"permit_type": PERMIT, "kinds": ["application_form", "id_card"]},
        files=[("files", ("form.png", png(), "image/png")), ("files", ("id.png", png(9, 9), ""))],
        headers=headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "submitted"
    assert body["reference"].startswith("FBL-")
    assert calls == [(body["id"], "uploaded")]
    summary = caseworker.get(f"/api/cases/{body['id']}").json()
    assert summary["reference"] == body["reference"]
    assert summary["open_tasks"] == []


def test_api_reports_bad_files_and_missing_token_as_json(caseworker: TestClient) -> None:
    bad = caseworker.post(
        "/api/cases",
        data={"permit_type": PERMIT, "kinds": ["application_form"]},
        files=[("files", ("notes.txt", b"hello", "text/plain"))],
        headers={"X-CSRF-Token": csrf(caseworker)},
    )
    assert bad.status_code == 422
    assert bad.json()["error"].startswith("notes.txt: this is not")
    no_token = caseworker.post("/api/cases", data={"permit_type": PERMIT})
    assert no_token.status_code == 403
    assert "error" in no_token.json()
    assert count(Case) == 0


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "documents": "ok"}


def test_unmigrated_database_answers_503(monkeypatch: pytest.MonkeyPatch) -> None:
    def outdated() -> None:
        raise DatabaseNotMigrated("The database has no tables yet. Run: permits db upgrade")

    monkeypatch.setattr(web_app, "ensure_migrated", outdated)
    with TestClient(create_app(trigger=lambda *_: None)) as client:
        page = client.get("/login")
        health = client.get("/healthz")
    assert page.status_code == 503
    assert "Run: permits db upgrade" in page.text
    assert health.status_code == 503
    assert "permits db upgrade" in health.json()["error"]
