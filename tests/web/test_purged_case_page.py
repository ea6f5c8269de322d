"""The case page of a case retention purged says so plainly in both languages, links to no
document or letter, and a document's address answers that it was removed (not a server error)."""

from __future__ import annotations

from sqlmodel import select

from cases.db import session_scope
from cases.models import Document, Letter
from cases.retention import run_retention
from tests.factories import closed_case
from tests.web.test_web import TestClient, token_from


def _purged() -> tuple[int, int, int]:
    case_id = closed_case(b"a scan for the page test", years_ago=8)
    with session_scope() as session:
        document = session.exec(select(Document).where(Document.case_id == case_id)).first()
        letter = session.exec(select(Letter).where(Letter.case_id == case_id)).first()
        assert document is not None
        assert letter is not None
        ids = (document.id or 0, letter.id or 0)
    assert [c.case_id for c in run_retention().cases] == [case_id]
    return case_id, *ids


def test_a_purged_case_says_so_and_offers_nothing_removed(caseworker: TestClient) -> None:
    case_id, document_id, letter_id = _purged()
    page = caseworker.get(f"/cases/{case_id}").text
    assert "This case's retention period has ended" in page
    assert "decision record (outcome, dates, rule set, fee and the rules that failed) is kept" in (
        " ".join(page.split())
    )
    assert f"/documents/{document_id}" not in page
    assert f"/letters/{letter_id}.pdf" not in page
    assert "Reissue a letter" not in page
    assert "CHAN" not in page  # nor the applicant's name, anywhere (audit trail included)

    answer = caseworker.get(f"/cases/{case_id}/documents/{document_id}")
    assert answer.status_code == 410
    assert "retention period has ended" in answer.text
    assert caseworker.get(f"/cases/{case_id}/letters/{letter_id}.pdf").status_code == 410


def test_a_purged_case_says_so_in_chinese(caseworker: TestClient) -> None:
    case_id, _document, _letter = _purged()
    token = token_from(caseworker.get(f"/cases/{case_id}").text)
    caseworker.post(
        "/language", data={"lang": "zh-Hant", "next": f"/cases/{case_id}", "csrf_token": token}
    )
    page = caseworker.get(f"/cases/{case_id}").text
    assert "此個案的保存期限已屆滿" in page
    assert "已按保存期限刪除" in page
