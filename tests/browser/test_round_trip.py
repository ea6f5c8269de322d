"""The applicant's whole round trip in Chromium (issue 13): apply online in Chinese with a form and
an ID copy, the case is read, checked and proposed, a caseworker asks for a document, the
applicant answers on the Chinese status page, the case comes back with the new document's fields
marked new, two people approve, and a Chinese letter and three Chinese messages go out.

The stages the case flow runs between the pages (extraction, the rules, review, proposal, letters)
are called here in the test process, as the flow's tasks would call them: the browser tests' app
has no orchestrator. Reading is the one replaced step: a fake reader returns the sample's true
values instead of running easyocr, which takes minutes on the test machine's two shared cores
(the real OCR round trip is ``tests/test_case_flow.py``'s). Messages are delivered by the real
sender with no SMTP server set, so each is written as an ``.eml`` file under the data folder.
"""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import FilePayload, Page, expect
from sqlmodel import select

from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.eligibility import check_case_eligibility
from cases.extraction import extract_case
from cases.extraction.reading import DocumentsRead
from cases.gates import propose_decision
from cases.letters import issue_letters
from cases.models import Case, Document, OutboxMessage
from cases.notifications import send_due_messages
from cases.ocr.reader import FieldReading
from cases.review import review_case
from cases.settings import get_settings
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility import assert_accessible, page, switch_language
from tests.browser.test_console import log_in, log_out
from tests.browser.test_information_request import (
    ask_for_the_fire_certificate,
    open_the_request_in_chinese,
)
from tests.factories import FOOD, sample_application
from tests.test_information_requests import CERTIFICATE
from tests.web.test_web import png

pytestmark = pytest.mark.browser
__all__ = ["page"]  # the axe-ready page fixture, shared

SAMPLE = sample_application(13, overrides={"hygiene_staff": "2"})  # large premises: two
NAME = SAMPLE.truth["applicant_name"]


def _reader(seen: list[list[str]]) -> object:
    """Extraction's reader, replaced: the sample's true values from the form and the ID card, the
    certificate's from a fire certificate; records the kinds of the documents it was given."""
    fields = {spec.name for spec in get_permit_type(FOOD).permit.all_fields}

    def read(documents: list[Document], _permit_type: object) -> DocumentsRead:
        seen.append(sorted(d.kind or "" for d in documents))
        read = DocumentsRead()
        for document in documents:
            if document.kind == "fire_certificate":
                values = CERTIFICATE
            elif document.kind == "id_card":
                values = {k: v for k, v in SAMPLE.truth.items() if k.startswith("id_card_")}
            else:
                values = {
                    k: v
                    for k, v in SAMPLE.truth.items()
                    if k in fields and not k.startswith("id_card_")
                }
            for name, value in values.items():
                reading = FieldReading(name, value, 0.97, 1, (0, 0, 10, 10), "test")
                read.readings[name] = (document, reading)
        return read

    return read


def _process(case_id: int) -> None:
    """What the case flow does after an application or an answer, up to the decision gate."""
    extract_case(case_id)
    check_case_eligibility(case_id)
    review_case(case_id)
    assert propose_decision(case_id) is not None


def _file(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": "image/png", "buffer": data}


def _apply(page: Page, server: LiveServer) -> tuple[str, str]:
    page.goto(server.url + "/apply")
    switch_language(page, "繁體中文")
    page.get_by_role("link", name="食物業牌照").click()
    page.get_by_label("全名（與身份證相同）").fill(NAME)
    page.get_by_label("電郵地址").fill("cheung@example.org")
    page.get_by_label("我們給您的訊息所用的語言").select_option("zh-Hant")
    page.get_by_label("申請表格 FBL-1").set_input_files(_file("form.png", SAMPLE.form_png))
    page.get_by_label("申請人香港身份證副本").set_input_files(_file("id.png", SAMPLE.id_card_png))
    page.get_by_role("button", name="提交申請").click()
    expect(page.get_by_role("heading", name="已收到申請")).to_be_visible()
    return page.locator("#reference").inner_text(), page.locator("#access-code").inner_text()


def _delivered(outbox: Path, reference: str) -> list[EmailMessage]:
    files = sorted(outbox.glob(f"{reference}-*.eml"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [email.message_from_bytes(f.read_bytes(), policy=default) for f in files]


def test_apply_in_chinese_answer_a_request_and_receive_a_chinese_decision(
    page: Page,
    server: LiveServer,
    artifacts: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr("cases.extraction.service.read_documents", _reader(seen))
    page.set_viewport_size({"width": 1400, "height": 1000})

    reference, code = _apply(page, server)
    with session_scope() as session:
        case_id = session.exec(select(Case.id).where(Case.reference == reference)).one()
    assert case_id is not None
    _process(case_id)

    page.get_by_role("button", name="English").click()
    what = "請提供列明店舖現址的證書。"
    ask_for_the_fire_certificate(page, server, case_id, reference, what)
    request = open_the_request_in_chinese(page, server, reference, code, what)
    page.screenshot(path=artifacts / "round-trip-status-request-zh.png", full_page=True)
    assert_accessible(page, "the status page with a request, in Chinese")
    certificate = tmp_path / "certificate.png"
    certificate.write_bytes(png())
    request.get_by_label("消防裝置及設備證書（FS 251）").set_input_files(certificate)
    request.get_by_role("button", name="提交回覆").click()
    expect(page.get_by_role("status")).to_contain_text("謝謝：我們已收到您的回覆")

    _process(case_id)
    assert seen == [["application_form", "id_card"], ["fire_certificate"]]

    page.get_by_role("button", name="English").click()
    log_in(page, server, "casey")
    page.goto(f"{server.url}/cases/{case_id}")
    row = page.locator("#field-row-fire_cert_number")
    expect(row).to_contain_text(CERTIFICATE["fire_cert_number"])
    expect(row).to_contain_text("new since the request")
    expect(page.locator("#field-row-applicant_name")).not_to_contain_text("new since the request")
    expect(page.get_by_text(re.compile(r"Proposed outcome: approve\b"))).to_be_visible()
    page.screenshot(path=artifacts / "round-trip-case-answered.png", full_page=True)
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("First approval recorded: approve")).to_be_visible()
    log_out(page)

    log_in(page, server, "sam")
    page.goto(f"{server.url}/cases/{case_id}")
    page.get_by_role("button", name="Confirm approval").click()
    expect(page.get_by_text("Decision recorded: approve")).to_be_visible()

    assert issue_letters(case_id)  # what the resumed case flow does next
    page.reload()
    letter = page.get_by_role("link", name="approve letter (繁體中文, version 1, PDF)")
    pdf = page.request.get(server.url + (letter.get_attribute("href") or ""))
    assert pdf.status == 200
    (artifacts / "round-trip-letter-zh.pdf").write_bytes(pdf.body())
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf.body()))
    assert NAME in text
    assert reference in text
    assert "食物業牌照：原則上批准" in text  # the letter's title
    assert "上述申請已獲原則上批准" in text

    report = send_due_messages()
    assert len(report.sent) == 3
    assert report.failed == []
    with session_scope() as session:
        kinds = [
            (m.kind.value, m.language.value, m.status.value)
            for m in session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.case_id == case_id)
                .order_by(OutboxMessage.id)  # type: ignore[arg-type]
            )
        ]
    assert kinds == [
        ("acknowledgement", "zh-Hant", "sent"),
        ("information_request", "zh-Hant", "sent"),
        ("decision", "zh-Hant", "sent"),
    ]
    acknowledgement, asked, decision = _delivered(get_settings().outbox_dir, reference)
    for message in (acknowledgement, asked, decision):
        assert message["To"] == "cheung@example.org"
        assert message["Content-Language"] == "zh-Hant"
        assert reference in message.get_body().get_content()  # type: ignore[union-attr]
    assert "消防裝置及設備證書" in asked.get_body().get_content()  # type: ignore[union-attr]
    assert "已獲批准" in decision.get_body().get_content()  # type: ignore[union-attr]
    attachments = [part.get_filename() for part in decision.iter_attachments()]
    assert attachments == [f"{reference}-approve-zh-Hant.pdf"]
