"""The optional language-model reviewer against a local server speaking the OpenAI chat API
(the one fake allowed: a remote model cannot run here): valid answers become findings, an invalid
one is asked again once, a second invalid answer or a timeout is recorded and the review goes on,
and with ``redact`` the server never sees the applicant's name or identity card number."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.models import Case, Review, ReviewRun
from cases.repository import get_case
from cases.review import get_reviewer, review_case
from cases.review import service as review_service
from cases.review.context import build_context
from cases.review.language_model import build_prompt
from cases.settings import get_settings
from tests.factories import checked_case

pytestmark = pytest.mark.usefixtures("db")

VALID = {
    "findings": [
        {
            "kind": "suspicious_value",
            "severity": "warning",
            "fields": ["floor_area_m2", "no_such_field"],
            "note": "40 seats in 60 square metres is tight for a restaurant.",
        }
    ],
    "refer_to_senior": True,
}
DECIDING = {"findings": [], "decision": "approve"}  # not the shape: no outcomes allowed


@dataclass
class ChatServer:
    """Answers /v1/chat/completions with the scripted contents, in order; keeps each request."""

    answers: list[Any] = field(default_factory=list)
    delay_s: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    script = ChatServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            script.received.append(json.loads(self.rfile.read(length)))
            script.headers.append(dict(self.headers))
            time.sleep(script.delay_s)
            answer = script.answers.pop(0) if script.answers else VALID
            content = answer if isinstance(answer, str) else json.dumps(answer)
            body = json.dumps(
                {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
            ).encode()
            self.send_response(200 if self.path == "/v1/chat/completions" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError):  # the client gave up (the timeout test)
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PERMITS_LLM_URL", f"http://127.0.0.1:{server.server_port}/v1")
    monkeypatch.setenv("PERMITS_LLM_MODEL", "test-model")
    monkeypatch.setenv("PERMITS_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("PERMITS_LLM_TIMEOUT_S", "2")
    get_settings.cache_clear()
    chosen = review_service.reviewers_for
    model = get_reviewer("language_model")
    monkeypatch.setattr(review_service, "reviewers_for", lambda p: [*chosen(p), model])
    yield script
    server.shutdown()
    server.server_close()
    thread.join()
    get_settings.cache_clear()


def _run(case_id: int) -> ReviewRun:
    with session_scope() as session:
        return session.exec(
            select(ReviewRun).where(
                ReviewRun.case_id == case_id, ReviewRun.reviewer == "language_model"
            )
        ).one()


def _reviewed(fields: dict[str, str] | None = None) -> int:
    case_id = checked_case(fields or {})
    assert review_case(case_id) is not None  # the review finished whatever the model did
    return case_id


def test_a_valid_answer_becomes_findings_on_the_fields_it_names(chat: ChatServer) -> None:
    case_id = _reviewed()
    run = _run(case_id)
    assert run.error is None
    assert run.model_name == f"test-model at {get_settings().llm_url}"
    (finding,) = run.findings
    assert finding["fact"]["code"] == "model_note"
    assert finding["fact"]["kind"] == "suspicious_value"
    assert [f["name"] for f in finding["evidence"]["fields"]] == ["floor_area_m2"]
    assert finding["proposes_referral"] is True
    (request,) = chat.received
    assert request["model"] == "test-model"
    assert request["messages"][0]["role"] == "system"
    assert "floor_area_m2" in request["messages"][1]["content"]
    assert chat.headers[0]["Authorization"] == "Bearer sk-test"


def test_an_invalid_answer_is_asked_again_once(chat: ChatServer) -> None:
    chat.answers = ["Sure! Here is my review: all fine.", VALID]
    run = _run(_reviewed())
    assert run.error is None
    assert len(run.findings) == 1
    assert len(chat.received) == 2
    retry = chat.received[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "Sure! Here is my review: all fine."}
    assert retry[-1]["content"].startswith("That answer was not valid")


def test_two_invalid_answers_are_recorded_and_decide_nothing(chat: ChatServer) -> None:
    chat.answers = [DECIDING, DECIDING]
    case_id = _reviewed({"floor_area_m2": "3"})  # the rules refuse
    run = _run(case_id)
    assert run.findings == []
    assert run.error is not None
    assert run.error.startswith("LanguageModelFailed: invalid answer twice")
    assert "decision" in run.error
    with session_scope() as session:
        case = session.get(Case, case_id)
        review = session.exec(select(Review).where(Review.case_id == case_id)).one()
    assert case is not None
    assert (case.proposed_outcome, case.decided_outcome) == ("refuse", None)
    assert review.findings["findings"] is not None  # the other reviewers' findings stand


def test_a_model_that_does_not_answer_in_time_is_recorded_and_the_review_goes_on(
    chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERMITS_LLM_TIMEOUT_S", "0.3")
    get_settings.cache_clear()
    chat.delay_s = 1.5
    case_id = _reviewed()
    run = _run(case_id)
    url = f"{get_settings().llm_url}/chat/completions"
    assert run.error == f"LanguageModelFailed: no answer within 0.3 s from {url}"
    with session_scope() as session:
        assert get_case(session, case_id).status == "reviewed"


def test_personal_data_never_reaches_the_model(chat: ChatServer) -> None:
    # The card's name differs, so the consistency finding quoting both names is in the prompt.
    _reviewed({"id_card_name": "CHAN Siu Ming", "tenancy_tenant": "Wong Mei Ling"})
    sent = json.dumps(chat.received)
    for personal in ("CHAN", "Tai Man", "Siu Ming", "Wong", "A123456", "91234567", "Nathan"):
        assert personal.lower() not in sent.lower(), personal
    assert "[APPLICANT_NAME]" in sent
    assert "[HKID]" in sent
    assert "[PREMISES_ADDRESS]" in sent
    assert "Golden Noodle House" in sent  # a business name is not personal data


def test_without_redaction_the_prompt_holds_the_values_as_read() -> None:
    case_id = checked_case({})
    with session_scope() as session:
        ctx = build_context(session, get_case(session, case_id))
        assert "CHAN Tai Man" in build_prompt(ctx, redact=False)
        assert "CHAN" not in build_prompt(ctx, redact=True)


def test_without_an_endpoint_the_reviewer_finds_nothing_and_sends_nothing() -> None:
    assert get_settings().llm_url is None
    case_id = checked_case({})
    with session_scope() as session:
        ctx = build_context(session, get_case(session, case_id))
    assert get_reviewer("language_model").review(ctx) == []
