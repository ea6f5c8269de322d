"""Applying online without a login (/apply) and through the JSON API with a kind per file:
what is missing is named, a bad file is named and nothing is stored, the applicant's details
reach the case page, the code is shown once, and submissions are limited per address."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.models import Applicant, Case, Document, MessageKind, OutboxMessage
from cases.settings import get_settings
from cases.vocabulary import Language
from tests.web.test_web import TestClient, count, csrf, png, token_from
from web.ratelimit import FailureLimiter, MemoryFailures

FOOD, LIQUOR = "food-business-licence", "liquor-licence"
DETAILS = {
    "name": "CHAN Tai Man",
    "email": "chan@example.org",
    "phone": "9123 4567",
    "preferred_language": "zh-Hant",
}
SCRIPT = "<script>alert('x')</script>"


def _files(**overrides: tuple[str, bytes, str] | None) -> dict[str, tuple[str, bytes, str]]:
    files: dict[str, tuple[str, bytes, str] | None] = {
        "document_application_form": ("form.png", png(), "image/png"),
        "document_id_card": ("id.png", png(200, 120), "image/png"),
        **overrides,
    }
    return {name: file for name, file in files.items() if file is not None}


def apply(
    client: TestClient,
    details: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    permit: str = FOOD,
    *,
    token: str | None = "page",
) -> httpx.Response:
    data: dict[str, Any] = {**DETAILS, **(details or {})}
    if token == "page":
        token = token_from(client.get(f"/apply/{permit}").text)
    if token is not None:
        data["csrf_token"] = token
    response: httpx.Response = client.post(
        f"/apply/{permit}",
        data=data,
        files=_files() if files is None else files,
        follow_redirects=False,
    )
    return response


def nothing_stored() -> bool:
    return all(count(table) == 0 for table in (Case, Applicant, Document, OutboxMessage))


# --- choosing and the form ----------------------------------------------------------------------


def test_the_permits_are_offered_with_a_description_in_the_page_language(
    client: TestClient,
) -> None:
    page = client.get("/apply")
    assert page.status_code == 200
    assert '<a href="/apply/liquor-licence">Liquor Licence</a>' in page.text
    assert "To sell liquor for drinking on the premises" in page.text
    client.cookies.set("lang", "zh-Hant")
    chinese = client.get("/apply").text
    assert '<a href="/apply/liquor-licence">酒牌</a>' in chinese
    assert "在處所內售賣供飲用的酒類" in chinese


def test_the_form_has_one_slot_per_listed_document_saying_what_it_is(client: TestClient) -> None:
    page = client.get(f"/apply/{FOOD}").text
    assert re.search(
        r'<label for="document_id_card">Copy of the applicant&#39;s Hong Kong identity card '
        r'<span class="required">required</span>',
        page,
    )
    assert re.search(
        r'<label for="document_fire_certificate">Fire services certificate \(FS 251\) '
        r'<span class="optional">optional</span>',
        page,
    )
    assert 'name="document_id_card" type="file"' in page.replace('id="document_id_card" ', "")
    assert client.get("/apply/fishing-licence").status_code == 404


# --- refused: nothing stored ---------------------------------------------------------------------


def test_a_missing_required_document_and_details_are_all_named(
    client: TestClient, calls: list[tuple[int, str]]
) -> None:
    response = apply(
        client,
        {"name": " ", "email": "chan-at-example.org"},
        _files(document_id_card=None),
    )
    assert response.status_code == 422
    problems = re.search(
        r'<div class="flash flash-error" role="alert" id="problems">.*?</div>', response.text, re.S
    )
    assert problems
    assert '<a href="#name">Give your name' in problems.group(0)
    assert '<a href="#email">This does not look like an e-mail address' in problems.group(0)
    assert '<a href="#document_id_card">Choose a file for this document.' in problems.group(0)
    assert 'value="chan-at-example.org"' in response.text  # what was typed is kept
    assert nothing_stored()
    assert calls == []


def test_the_missing_document_is_said_in_chinese(client: TestClient) -> None:
    client.cookies.set("lang", "zh-Hant")
    response = apply(client, files=_files(document_application_form=None))
    assert response.status_code == 422
    assert "請為此文件選擇檔案。" in response.text
    assert nothing_stored()


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        (("empty.png", b"", "image/png"), "the file is empty"),
        (("notes.png", b"Dear officer, my application\n", "image/png"), "is not a PDF, PNG"),
    ],
    ids=["empty", "mislabelled"],
)
def test_a_bad_file_is_named_and_nothing_is_stored(
    client: TestClient, calls: list[tuple[int, str]], file: tuple[str, bytes, str], reason: str
) -> None:
    response = apply(client, files=_files(document_id_card=file))
    assert response.status_code == 422
    assert f"{file[0]} was not accepted: " in response.text
    assert reason in response.text
    assert nothing_stored()
    assert calls == []


def test_a_bad_file_is_explained_in_chinese(client: TestClient) -> None:
    client.cookies.set("lang", "zh-Hant")
    response = apply(client, files=_files(document_id_card=("id.png", b"", "image/png")))
    assert response.status_code == 422
    assert "未能接受 id.png：檔案是空的（0 位元組）" in response.text
    assert nothing_stored()


def test_an_oversized_file_is_named_with_the_limit(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERMITS_MAX_UPLOAD_BYTES", "2048")
    get_settings.cache_clear()
    big = png(900, 900)
    assert len(big) > 2048
    response = apply(client, files=_files(document_application_form=("big.png", big, "")))
    assert response.status_code == 422
    assert "big.png was not accepted: the file is" in response.text
    assert "the limit is 2 KiB" in response.text
    assert nothing_stored()


def test_without_the_forms_token_nothing_is_stored(client: TestClient) -> None:
    response = apply(client, token=None)
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert nothing_stored()


def test_submissions_are_limited_per_address(client: TestClient) -> None:
    app: Any = client.app
    app.state.apply_limiter = FailureLimiter(2, 3600, "applications", store=MemoryFailures())
    assert apply(client, {"email": "bad"}).status_code == 422  # a refused one counts too
    assert apply(client).status_code == 303
    third = apply(client)
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) > 3500
    assert "Too many applications were sent from your address. Try again in 60 minutes." in (
        third.text
    )
    assert count(Case) == 1


# --- accepted ------------------------------------------------------------------------------------


def test_an_application_is_stored_acknowledged_and_its_code_shown_once(
    client: TestClient, calls: list[tuple[int, str]]
) -> None:
    response = apply(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/apply/received"
    page = client.get("/apply/received").text
    reference = re.search(r'<dd id="reference">([A-Z]+-\d{4}-\d{6})</dd>', page)
    code = re.search(r'<strong id="access-code">([A-Z2-9-]{14})</strong>', page)
    assert reference
    assert code
    assert 'href="/status"' in page
    assert "chan@example.org" in page
    # what happens now, and what may be asked of the applicant
    assert "What happens next" in page
    assert "we write to you saying what to send and by when" in page
    assert '<a class="brand" href="/apply">Licensing Office</a>' in page  # not the staff inbox
    again = client.get("/apply/received", follow_redirects=False)
    assert again.headers["location"] == "/status"  # shown once
    with session_scope() as session:
        case = session.exec(select(Case)).one()
        applicant = session.get(Applicant, case.applicant_id)
        message = session.exec(select(OutboxMessage)).one()
        kinds = sorted(session.exec(select(Document.kind)).all())
    assert applicant is not None
    stored = applicant.model_dump(include={"name", "email", "phone", "preferred_language"})
    assert stored == {**DETAILS, "phone": "91234567", "preferred_language": Language.ZH_HANT}
    assert (message.kind, message.language) == (MessageKind.ACKNOWLEDGEMENT, Language.ZH_HANT)
    assert kinds == ["application_form", "id_card"]
    assert calls == [(case.id, "uploaded")]
    status = client.post(
        "/status",
        data={
            "reference": reference.group(1),
            "access_code": code.group(1),
            "csrf_token": token_from(client.get("/status").text),
        },
    )
    assert status.status_code == 200


def test_script_in_the_details_is_shown_as_text(client: TestClient, caseworker: TestClient) -> None:
    refused = apply(client, {"name": SCRIPT, "email": f"x{SCRIPT}@example.org", "phone": SCRIPT})
    assert refused.status_code == 422
    assert SCRIPT not in refused.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in refused.text
    assert apply(client, {"name": SCRIPT}).status_code == 303
    with session_scope() as session:
        case_id = session.exec(select(Case.id)).one()
    page = caseworker.get(f"/cases/{case_id}").text
    assert '<dd id="applicant">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</dd>' in page
    assert SCRIPT not in page


def test_staff_see_the_applicants_details_on_the_case_page(
    client: TestClient, caseworker: TestClient
) -> None:
    assert apply(client).status_code == 303
    with session_scope() as session:
        case_id = session.exec(select(Case.id)).one()
    page = caseworker.get(f"/cases/{case_id}").text
    assert '<dd id="applicant">CHAN Tai Man</dd>' in page
    assert '<a href="mailto:chan@example.org">chan@example.org</a>' in page
    assert "<dd>91234567</dd>" in page
    assert '<dd lang="zh-Hant">繁體中文</dd>' in page


# --- JSON API: a kind per file -------------------------------------------------------------------


def api_apply(
    client: TestClient, kinds: list[str], permit: str = FOOD, **details: str
) -> httpx.Response:
    response: httpx.Response = client.post(
        "/api/cases",
        data={"permit_type": permit, "kinds": kinds, **details},
        files=[("files", ("id.png", png(9, 9), "")), ("files", ("form.png", png(), ""))],
        headers={"X-CSRF-Token": csrf(client)},
    )
    return response


def test_the_api_stores_each_file_as_the_kind_it_names(caseworker: TestClient) -> None:
    response = api_apply(
        caseworker,
        ["id_card", "application_form"],
        applicant_name="CHAN Tai Man",
        applicant_email="chan@example.org",
    )
    assert response.status_code == 201
    with session_scope() as session:
        stored = dict(session.exec(select(Document.filename, Document.kind)).all())
        message = session.exec(select(OutboxMessage)).one()
    assert stored == {"id.png": "id_card", "form.png": "application_form"}
    assert message.recipient == "chan@example.org"


def test_the_api_refuses_another_permits_kind_naming_the_file(caseworker: TestClient) -> None:
    response = api_apply(caseworker, ["fire_certificate", "application_form"], permit=LIQUOR)
    assert response.status_code == 422
    assert response.json()["error"].startswith(
        "id.png: the Liquor Licence does not take a document of kind 'fire_certificate'"
    )
    assert nothing_stored()


def test_the_api_refuses_a_kind_list_that_does_not_match_the_files(
    caseworker: TestClient,
) -> None:
    response = api_apply(caseworker, ["application_form"])
    assert response.status_code == 422
    assert "2 files but 1 kinds were sent" in response.json()["error"]
    missing = caseworker.post(
        "/api/cases",
        data={"permit_type": FOOD},
        files=[("files", ("form.png", png(), ""))],
        headers={"X-CSRF-Token": csrf(caseworker)},
    )
    assert missing.status_code == 422
    assert "kinds" in missing.json()["error"]
    no_id = caseworker.post(
        "/api/cases",
        data={"permit_type": FOOD, "kinds": ["application_form"]},
        files=[("files", ("form.png", png(), ""))],
        headers={"X-CSRF-Token": csrf(caseworker)},
    )
    assert no_id.status_code == 422
    assert no_id.json()["error"].startswith(
        "Copy of the applicant's Hong Kong identity card: this document (id_card) is required"
    )
    assert nothing_stored()


def test_the_api_checks_the_applicants_details(caseworker: TestClient) -> None:
    response = api_apply(
        caseworker, ["id_card", "application_form"], applicant_name="Ann", applicant_email="ann"
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("email: This does not look like an e-mail")
    assert nothing_stored()
