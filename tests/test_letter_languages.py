"""Letters in both official languages: which language a case's letters come in, what the Chinese
letter reads like, the PDF an applicant opens (fonts, pages, metadata), and the message that
tells the applicant.
"""

from __future__ import annotations

import ctypes
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from sqlmodel import col, select

from cases.db import session_scope
from cases.letters import issue_letters
from cases.lifecycle import CaseStatus
from cases.models import AuditEvent, Case, Letter, MessageKind, OutboxMessage
from cases.vocabulary import Language
from tests.factories import decided_case, letter_pdf

pytestmark = pytest.mark.usefixtures("db")
LIQUOR = "liquor-licence"  # its permit.yaml says letters: {languages: both}
# The liquor rule set's own inline test input for a restaurant, with an applicant under age.
UNDER_AGE = {
    "business_name": "Golden Noodle House",
    "premises_type": "Restaurant",
    "applicant_age": 17,
    "food_licence_no": "FBL-2026-000123",
    "floor_area_m2": 80,
    "seating_capacity": 60,
    "closing_hour": 23,
    "residential_building": True,
    "distance_to_school_m": 60,
    "liquor_conviction": False,
}


@dataclass(frozen=True)
class Page:
    text: str
    fonts: dict[str, str]  # character -> the font pdfium says draws it


def _font_of(textpage: pdfium.PdfTextPage, index: int) -> str:
    buffer = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, 256, ctypes.byref(flags))
    return buffer.value.decode("latin-1")


@contextmanager
def _opened(pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    document = pdfium.PdfDocument(pdf)
    try:
        yield document
    finally:
        document.close()


def _pages(pdf: bytes) -> list[Page]:
    pages = []
    with _opened(pdf) as document:
        for page in document:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            fonts = {char: _font_of(textpage, i) for i, char in enumerate(text) if char.strip()}
            pages.append(Page(text.replace("\r\n", "\n"), fonts))
    return pages


def _metadata(pdf: bytes) -> dict[str, str]:
    with _opened(pdf) as document:
        return dict(document.get_metadata_dict())


def _case(case_id: int) -> Case:
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def _messages(case_id: int) -> list[OutboxMessage]:
    with session_scope() as session:
        statement = select(OutboxMessage).where(OutboxMessage.case_id == case_id)
        return list(session.exec(statement.order_by(col(OutboxMessage.id))))


def _letters(case_id: int) -> list[Letter]:
    with session_scope() as session:
        statement = select(Letter).where(Letter.case_id == case_id).order_by(col(Letter.id))
        return list(session.exec(statement))


def test_an_applicant_who_reads_chinese_gets_one_letter_in_traditional_chinese() -> None:
    case_id = decided_case("approve", language=Language.ZH_HANT)

    [letter] = issue_letters(case_id)

    assert letter.language == "zh-Hant"
    assert letter.template == "food-business-licence/approve.zh-Hant.html.j2"
    [page] = _pages(letter_pdf(letter))
    assert "食物業牌照：原則上批准" in page.text
    assert "敬啟者：" in page.text
    assert "Dear" not in page.text
    # dates as a Chinese reader writes them
    assert f"{letter.created_at.year}年{letter.created_at.month}月" in page.text
    # every Chinese character is drawn by the embedded CJK face, not a box from a Latin font
    faces = {page.fonts[char].split("+")[-1] for char in "食物業牌照批准敬啟者"}
    assert all(face.startswith("Noto-Sans-CJK-HK") for face in faces), faces


def test_an_applicant_without_a_preference_gets_english() -> None:
    [letter] = issue_letters(decided_case("approve"))

    assert letter.language == "en"
    assert "approval in principle" in _pages(letter_pdf(letter))[0].text


def test_a_permit_whose_letters_come_in_both_languages_issues_both_and_one_message() -> None:
    case_id = decided_case("approve", permit_type=LIQUOR, language=Language.EN)

    letters = issue_letters(case_id)

    assert [letter.language for letter in letters] == ["en", "zh-Hant"]
    english, chinese = (_pages(letter_pdf(letter))[0].text for letter in letters)
    assert "Liquor Licence: licence granted" in english
    assert "酒牌：批給牌照" in chinese
    [message] = _messages(case_id)
    assert message.kind == MessageKind.DECISION
    assert message.letter_ids == [letter.id for letter in letters]
    assert message.facts == {"reference": _case(case_id).reference, "outcome": "approve"}
    assert _case(case_id).status == CaseStatus.LETTER_ISSUED


def test_issuing_again_records_nothing_more_in_either_language() -> None:
    case_id = decided_case("approve", permit_type=LIQUOR)
    first = issue_letters(case_id)

    again = issue_letters(case_id)

    assert [letter.id for letter in again] == [letter.id for letter in first]
    assert len(_letters(case_id)) == 2
    assert len(_messages(case_id)) == 1


def test_a_language_already_issued_is_not_printed_again_only_the_missing_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Idempotent per (decision, language): an English letter recorded before the permit wanted
    both languages does not stop the Chinese one, and is not duplicated."""
    case_id = decided_case("approve", permit_type=LIQUOR)
    drafting = importlib.import_module("cases.letters.drafting")
    printed: list[str] = []
    print_pdf = drafting.print_pdf

    def counting(html: str, what: str, root: object = None) -> bytes:
        printed.append(str(what))
        return print_pdf(html, what)

    monkeypatch.setattr(drafting, "print_pdf", counting)
    [english] = _issue_in_english_only(case_id)

    letters = issue_letters(case_id)

    assert [letter.language for letter in letters] == ["en", "zh-Hant"]
    assert letters[0].id == english.id
    assert printed == [english.template, "liquor-licence/approve.zh-Hant.html.j2"]
    assert _messages(case_id)[-1].letter_ids == [letters[1].id]


def _issue_in_english_only(case_id: int) -> list[Letter]:
    """What the letter stage did before letters came in two languages: the English letter
    recorded, the case left decided (here, as if the run stopped before moving it on)."""
    drafting = importlib.import_module("cases.letters.drafting")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        draft = drafting.draft_letter(session, case, "en")
    printed = drafting.print_letter(draft)
    with session_scope() as session:
        return [drafting.record_letter(session, printed, actor="system:letters")]


def test_a_refusal_in_chinese_cites_the_rules_own_chinese_reason() -> None:
    case_id = decided_case("refuse", "申請人未符合年齡規定。", permit_type=LIQUOR, values=UNDER_AGE)

    english, chinese = issue_letters(case_id)

    chinese_text = _pages(letter_pdf(chinese))[0].text
    assert "申請人年齡為 17 歲；持牌人須年滿 18 歲。" in chinese_text
    assert "申請人未符合年齡規定。" in chinese_text
    assert "a licensee must be at least 18" not in chinese_text
    english_text = _pages(letter_pdf(english))[0].text
    assert "The applicant is 17; a licensee must be at least 18." in english_text


def test_fees_print_for_each_reader() -> None:
    restaurant = {**UNDER_AGE, "applicant_age": 42}
    case_id = decided_case("approve", permit_type=LIQUOR, values=restaurant)

    english, chinese = issue_letters(case_id)

    assert "HK$3,280.00" in _pages(letter_pdf(english))[0].text
    assert "港幣3,280.00元" in _pages(letter_pdf(chinese))[0].text


def test_licence_conditions_print_in_the_letters_language() -> None:
    restaurant = {**UNDER_AGE, "applicant_age": 42}  # in a residential building
    case_id = decided_case("approve", permit_type=LIQUOR, values=restaurant)

    english, chinese = issue_letters(case_id)

    chinese_text = _pages(letter_pdf(chinese))[0].text
    assert "晚上11時後須關閉門窗。" in chinese_text
    assert "Keep doors and windows closed" not in chinese_text
    assert "doors_closed_after_11pm" not in chinese_text  # the stored code is never printed
    assert "Keep doors and windows closed after 11 pm." in _pages(letter_pdf(english))[0].text


@pytest.mark.parametrize(
    ("language", "numbering", "reference_label", "author"),
    [
        ("en", "Page {n} of {total}", "Our reference: {ref}", "Licensing Office"),
        ("zh-Hant", "第 {n} 頁，共 {total} 頁", "本處檔號：{ref}", "牌照事務處 Licensing Office"),
    ],
)
def test_every_page_carries_its_number_and_the_case_reference_and_the_pdf_names_itself(
    language: str, numbering: str, reference_label: str, author: str
) -> None:
    long_reason = "\n".join(
        f"Paragraph {n}: the premises inspection found the matters set out here." * 3
        for n in range(40)
    )
    case_id = decided_case("refuse", long_reason, language=Language(language))
    reference = _case(case_id).reference

    [letter] = issue_letters(case_id)

    pdf = letter_pdf(letter)
    pages = _pages(pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert numbering.format(n=n, total=len(pages)) in page.text
        assert reference_label.format(ref=reference) in page.text
    metadata = _metadata(pdf)
    assert reference in metadata["Title"]
    assert metadata["Author"] == author


def test_nothing_is_recorded_or_sent_when_the_letters_cannot_be_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The message is written in the letters' transaction: no letter, no message."""
    case_id = decided_case("approve", permit_type=LIQUOR)
    issuing = importlib.import_module("cases.letters.issue")

    def refused(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(issuing, "transition", refused)
    with pytest.raises(RuntimeError, match="went away"):
        issue_letters(case_id)

    assert _letters(case_id) == []
    assert _messages(case_id) == []
    assert _case(case_id).status == CaseStatus.DECIDED
    with session_scope() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.case_id == case_id)).all()
    assert "letter.issued" not in actions
    assert "message.queued" not in actions
