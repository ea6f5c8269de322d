"""The console's inbox, claims, four-eyes, requests for information, scans with OCR boxes,
login limits and the applicants' status page, through FastAPI's TestClient on both databases."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlmodel import select

import web.routes.inbox as inbox_routes
from cases.access import issue_access_code
from cases.calendar import WorkingCalendar
from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, Document, ExtractedField, FailedAttempt, Role, TaskStatus
from cases.repository import get_case
from tests.catalogues import catalogue_at, four_eyes_catalogue
from tests.factories import propose_from_checking
from tests.web.test_web import (
    PASSWORD,
    TestClient,
    add_user,
    case_at_decision_gate,
    csrf,
    decide,
    log_in,
    png,
    stored_case,
    submitted_case,
    token_from,
    with_fields,
)
from web.app import create_app
from web.ratelimit import (
    DatabaseFailures,
    FailureLimiter,
    FailureStore,
    MemoryFailures,
    TooManyAttempts,
)


def post(client: TestClient, url: str, **data: str) -> httpx.Response:
    response: httpx.Response = client.post(
        url, data={**data, "csrf_token": csrf(client)}, follow_redirects=False
    )
    return response


def switch_user(client: TestClient, username: str) -> None:
    post(client, "/logout")
    assert log_in(client, username).status_code == 303


# --- inbox ---------------------------------------------------------------------------------------


def test_inbox_pages_filters_and_counts_queues(
    caseworker: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_routes, "PAGE_SIZE", 2)
    for _ in range(3):
        with_fields(submitted_case(), CaseStatus.AWAITING_VERIFICATION, flagged=("phone",))
    case_at_decision_gate()
    page = caseworker.get("/inbox")
    # the reviewed case sent the same files as the first case: the duplicates reviewer rates it
    # high and proposes referral, so its decision waits in the senior queue, not the team's
    assert "My team: 3 tasks waiting" in page.text
    assert re.search(r"Claimed by me <span class=\"count\">0</span>", page.text)
    assert "Page 1 of 2" in page.text
    assert page.text.count("Verify fields</td>") + page.text.count("Decide</td>") == 2
    second = caseworker.get("/inbox?queue=team&page=2")
    assert "Page 2 of 2" in second.text
    assert "My team: 0 tasks waiting" in caseworker.get("/inbox?kind=decide").text
    decide_only = caseworker.get("/inbox?queue=all&kind=decide")
    assert "All open tasks: 1 task waiting" in decide_only.text
    assert "Proposed: <strong>approve</strong>" in decide_only.text
    high = caseworker.get("/inbox?queue=all&risk=high")
    assert "All open tasks: 1 task waiting" in high.text
    assert "All open tasks: 0 tasks waiting" in caseworker.get("/inbox?queue=all&risk=low").text
    assert caseworker.get("/inbox?queue=nonsense&due=never").status_code == 200


def test_claim_shows_the_holder_and_blocks_others_until_released(
    caseworker: TestClient,
) -> None:
    case_id, task_id = case_at_decision_gate()
    reference = stored_case(case_id).reference
    response = post(caseworker, f"/tasks/{task_id}/claim", next="/inbox")
    assert response.headers["location"] == "/inbox"
    page = caseworker.get("/inbox")
    assert "Task claimed" in page.text
    assert f'aria-label="Release the task on {reference}"' in page.text
    assert "Claimed by me <span" in page.text

    add_user("colin")
    switch_user(caseworker, "colin")
    assert "casey" in caseworker.get("/inbox").text
    case_page = caseworker.get(f"/cases/{case_id}")
    assert "<strong>casey</strong> has claimed this task" in case_page.text
    refused = decide(caseworker, task_id, "approve")
    assert refused.status_code == 403
    assert "casey has claimed this task, so only they can complete it" in refused.text
    assert stored_case(case_id).status == CaseStatus.AWAITING_DECISION

    add_user("sally", Role.SENIOR_CASEWORKER)
    switch_user(caseworker, "sally")
    post(caseworker, f"/tasks/{task_id}/release", next=f"/cases/{case_id}")
    switch_user(caseworker, "colin")
    assert decide(caseworker, task_id, "approve").status_code == 303
    assert stored_case(case_id).status == CaseStatus.DECIDED


# --- four-eyes -----------------------------------------------------------------------------------


@pytest.fixture
def four_eyes(tmp_path: Path) -> Iterator[None]:
    with catalogue_at(four_eyes_catalogue(tmp_path)):
        yield


@pytest.mark.usefixtures("four_eyes")
def test_four_eyes_refusal_over_the_web(
    caseworker: TestClient, calls: list[tuple[int, str]]
) -> None:
    case_id, task_id = case_at_decision_gate()
    first = decide(caseworker, task_id, "refuse", "Premises unsuitable.")
    assert first.status_code == 303
    page = caseworker.get(f"/cases/{case_id}")
    assert "First approval recorded: refuse" in page.text
    assert "Second approval (four-eyes)" in page.text
    assert "You made the first decision (refuse)" in page.text
    assert calls == []  # nothing to resume yet
    with session_scope() as session:
        second = session.exec(
            select(ApprovalTask).where(ApprovalTask.status == TaskStatus.OPEN)
        ).one()
    assert second.id is not None

    add_user("sam", Role.SENIOR_CASEWORKER)
    switch_user(caseworker, "sam")
    page = caseworker.get(f"/cases/{case_id}")
    assert "Confirm refusal" in page.text
    assert decide(caseworker, second.id, "refuse").status_code == 303
    assert stored_case(case_id).status == CaseStatus.DECIDED
    assert stored_case(case_id).decision_reason == "Premises unsuitable."
    assert calls == [(case_id, "decided")]


# --- request information -------------------------------------------------------------------------


def test_request_information_moves_the_case_to_the_applicant(caseworker: TestClient) -> None:
    case_id, task_id = case_at_decision_gate()
    page = caseworker.get(f"/cases/{case_id}")
    assert f'action="/tasks/{task_id}/request-info"' in page.text
    due = WorkingCalendar().add_working_days(dt.date.today(), 10).isoformat()
    bad = post(caseworker, f"/tasks/{task_id}/request-info", what="Floor plan", due_on="")
    assert bad.status_code == 422
    assert "Give the date the applicant has to answer by" in bad.text
    response = post(caseworker, f"/tasks/{task_id}/request-info", what="Floor plan", due_on=due)
    assert response.status_code == 303
    assert stored_case(case_id).status == CaseStatus.AWAITING_APPLICANT
    page = caseworker.get(f"/cases/{case_id}")
    assert f"Information requested from the applicant, due {due}" in page.text
    assert "Floor plan — by" in page.text
    assert "information.requested" in page.text


# --- the scan with OCR boxes ---------------------------------------------------------------------


def test_case_page_draws_ocr_boxes_over_the_served_page(caseworker: TestClient) -> None:
    case_id = submitted_case()
    with_fields(case_id, CaseStatus.AWAITING_VERIFICATION, flagged=("business_name",))
    with session_scope() as session:
        form = session.exec(select(Document).where(Document.case_id == case_id)).first()
        assert form is not None
        field = session.exec(
            select(ExtractedField).where(
                ExtractedField.case_id == case_id, ExtractedField.name == "business_name"
            )
        ).one()
        field.document_id, field.bbox = form.id, [10, 20, 110, 60]
        session.add(field)
    page = caseworker.get(f"/cases/{case_id}")
    assert f'src="/cases/{case_id}/documents/{form.id}/pages/1.png"' in page.text
    assert 'viewBox="0 0 320 200"' in page.text
    assert '<rect data-field="business_name" x="10" y="20" width="100" height="40"' in page.text
    assert 'tr data-field="business_name" class="flagged"' in page.text
    assert '<script src="/static/case.js" defer>' in page.text
    image = caseworker.get(f"/cases/{case_id}/documents/{form.id}/pages/1.png")
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (320, 200)
    assert caseworker.get("/static/case.js").status_code == 200


# --- the eligibility explanation -----------------------------------------------------------------


def case_at_the_gate_with(name: str, value: str) -> tuple[int, int]:
    """A case whose extracted ``name`` reads ``value``, taken through the rules and the review."""
    case_id = submitted_case()
    with_fields(case_id, CaseStatus.CHECKING)
    with session_scope() as session:
        field = session.exec(
            select(ExtractedField).where(
                ExtractedField.case_id == case_id, ExtractedField.name == name
            )
        ).one()
        field.value = value
        session.add(field)
    return case_id, propose_from_checking(case_id)


def refused_case() -> tuple[int, int]:
    """At the decision gate with 8 m² for 40 seats: FBL-1 fails (refuse), FBL-4 too (refer)."""
    return case_at_the_gate_with("floor_area_m2", "8")


def _row(page: str, rule_id: str) -> str:
    """The HTML of the rules table's row for one rule."""
    found = re.search(
        rf'<tr class="rule rule-[a-z_]+">\s*<th scope="row"><span class="rule-id">'
        rf"{rule_id}</span>.*?</tr>",
        page,
        flags=re.DOTALL,
    )
    assert found, f"no row for {rule_id}"
    return found.group(0)


def test_a_refused_case_names_the_failing_rule_and_the_values_it_read(
    caseworker: TestClient,
) -> None:
    case_id, _task_id = refused_case()
    page = caseworker.get(f"/cases/{case_id}").text
    assert "Outcome under rule set 2026.1: <strong>refuse</strong>" in page
    failing = _row(page, "FBL-1")
    assert "rule-failed" in failing
    assert "Minimum floor area" in failing
    assert "Failed" in failing
    assert "outcome: refuse" in failing
    assert "The premises have a floor area of 8 m², less than the minimum of 10 m²" in failing
    assert "floor_area_m2 = 8<" in failing
    assert "floor_area_m2 &gt;= 10" in failing  # the condition it had to meet
    assert "Cap. 132X, s. 33 (illustrative)" in failing
    # Failures come before the rules that passed and those that did not apply.
    assert page.index(">FBL-1<") < page.index(">FBL-4<") < page.index(">FBL-2<")
    assert page.index(">FBL-2<") < page.index(">FBL-6<")
    assert "Failed: 2" in page


def test_a_rule_that_does_not_apply_is_shown_as_not_applicable(caseworker: TestClient) -> None:
    case_id, _task_id = refused_case()
    page = caseworker.get(f"/cases/{case_id}").text
    factory_only = _row(page, "FBL-6")
    assert "rule-not_applicable" in factory_only
    assert "Not applicable" in factory_only
    assert "Applies only when:" in factory_only
    assert "business_type == &#34;Food factory&#34;" in factory_only
    assert "business_type = Restaurant" in factory_only
    assert "Passed" not in factory_only
    assert "Failed" not in factory_only
    assert re.search(r"Not applicable: \d+", page)


def test_the_matched_table_row_the_fee_and_computed_values_are_shown(
    caseworker: TestClient,
) -> None:
    case_id, _task_id = refused_case()
    page = caseworker.get(f"/cases/{case_id}").text
    assert "<strong>HK$3,340.00</strong>" in page
    assert "<code>licence_fee.fee</code>" in page
    table = page[page.index("<h4>licence_fee</h4>") : page.index("<h4>licence_conditions</h4>")]
    assert "Rows matched: 1 of 8." in table
    assert "The first matching row applies." in table
    assert "this case: Restaurant" in table
    assert "<code>&#34;Restaurant&#34;</code>" in table
    assert "<code>&lt; 50</code>" in table
    assert "<strong>3340</strong>" in table
    assert "<strong>A</strong>" in table
    assert "Every matching row applies." in page  # licence_conditions collects
    # a condition is stored as its code and shown in the permit's words
    assert "<strong>Display the licensed number of seats at the entrance.</strong>" in page
    assert "area_per_seat" in page
    assert "<strong>0.2</strong>" in page
    assert "in force from 2026-01-01" in page


# --- login limit ---------------------------------------------------------------------------------


def test_repeated_failed_logins_are_limited(client: TestClient) -> None:
    add_user("casey")
    for _ in range(5):
        assert log_in(client, "casey", "wrong-password").status_code == 400
    limited = log_in(client, "casey", PASSWORD)  # even the right password waits
    assert limited.status_code == 429
    assert "Too many failed log-in attempts" in limited.text
    assert "try again in 15 minutes" in limited.text
    assert int(limited.headers["retry-after"]) > 800
    add_user("other")
    assert log_in(client, "other").status_code == 303  # another account is not locked out


# --- applicants' status page ---------------------------------------------------------------------


def _with_code(case_id: int) -> str:
    with session_scope() as session:
        return issue_access_code(session, get_case(session, case_id))


def _look_up(client: TestClient, reference: str, code: str) -> httpx.Response:
    token = token_from(client.get("/status").text)
    response: httpx.Response = client.post(
        "/status", data={"reference": reference, "access_code": code, "csrf_token": token}
    )
    return response


def test_status_page_shows_the_status_and_no_personal_data(client: TestClient) -> None:
    case_id, _task_id = case_at_decision_gate()
    code = _with_code(case_id)
    reference = stored_case(case_id).reference
    form = client.get("/status")
    assert form.status_code == 200
    assert 'name="access_code"' in form.text
    page = _look_up(client, reference, code)
    assert page.status_code == 200
    assert "Waiting for a decision by the licensing office" in page.text
    today = dt.datetime.now(dt.UTC).date()
    assert f"{today.day} {today:%B %Y}" in page.text  # submitted today, as a letter writes it
    assert "Nothing from you at the moment" in page.text
    for private in ("CHAN Tai Man", "A123456", "Golden Noodle", "Nathan Road", "91234567"):
        assert private not in page.text
    assert "Log out" not in page.text


def test_another_cases_code_does_not_open_a_case(client: TestClient) -> None:
    first, second = submitted_case(), submitted_case()
    _with_code(first)
    page = _look_up(client, stored_case(first).reference, _with_code(second))
    assert page.status_code == 404
    assert "No application matches this reference and access code" in page.text
    assert "Received" not in page.text


def test_status_lookup_needs_the_csrf_token_and_is_limited(client: TestClient) -> None:
    case_id = submitted_case()
    reference = stored_case(case_id).reference
    forged = client.post("/status", data={"reference": reference, "access_code": "x"})
    assert forged.status_code == 403
    for _ in range(10):
        assert _look_up(client, reference, "WRONG-CODE-XXXX").status_code == 404
    limited = _look_up(client, reference, _with_code(case_id))
    assert limited.status_code == 429
    assert "Too many failed attempts to open a case status" in limited.text


def test_an_auditor_sees_the_case_but_is_offered_no_gate_buttons(client: TestClient) -> None:
    case_id, task_id = case_at_decision_gate()
    add_user("audrey", Role.AUDITOR)
    assert log_in(client, "audrey").status_code == 303
    inbox = client.get("/inbox")
    assert "All open tasks: 1 task waiting" in inbox.text  # auditors watch every queue
    assert f'action="/tasks/{task_id}/claim"' not in inbox.text
    page = client.get(f"/cases/{case_id}")
    assert "This decision needs a caseworker; your role is auditor." in page.text
    assert f'action="/tasks/{task_id}/decide"' not in page.text
    assert "request-info" not in page.text


def test_every_web_process_shares_one_count(
    client: TestClient, calls: list[tuple[int, str]]
) -> None:
    """Two app instances (two processes behind a load balancer) together allow five failures."""
    add_user("casey")
    with TestClient(create_app(trigger=lambda *_: None)) as second:
        for attempt in range(5):
            assert log_in(client if attempt % 2 else second, "casey", "nope").status_code == 400
        assert log_in(second, "casey", PASSWORD).status_code == 429
        assert log_in(client, "casey", PASSWORD).status_code == 429
    with session_scope() as session:
        keys = session.exec(select(FailedAttempt.key).where(FailedAttempt.scope == "login")).all()
    assert len(keys) == 5
    assert not any("casey" in key for key in keys)  # no usernames or addresses kept in clear


def test_failures_expire_after_the_window() -> None:
    failures_expire_after_the_window(MemoryFailures())


def test_failures_in_the_database_expire_after_the_window(db: str) -> None:
    failures_expire_after_the_window(DatabaseFailures("login"))


def failures_expire_after_the_window(store: FailureStore) -> None:
    now = [0.0]
    limiter = FailureLimiter(2, 60, "log-in attempts", store=store, clock=lambda: now[0])
    limiter.failed("casey|1.2.3.4")
    now[0] = 30
    limiter.failed("casey|1.2.3.4")
    with pytest.raises(TooManyAttempts) as caught:
        limiter.check("casey|1.2.3.4")
    assert caught.value.retry_after_s == 31
    assert "try again in 1 minute," in str(caught.value)
    limiter.check("casey|5.6.7.8")  # another address is counted apart
    now[0] = 61
    limiter.check("casey|1.2.3.4")  # the first failure has expired: one attempt left
    limiter.failed("casey|1.2.3.4")
    with pytest.raises(TooManyAttempts):
        limiter.check("casey|1.2.3.4")


def test_counter_upload_hands_out_an_access_code_that_opens_the_status(
    caseworker: TestClient,
) -> None:
    token = token_from(caseworker.get("/upload").text)
    response = caseworker.post(
        "/upload",
        data={"permit_type": "food-business-licence", "csrf_token": token},
        files={
            "document_application_form": ("form.png", png(), "image/png"),
            "document_id_card": ("id.png", png(200, 120), "image/png"),
        },
    )
    found = re.search(r"reference (\S+) and access code (\S+) for the status page", response.text)
    assert found, "the case page does not show the applicant's access code"
    post(caseworker, "/logout")
    page = _look_up(caseworker, found.group(1), found.group(2))
    assert page.status_code == 200
    assert "Received; the documents are being read" in page.text


def test_api_submission_returns_the_access_code(caseworker: TestClient) -> None:
    response = caseworker.post(
        "/api/cases",
        data={"permit_type": "food-business-licence", "kinds": ["application_form", "id_card"]},
        files=[("files", ("form.png", png(), "image/png")), ("files", ("id.png", png(), ""))],
        headers={"X-CSRF-Token": csrf(caseworker)},
    )
    body = response.json()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", body["access_code"])
    assert _look_up(caseworker, body["reference"], body["access_code"]).status_code == 200


def test_a_typed_pdfs_page_is_shown_too(caseworker: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (595, 842), "white").save(buffer, format="PDF")
    response = caseworker.post(
        "/api/cases",
        data={"permit_type": "food-business-licence", "kinds": ["application_form", "id_card"]},
        files=[
            ("files", ("form.pdf", buffer.getvalue(), "application/pdf")),
            ("files", ("id.png", png(), "image/png")),
        ],
        headers={"X-CSRF-Token": csrf(caseworker)},
    )
    case_id = response.json()["id"]
    with session_scope() as session:
        pdf = session.exec(
            select(Document).where(
                Document.case_id == case_id, Document.media_type == "application/pdf"
            )
        ).one()
    image = caseworker.get(f"/cases/{case_id}/documents/{pdf.id}/pages/1.png")
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).width > 595  # rendered above 72 dpi


def test_a_review_finding_links_to_the_fields_it_points_at(caseworker: TestClient) -> None:
    # the card copy shows another number than the form
    case_id, _task_id = case_at_the_gate_with("id_card_number", "B765432(1)")
    page = caseworker.get(f"/cases/{case_id}").text
    assert "differs from the card" in page
    assert '<a href="#field-row-hkid">Hong Kong identity card number</a>' in page
    assert 'id="field-row-hkid"' in page  # the link lands on the field's row
