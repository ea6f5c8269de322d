"""The case page's letters: each letter's language and version, every version downloadable, and
the reissue form (a reason required) for the staff who decide cases."""

from __future__ import annotations

import re

from sqlmodel import col, select

from cases.db import session_scope
from cases.letters import issue_letters
from cases.models import Letter, Role
from cases.vocabulary import Language
from tests.factories import decided_case, letter_pdf
from tests.web.test_web import TestClient, add_user, log_in, token_from

LIQUOR = "liquor-licence"  # letters in both languages


def _letters(case_id: int) -> list[Letter]:
    with session_scope() as session:
        statement = select(Letter).where(Letter.case_id == case_id).order_by(col(Letter.id))
        return list(session.exec(statement))


def _rows(html: str) -> list[str]:
    section = html[html.index('id="letters-heading"') : html.index('id="audit-heading"')]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)][1:]  # fmt: skip


def test_the_case_page_lists_each_letter_with_its_language_and_version(
    caseworker: TestClient,
) -> None:
    case_id = decided_case("approve", permit_type=LIQUOR, language=Language.ZH_HANT)
    chinese, english = issue_letters(case_id)

    page = caseworker.get(f"/cases/{case_id}")

    rows = _rows(page.text)
    assert rows[0].startswith("approve letter (繁體中文, version 1, PDF) 繁體中文 1")
    assert rows[0].endswith("Current")
    assert rows[1].startswith("approve letter (English, version 1, PDF) English 1")
    for letter in (chinese, english):
        response = caseworker.get(f"/cases/{case_id}/letters/{letter.id}.pdf")
        assert response.status_code == 200
        assert response.content == letter_pdf(letter)


def test_a_caseworker_reissues_a_letter_and_both_versions_stay_downloadable(
    caseworker: TestClient,
) -> None:
    case_id = decided_case("approve")
    [first] = issue_letters(case_id)
    token = token_from(caseworker.get(f"/cases/{case_id}").text)

    response = caseworker.post(
        f"/cases/{case_id}/letters/reissue",
        data={"language": "en", "reason": "Address corrected.", "csrf_token": token},
    )

    assert response.status_code == 200  # followed the redirect to the case page
    assert "Letter reissued in English as version 2" in response.text
    rows = _rows(response.text)
    assert rows[0].startswith("approve letter (English, version 1, PDF)")
    assert "Superseded" in rows[0]
    assert "Reason: Address corrected." in rows[1]
    assert "by casey" in rows[1]
    assert rows[1].endswith("Current")
    old, new = _letters(case_id)
    assert old.id == first.id
    for letter in (old, new):
        download = caseworker.get(f"/cases/{case_id}/letters/{letter.id}.pdf")
        assert download.status_code == 200
        assert (
            f'filename="approve.en.v{letter.version}.pdf"'
            in download.headers["content-disposition"]
        )


def test_a_reissue_without_a_reason_is_refused_and_keeps_what_was_chosen(
    caseworker: TestClient,
) -> None:
    case_id = decided_case("approve")
    issue_letters(case_id)
    token = token_from(caseworker.get(f"/cases/{case_id}").text)

    response = caseworker.post(
        f"/cases/{case_id}/letters/reissue",
        data={"language": "zh-Hant", "reason": "  ", "csrf_token": token},
    )

    assert response.status_code == 422
    assert "Give the reason for reissuing the letter" in response.text
    assert '<option value="zh-Hant" selected>' in response.text
    assert len(_letters(case_id)) == 1


def test_an_auditor_is_not_offered_the_reissue_form_and_cannot_post_it(
    client: TestClient,
) -> None:
    add_user("audrey", Role.AUDITOR)
    assert log_in(client, "audrey").status_code == 303
    case_id = decided_case("approve")
    issue_letters(case_id)

    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "Reissue the letter" not in page.text

    response = client.post(
        f"/cases/{case_id}/letters/reissue",
        data={"language": "en", "reason": "x", "csrf_token": token_from(page.text)},
    )
    assert response.status_code == 403
    assert len(_letters(case_id)) == 1
