"""The JSON API's OpenAPI document is complete: staff can fetch it, every /api route describes its
answer, the product's words are enums in it, and real answers validate against it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from cases.db import session_scope
from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, Role, TaskKind
from cases.repository import get_case
from cases.vocabulary import Decision, Outcome
from tests.web.test_web import PERMIT, TestClient, csrf, png

SCHEMA_URL = "/api/openapi.json"


def _document(client: TestClient) -> dict[str, Any]:
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def _answer_schema(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """The JSON schema of the route's 2xx answer (with the components its refs point into)."""
    responses = document["paths"][path][method]["responses"]
    (status,) = [s for s in responses if s.startswith("2")]
    schema = responses[status]["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def _validate(document: dict[str, Any], path: str, method: str, body: object) -> None:
    Draft202012Validator(_answer_schema(document, path, method)).validate(body)


def test_anonymous_callers_do_not_get_the_schema(client: TestClient) -> None:
    response = client.get(SCHEMA_URL)
    assert response.status_code == 401
    assert response.json() == {"error": "Log in first."}


def test_every_api_route_describes_its_answer(caseworker: TestClient) -> None:
    document = _document(caseworker)
    api_paths = [path for path in document["paths"] if path.startswith("/api/")]
    assert sorted(api_paths) == ["/api/cases", "/api/cases/{case_id}", "/api/session"]
    assert SCHEMA_URL not in document["paths"]
    for path in [*api_paths, "/healthz"]:
        for method, operation in document["paths"][path].items():
            answers = [s for s in operation["responses"] if s.startswith("2")]
            assert len(answers) == 1, f"{method} {path}"
            schema = _answer_schema(document, path, method)
            assert _resolve(document, schema)["properties"], f"{method} {path} has no fields"
            if path.startswith("/api/"):
                error = operation["responses"]["401"]["content"]["application/json"]["schema"]
                assert _resolve(document, error)["required"] == ["error"]


@pytest.mark.parametrize(
    ("schema", "words"),
    [("Outcome", list(Outcome)), ("Decision", list(Decision)), ("CaseStatus", list(CaseStatus))],
)
def test_the_products_words_are_enums_in_the_schema(
    caseworker: TestClient, schema: str, words: list[str]
) -> None:
    document = _document(caseworker)
    assert document["components"]["schemas"][schema]["enum"] == [str(w) for w in words]
    summary = document["components"]["schemas"]["CaseSummary"]["properties"]
    outcome = summary["proposed_outcome"]["anyOf"]
    assert {"$ref": "#/components/schemas/Outcome"} in outcome


def test_real_answers_validate_against_the_schema(caseworker: TestClient) -> None:
    document = _document(caseworker)
    session = caseworker.get("/api/session")
    _validate(document, "/api/session", "get", session.json())
    assert session.json()["role"] == Role.CASEWORKER
    created = caseworker.post(
        "/api/cases",
        data={"permit_type": PERMIT, "kinds": ["application_form", "id_card"]},
        files=[("files", ("form.png", png(), "image/png")), ("files", ("id.png", png(), ""))],
        headers={"X-CSRF-Token": csrf(caseworker)},
    )
    assert created.status_code == 201
    _validate(document, "/api/cases", "post", created.json())
    case_id = created.json()["id"]
    _validate(
        document, "/api/cases/{case_id}", "get", caseworker.get(f"/api/cases/{case_id}").json()
    )

    with session_scope() as db:  # a case the rules have proposed on, waiting for a decision
        case = get_case(db, case_id)
        case.proposed_outcome, case.application_date = Outcome.REFER, dt.date(2026, 3, 1)
        due = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
        db.add(ApprovalTask(case_id=case_id, kind=TaskKind.DECIDE, due_at=due))
    summary = caseworker.get(f"/api/cases/{case_id}").json()
    _validate(document, "/api/cases/{case_id}", "get", summary)
    assert summary["proposed_outcome"] == "refer"
    assert summary["application_date"] == "2026-03-01"
    assert summary["open_tasks"][0]["kind"] == "decide"
    assert summary["open_tasks"][0]["due_at"] == "2026-04-01T09:00:00+00:00"
    _validate(document, "/healthz", "get", caseworker.get("/healthz").json())


def test_an_answer_the_schema_does_not_allow_fails_validation(caseworker: TestClient) -> None:
    """The check above has teeth: a word that is no Outcome does not validate."""
    document = _document(caseworker)
    bad = {
        "id": 1,
        "reference": "FBL-2026-000001",
        "permit_type": PERMIT,
        "status": "submitted",
        "submitted_at": "2026-03-01T00:00:00+00:00",
        "application_date": None,
        "ruleset_version": None,
        "proposed_outcome": "maybe",
        "decided_outcome": None,
        "open_tasks": [],
    }
    with pytest.raises(ValidationError, match="'maybe' is not valid"):
        _validate(document, "/api/cases/{case_id}", "get", bad)
