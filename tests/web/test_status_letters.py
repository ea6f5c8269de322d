"""The letters sent to an applicant, listed on the status page and downloaded there with the
reference and access code (for an applicant who gave no e-mail address, or lost the message)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from cases.access import issue_access_code
from cases.db import session_scope
from cases.letters import issue_letters, reissue_letter
from cases.repository import get_case, get_case_by_reference
from cases.vocabulary import Language
from tests.factories import CASEWORKER, decided_case
from tests.web.test_status_answer import _choose_chinese, _look_up
from tests.web.test_web import token_from

pytestmark = pytest.mark.usefixtures("db")


def _decided(language: Language = Language.EN) -> tuple[str, str, int]:
    """A case approved and its letter issued; its reference, access code and letter id."""
    case_id = decided_case("approve", language=language)
    [letter] = issue_letters(case_id)
    with session_scope() as session:
        case = get_case(session, case_id)
        return case.reference, issue_access_code(session, case), letter.id or 0


def _download(
    client: TestClient, reference: str, code: str, letter_id: int, *, csrf: bool = True
) -> httpx.Response:
    data = {"reference": reference, "access_code": code, "letter_id": str(letter_id)}
    if csrf:
        data["csrf_token"] = token_from(client.get("/status").text)
    response: httpx.Response = client.post("/status/letter", data=data)
    return response


def test_the_decision_letter_is_listed_and_downloads_as_a_pdf(client: TestClient) -> None:
    reference, code, letter_id = _decided()
    page = _look_up(client, reference, code).text
    assert "Letters we sent you" in page
    assert "Decision letter: approved (English, " in page
    assert f'name="letter_id" value="{letter_id}"' in page

    pdf = _download(client, reference, code, letter_id)

    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f"{reference}-approve-en.pdf" in pdf.headers["content-disposition"]
    assert "no-store" in pdf.headers["cache-control"]


def test_a_chinese_applicant_sees_the_letter_named_in_chinese(client: TestClient) -> None:
    reference, code, _letter_id = _decided(Language.ZH_HANT)
    _choose_chinese(client)
    page = _look_up(client, reference, code).text
    assert "我們寄給您的信件" in page
    assert "決定信：批准（繁體中文，20" in page


def test_a_reissued_letter_is_offered_in_its_new_version_only(client: TestClient) -> None:
    reference, code, first = _decided()
    with session_scope() as session:
        case_id = get_case_by_reference(session, reference).id or 0
    second = reissue_letter(case_id, "en", "Address corrected.", actor=CASEWORKER).id or 0

    page = _look_up(client, reference, code).text
    assert f'name="letter_id" value="{second}"' in page
    assert f'name="letter_id" value="{first}"' not in page
    assert _download(client, reference, code, first).status_code == 404
    assert _download(client, reference, code, second).status_code == 200


def test_another_cases_letter_and_a_wrong_code_open_nothing(client: TestClient) -> None:
    reference, code, _mine = _decided()
    _other_reference, _other_code, theirs = _decided()

    other = _download(client, reference, code, theirs)
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("text/html")
    assert "not one of this application" in other.text

    wrong = _download(client, reference, "AAAA-BBBB-CCCC", theirs)
    assert wrong.status_code == 404
    assert "No application matches this reference and access code" in wrong.text
    assert not wrong.content.startswith(b"%PDF-")


def test_a_download_needs_the_forms_token(client: TestClient) -> None:
    reference, code, letter_id = _decided()
    refused = _download(client, reference, code, letter_id, csrf=False)
    assert refused.status_code == 403
    assert not refused.content.startswith(b"%PDF-")
