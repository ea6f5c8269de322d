"""English / Traditional Chinese: every marked message is translated, and the pages switch."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from cases.access.applicant_codes import _STATUS_TEXT
from tests.web.test_console import _look_up, _with_code, post, refused_case
from tests.web.test_web import TestClient, case_at_decision_gate, stored_case, token_from
from web.i18n import _AWAITED_TEXTS, data_messages, extract_messages

WEB = Path(__file__).resolve().parents[2] / "web"
PO = WEB / "locale" / "zh_Hant" / "LC_MESSAGES" / "messages.po"
FIX = (
    "run `python -m web.i18n`, translate the entries with an empty msgstr in messages.po "
    "and run it again"
)


def _catalogue() -> Catalog:
    with PO.open("rb") as po:
        return read_po(po, locale="zh_Hant")


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else (message.id,)


def _translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, list | tuple) else (message.string,)
    return all(strings)


def test_every_marked_message_has_a_chinese_translation() -> None:
    """Babel extracts what the templates and routes mark (and what they translate from data)."""
    catalogue = _catalogue()
    extracted = [m for m in extract_messages() if m.id]
    assert len(extracted) > 150  # the extraction reads the pages (a broken babel.cfg reads none)
    missing = [
        _ids(m)[0] for m in extracted if not _translated(catalogue.get(m.id, context=m.context))
    ]
    assert not missing, f"{FIX}; untranslated: {missing}"


def test_translations_keep_their_placeholders() -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalogue().check() if errors]
    assert not problems


def _compiled(compiled: gettext.NullTranslations, message: Message) -> str:
    if message.context:  # one English word, two meanings (msgctxt)
        return compiled.pgettext(message.context, str(message.id))
    return compiled.gettext(str(message.id))


def test_compiled_catalogue_matches_the_po_file() -> None:
    compiled = gettext.translation("messages", WEB / "locale", languages=["zh_Hant"])
    stale = [
        m.id
        for m in _catalogue()
        if m.id and not m.pluralizable and _compiled(compiled, m) != m.string
    ]
    assert not stale, f"{FIX} (it compiles messages.mo); stale: {stale}"


def test_data_messages_cover_the_status_texts_and_enum_values() -> None:
    messages = set(data_messages())
    assert set(_STATUS_TEXT.values()) <= messages
    assert {"awaiting decision", "request info", "senior caseworker", "verify fields"} <= messages


def _choose(client: TestClient, language: str, page: str) -> None:
    token = token_from(client.get(page).text)
    client.post("/language", data={"lang": language, "next": page, "csrf_token": token})


def _assert_chinese(page: str, chinese: tuple[str, ...], english: tuple[str, ...]) -> None:
    assert '<html lang="zh-Hant">' in page
    assert [text for text in chinese if text not in page] == []
    assert [text for text in english if text in page] == []


def test_inbox_in_chinese(caseworker: TestClient) -> None:
    case_at_decision_gate()
    _choose(caseworker, "zh-Hant", "/inbox")
    page = caseworker.get("/inbox").text
    _assert_chinese(
        page,
        chinese=(
            "<h1>收件匣</h1>",
            "我的小組：1 項工作待處理",
            "我已認領",
            "作出決定",
            "建議：<strong>批准</strong>",
            "食物業牌照",
            "最近個案",
            "等候決定",
            "篩選",
            "到期日",
        ),
        english=(
            ">Inbox<",
            "My team",
            "task waiting",
            "Proposed:",
            "Food Business Licence",
            "Recent cases",
            "awaiting decision",
            ">Filter<",
            ">Due<",
        ),
    )


def test_case_page_in_chinese(caseworker: TestClient) -> None:
    case_id, task_id = refused_case()
    _choose(caseworker, "zh-Hant", f"/cases/{case_id}")
    page = caseworker.get(f"/cases/{case_id}").text
    _assert_chinese(
        page,
        chinese=(
            "食物業牌照",
            "資格審核",
            "按規則版本 2026.1 得出的結果：<strong>拒絕</strong>",
            "最小樓面面積",  # the rule's own Chinese title
            "處所樓面面積為 8 平方米，少於食物業所需的最小面積 10 平方米。",  # and reason
            "不符合",
            "不適用",
            "只在以下情況適用：",
            "法律依據",
            "讀取的數值",
            "HK$3,340.00",
            "相符的列：1（共 8 列）。",
            "讀取所得欄位",
            "申請人姓名",  # the field's Chinese label
            "申請表格 FBL-1",  # the document's Chinese name
            "建議結果：<strong>拒絕</strong>",
            "拒絕理由（會引述於信件內）",
            "審計記錄",
            "個案主任",
        ),
        english=(
            "Food Business Licence",
            "Eligibility",
            "Minimum floor area",
            "less than the minimum",
            "Passed",
            "Failed",
            "Not applicable",
            "Legal reference",
            "Extracted fields",
            "Name of applicant",
            "Application form FBL-1",
            "Proposed outcome",
            "Audit trail",
            "Request information",
            ">Refuse<",
        ),
    )
    # Flash messages from the routes follow the page's language too.
    post(caseworker, f"/tasks/{task_id}/claim", next=f"/cases/{case_id}")
    claimed = caseworker.get(f"/cases/{case_id}").text
    assert "已認領工作：同事會看到你正在處理。" in claimed
    refused = post(caseworker, f"/tasks/{task_id}/decide", decision="refuse", reason="")
    assert refused.status_code == 422
    assert "拒絕申請必須提供理由" in refused.text


def test_upload_page_in_chinese(caseworker: TestClient) -> None:
    _choose(caseworker, "zh-Hant", "/upload")
    page = caseworker.get("/upload").text
    _assert_chinese(
        page,
        chinese=("<h1>新申請</h1>", "牌照類別", "申請人香港身份證副本", "提交申請"),
        english=("New application", "Permit type", "identity card", "Submit application"),
    )


def test_applicant_switches_the_status_page_to_chinese(client: TestClient) -> None:
    case_id, _task_id = case_at_decision_gate()
    code = _with_code(case_id)
    _choose(client, "zh-Hant", "/status")
    form = client.get("/status")
    assert '<html lang="zh-Hant">' in form.text
    assert "查詢您的申請" in form.text
    assert "參考編號" in form.text
    page = _look_up(client, stored_case(case_id).reference, code)
    assert "等候牌照事務處作出決定" in page.text
    assert "暫時不需要您提交任何資料" in page.text  # what the office waits for, from data
    submitted = stored_case(case_id).submitted_at
    assert f"{submitted.year}年{submitted.month}月{submitted.day}日" in page.text
    wrong = _look_up(client, stored_case(case_id).reference, "AAAA-BBBB-CCCC")
    assert "沒有申請與此參考編號及查詢碼相符" in wrong.text
    for shown in (form, page, wrong):
        assert "你" not in shown.text  # the public is addressed formally (您)
    _choose(client, "en", "/status")
    assert "Check your application" in client.get("/status").text


# What a member of the public reads: addressed as 您, never the informal 你 (staff pages may).
_PUBLIC_SOURCES = {
    "web/views/apply.html",
    "web/views/apply_choose.html",
    "web/views/apply_received.html",
    "web/views/status.html",
    "web/routes/apply.py",
    "web/routes/status.py",
}
_TEMPLATES = WEB.parent / "templates"


def test_the_public_is_addressed_formally_in_chinese() -> None:
    informal = [
        _ids(message)[0]
        for message in _catalogue()
        if message.id
        and any(path in _PUBLIC_SOURCES for path, _line in message.locations)
        and "你" in str(message.string)
    ]
    assert informal == []
    catalogue = _catalogue()
    for text in {*_STATUS_TEXT.values(), *_AWAITED_TEXTS}:  # the status page's, from data
        assert "你" not in str(catalogue.get(text).string), text
    written = [
        *_TEMPLATES.glob("messages/*.zh-Hant.txt.j2"),
        *_TEMPLATES.rglob("*.zh-Hant.html.j2"),
    ]
    assert written
    for word in ("你", "閣下"):  # one form of address in every message and letter: 您
        assert [path.name for path in written if word in path.read_text(encoding="utf-8")] == []


@pytest.mark.parametrize("language", ["klingon", ""])
def test_an_unknown_language_keeps_english(client: TestClient, language: str) -> None:
    _choose(client, language, "/login")
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Username" in page.text


def _in_chinese(fact: object, permit_type: str = "food-business-licence") -> str:
    from web.i18n import _current, fact_text

    token = _current.set("zh-Hant")
    try:
        return fact_text(fact, permit_type)  # type: ignore[arg-type]
    finally:
        _current.reset(token)


def test_flag_reasons_show_in_chinese_with_what_was_read_kept() -> None:
    """Why a field was flagged is stored as a fact and said in Chinese from it; made here by the
    extraction code itself, so a reason without its translation fails this test."""
    from cases.catalogue import get_permit_type
    from cases.extraction import flag_reason
    from cases.values import problems

    permit = get_permit_type("food-business-licence").permit
    name, area = permit.field("business_name"), permit.field("floor_area_m2")
    not_a_date = problems.NOT_A_DATE(text="3O/02")
    stored = [
        (flag_reason(name, "", 0.0, None), "必填欄位空白或無法辨識"),
        (flag_reason(name, "X", 0.9, not_a_date), "數值未能通過驗證：「3O/02」不是日期"),
        (
            flag_reason(name, "TADE GARDEN", 0.8, None, "JADE GARDEN"),
            "手寫內容可讀作兩種：「TADE GARDEN」或「JADE GARDEN」；請核對實際寫的是哪一個",
        ),
        (
            flag_reason(area, "4200", 1.0, None),
            "4200 超出一般範圍 5 至 500；請與文件核對（小數點容易遺漏）",
        ),
        (
            flag_reason(name, "JADE GARDEN", 0.31, None),
            "光學字元辨識信心度 0.31 低於此欄位的門檻 0.40",
        ),
    ]
    assert [_in_chinese(fact)[: len(zh)] for fact, zh in stored] == [zh for _, zh in stored]
    assert _in_chinese("a reason stored before facts were") == "a reason stored before facts were"


def test_a_verification_tasks_reasons_show_in_chinese_field_by_field() -> None:
    """The task's reason names each field by its label in the reader's language."""
    from cases.extraction import reasons
    from cases.facts import render

    reason = reasons.verification_reason(
        [
            ("business_name", reasons.READS_TWO_WAYS(first="TADE GARDEN", second="JADE GARDEN")),
            ("hygiene_staff", reasons.LOW_CONFIDENCE(confidence=0.48, threshold=0.6)),
            ("fire_certificate_document_type", reasons.REQUIRED_EMPTY()),
        ],
        total=13,
    )
    shown = _in_chinese(reason)
    assert shown.startswith("13 個欄位中有 3 個須核對：")
    assert shown.split("：", 1)[1].split("；") == [
        "食物業名稱：手寫內容可讀作兩種：「TADE GARDEN」或「JADE GARDEN」",
        "請核對實際寫的是哪一個",
        "持有衞生經理證書的員工人數：光學字元辨識信心度 0.48 低於此欄位的門檻 0.60",
        "消防裝置及設備證書（FS 251）（文件類別）：必填欄位空白或無法辨識",
    ]
    assert render(reason).startswith("3 of 13 fields to check: business_name: the handwriting")
    unknown_permit = _in_chinese(reason, "no-such-permit")
    assert "business_name：手寫內容可讀作兩種" in unknown_permit  # the field's id, still translated


def test_the_inbox_says_a_mostly_unreadable_form_once() -> None:
    """Eleven "required field is empty" lines are one wrong page, not eleven problems."""
    from cases.extraction import reasons, summarise_checks
    from cases.facts import render

    names = [f"field_{n}" for n in range(13)]
    blank = reasons.verification_reason(
        [(name, reasons.REQUIRED_EMPTY()) for name in names[:11]], total=13
    )
    assert render(summarise_checks(blank)) == (
        "11 of 13 fields unreadable: is this the right page or document?"
    )
    assert _in_chinese(summarise_checks(blank)).startswith("13 個欄位中有 11 個無法辨識")
    few = reasons.verification_reason([(names[0], reasons.REQUIRED_EMPTY())], total=13)
    assert summarise_checks(few) == few  # one unreadable field is said as it is
    many = reasons.verification_reason(
        [(name, reasons.LOW_CONFIDENCE(confidence=0.4, threshold=0.6)) for name in names[:5]],
        total=13,
    )
    assert render(summarise_checks(many)).endswith("; and 2 more on the case page")
