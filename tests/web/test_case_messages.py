"""Staff see a case's messages to the applicant on the case page, in both languages, and a message
that did not reach the applicant stands out as needing action."""

from __future__ import annotations

from cases.db import session_scope
from cases.models import Applicant, Case, DeliveryStatus, MessageKind
from cases.notifications import queue_message, send_due_messages
from cases.vocabulary import Language
from tests.factories import decided_case
from tests.web.test_web import TestClient, token_from


def _case_with_messages() -> int:
    """A case with a sent acknowledgement (written as .eml), a decision the server refused, and
    a reminder for an applicant who has no e-mail address."""
    case_id = decided_case("approve")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        applicant = Applicant(name="Chan", email="chan@example.hk", preferred_language=Language.EN)
        session.add(applicant)
        session.flush()
        case.applicant_id = applicant.id
        queue_message(session, case, MessageKind.ACKNOWLEDGEMENT, actor="test")
    send_due_messages()
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        refused = queue_message(session, case, MessageKind.DECISION, actor="test")
        refused.status, refused.attempts = DeliveryStatus.FAILED, 1
        refused.last_error = "550 5.1.1 mailbox unavailable"
        applicant = session.get(Applicant, case.applicant_id)
        assert applicant is not None
        applicant.email, applicant.preferred_language = None, Language.ZH_HANT
        queue_message(session, case, MessageKind.REMINDER, actor="test")
    return case_id


def _messages_section(page: str) -> str:
    return page.split('aria-labelledby="messages-heading"')[1].split("</section>")[0]


def test_the_case_page_lists_each_message_and_what_needs_action(caseworker: TestClient) -> None:
    case_id = _case_with_messages()

    section = _messages_section(caseworker.get(f"/cases/{case_id}").text)

    assert "Messages to the applicant" in section
    assert "2 messages did not reach the applicant and need action." in section
    rows = section.split("<tr")[2:]  # after the header row
    assert len(rows) == 3
    acknowledgement, decision, reminder = rows
    assert "acknowledgement" in acknowledgement
    assert "chan@example.hk" in acknowledgement
    assert 'class="badge badge-good">sent<' in acknowledgement
    assert "Needs action" not in acknowledgement
    assert 'class="needs-action"' in decision
    assert "550 5.1.1 mailbox unavailable" in decision
    assert "Needs action: not delivered" in decision
    assert 'class="needs-action"' in reminder
    assert "Traditional Chinese" in reminder
    assert "no address" in reminder
    assert "the applicant gave no e-mail address" in reminder


def test_the_messages_read_in_chinese_for_chinese_staff(caseworker: TestClient) -> None:
    case_id = _case_with_messages()
    token = token_from(caseworker.get(f"/cases/{case_id}").text)
    caseworker.post(
        "/language", data={"lang": "zh-Hant", "next": f"/cases/{case_id}", "csrf_token": token}
    )

    section = _messages_section(caseworker.get(f"/cases/{case_id}").text)

    assert "致申請人的訊息" in section
    assert "2 則訊息未能送達申請人，需要跟進。" in section
    for chinese in ("確認收件", "已發送", "發送失敗", "沒有地址", "繁體中文", "需要跟進"):
        assert chinese in section
    assert "Needs action" not in section


def test_a_case_without_messages_says_so(caseworker: TestClient) -> None:
    case_id = decided_case("approve")

    section = _messages_section(caseworker.get(f"/cases/{case_id}").text)

    assert "No message yet." in section
