"""English / Traditional Chinese: the switch, the public pages in Chinese, catalogue in sync."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

from cases.access import _STATUS_TEXT, WrongAccessCode
from tests.web.test_console import _look_up, _with_code
from tests.web.test_web import TestClient, stored_case, submitted_case, token_from

WEB = Path(__file__).resolve().parents[2] / "web"
PO = WEB / "locale" / "zh_Hant" / "LC_MESSAGES" / "messages.po"
TRANSLATED_VIEWS = ("base.html", "login.html", "error.html", "status.html")


def _po_entries() -> dict[str, str]:
    text = PO.read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid (".*")\nmsgstr (".*")$', text, flags=re.MULTILINE)
    return {ast.literal_eval(k): ast.literal_eval(v) for k, v in pairs if k != '""'}


def test_compiled_catalogue_matches_the_po_file_and_covers_the_pages() -> None:
    compiled = gettext.translation("messages", WEB / "locale", languages=["zh_Hant"])
    entries = _po_entries()
    stale = {k for k, v in entries.items() if compiled.gettext(k) != v}
    assert not stale, f"run msgfmt -o messages.mo messages.po in {PO.parent}; stale: {stale}"
    marked = {
        m.group(2)
        for view in TRANSLATED_VIEWS
        for m in re.finditer(r'_\((["\'])(.+?)\1', (WEB / "views" / view).read_text())
    }
    wanted = marked | set(_STATUS_TEXT.values()) | {str(WrongAccessCode())}
    assert wanted - set(entries) == set()


def _choose(client: TestClient, language: str, page: str) -> None:
    token = token_from(client.get(page).text)
    client.post("/language", data={"lang": language, "next": page, "csrf_token": token})


def test_applicant_switches_the_status_page_to_chinese(client: TestClient) -> None:
    case_id = submitted_case()
    code = _with_code(case_id)
    _choose(client, "zh-Hant", "/status")
    form = client.get("/status")
    assert '<html lang="zh-Hant">' in form.text
    assert "查詢你的申請" in form.text
    assert "參考編號" in form.text
    page = _look_up(client, stored_case(case_id).reference, code)
    assert "已收到；正在讀取文件" in page.text
    wrong = _look_up(client, stored_case(case_id).reference, "AAAA-BBBB-CCCC")
    assert "沒有申請與此參考編號及查詢碼相符" in wrong.text
    _choose(client, "en", "/status")
    assert "Check your application" in client.get("/status").text


def test_an_unknown_language_keeps_english(client: TestClient) -> None:
    _choose(client, "klingon", "/login")
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Username" in page.text
