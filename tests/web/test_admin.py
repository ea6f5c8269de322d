"""The admin pages: the catalogue with its checks and inline tests, the policy of a permit type,
letter previews, and users (add, role, deactivate) — on both databases, through TestClient."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path

import httpx
import pypdfium2 as pdfium
import pytest
from sqlmodel import col, select

from cases.access import change_role, set_active
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.errors import PermitsError
from cases.models import AuditEvent, Role, User
from cases.settings import PROJECT_ROOT, get_settings
from tests.catalogues import FOOD, catalogue_at, edit_file, four_eyes_catalogue
from tests.web.test_web import PASSWORD, TestClient, add_user, csrf, log_in

ADMIN_PAGES = [
    "/admin",
    f"/admin/permits/{FOOD}",
    f"/admin/permits/{FOOD}/letters/approve",
    f"/admin/permits/{FOOD}/letters/refuse/pdf",
    "/admin/users",
]
REFUSED = "Only administrators can open the admin pages"
RULES_FILE = f"rules/{FOOD}/eligibility-2026.yaml"


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    add_user("ada", Role.ADMIN)
    assert log_in(client, "ada").status_code == 303
    return client


def post(client: TestClient, url: str, **data: str) -> httpx.Response:
    response: httpx.Response = client.post(
        url, data={**data, "csrf_token": csrf(client)}, follow_redirects=False
    )
    return response


def text_of(html: str) -> str:
    """The page as a person reads it: tags dropped, whitespace collapsed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@contextmanager
def letter_templates_at(folder: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PERMITS_LETTER_TEMPLATES_DIR", str(folder))
        get_settings.cache_clear()
        try:
            yield folder
        finally:
            get_settings.cache_clear()
    get_settings.cache_clear()


def copied_templates(tmp_path: Path) -> Path:
    target = tmp_path / "templates" / "letters"
    shutil.copytree(PROJECT_ROOT / "templates" / "letters", target)
    return target


def line_of(path: Path, text: str) -> int:
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


# --- the catalogue -------------------------------------------------------------------------------


def test_an_admin_sees_every_permit_type_its_versions_and_test_results(admin: TestClient) -> None:
    page = admin.get("/admin")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert '<a href="/admin">Admin</a>' in page.text  # the nav link admins get
    assert "No problems" in shown
    for permit_id in ("food-business-licence", "liquor-licence", "temporary-event-permit"):
        permit_type = get_permit_type(permit_id)
        assert permit_type.permit.name.en in shown
        tests = sum(len(r.tests) for r in permit_type.rulesets)
        assert f"{tests} of {tests} passed" in shown
        for ruleset in permit_type.rulesets:
            assert f"{ruleset.version} {ruleset.effective_from}" in shown
    assert shown.count("in force today") == 3  # each has one rule set in force on 2026-11-26
    assert re.search(r"All \d+ inline tests passed", shown)


def test_the_permit_page_shows_the_policy_without_opening_the_yaml(admin: TestClient) -> None:
    page = admin.get(f"/admin/permits/{FOOD}")
    assert page.status_code == 200
    shown = text_of(page.text)
    rule_line = line_of(PROJECT_ROOT / RULES_FILE, "- id: FBL-1")
    assert f"FBL-1 {RULES_FILE}:{rule_line}" in shown
    assert "Minimum floor area 最小樓面面積" in shown
    assert "floor_area_m2 &gt;= 10" in page.text  # the expression, as written
    assert "Cap. 132X, s. 33 (illustrative)" in shown
    assert "seating_capacity &gt; 0" in page.text  # FBL-4 applies only with seats
    # the fee table, rendered as a table: inputs, then outputs, one row per band
    assert '<th scope="col" class="input">if <code>business_type</code></th>' in page.text
    assert re.search(r'<td class="output">3340</td>\s*<td class="output">A</td>', page.text)
    assert "The first matching row applies." in shown
    assert "area_per_seat" in shown
    assert "HK$ licence_fee.fee" in shown
    assert "Passed" in shown
    assert "Failed" not in shown


def test_a_broken_rule_file_shows_its_problem_with_file_and_line(
    admin: TestClient, tmp_path: Path
) -> None:
    rules = four_eyes_catalogue(tmp_path)
    with catalogue_at(rules):
        assert "No problems" in admin.get("/admin").text
        line = edit_file(  # the admin saves a typo; the page checks again on the next load
            rules / FOOD / "eligibility-2026.yaml",
            "expression: floor_area_m2 >= 10",
            "expression: floor_area_m3 >= 10",
        )
        shown = text_of(admin.get("/admin").text)
        detail = text_of(admin.get(f"/admin/permits/{FOOD}").text)
    assert (
        f"Error {RULES_FILE}:{line} rules.0.expression (FBL-1) unknown field(s) floor_area_m3"
        in shown
    )
    assert re.search(r"\d+ of \d+ inline tests failed", shown)
    assert "Failed" in detail  # the tests that now refer instead of approving
    assert f"{RULES_FILE}:{line}" in detail


def test_a_rule_file_that_does_not_load_names_the_line(admin: TestClient, tmp_path: Path) -> None:
    rules = four_eyes_catalogue(tmp_path)
    line = edit_file(
        rules / FOOD / "eligibility-2026.yaml",
        "outcome_if_failed: refer",
        "outcome_if_failed: later",
    )
    with catalogue_at(rules):
        page = admin.get("/admin")
        detail = admin.get(f"/admin/permits/{FOOD}")
    shown = text_of(page.text)
    assert "does not load" in shown
    assert f"{RULES_FILE}:{line}" in shown
    assert "outcome_if_failed" in shown
    assert detail.status_code == 200
    assert f"{RULES_FILE}:{line}" in text_of(detail.text)


# --- letter previews -----------------------------------------------------------------------------


def test_a_letter_preview_renders_the_sample_case_and_prints_a_pdf(admin: TestClient) -> None:
    page = admin.get(f"/admin/permits/{FOOD}/letters/approve")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "approval in principle" in shown
    assert "Dear <applicant_name>," in shown  # where each field lands
    assert "templates/letters/food-business-licence/approve.en.html.j2" in shown
    assert "<style" not in page.text.split('class="letter-sheet"')[1]

    pdf = admin.get(f"/admin/permits/{FOOD}/letters/approve/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    document = pdfium.PdfDocument(io.BytesIO(pdf.content))
    printed = document[0].get_textpage().get_text_range()
    assert "approved in principle" in printed


def test_a_letter_in_a_language_without_a_template_says_which_file_is_missing(
    admin: TestClient, tmp_path: Path
) -> None:
    letters = copied_templates(tmp_path)
    (letters / FOOD / "refuse.zh-Hant.html.j2").unlink()
    with letter_templates_at(letters):
        page = admin.get(f"/admin/permits/{FOOD}/letters/refuse?language=zh-Hant")
    assert page.status_code == 422
    shown = text_of(page.text)
    assert "templates/letters/food-business-licence/refuse.zh-Hant.html.j2" in shown
    assert "the letter template is missing" in shown


def test_a_template_with_an_unknown_field_shows_the_error_not_a_traceback(
    admin: TestClient, tmp_path: Path
) -> None:
    letters = copied_templates(tmp_path)
    line = edit_file(
        letters / FOOD / "approve.en.html.j2",
        "Dear {{ fields.applicant_name }},",
        "Dear {{ fields.applicant_nmae }},",
    )
    with letter_templates_at(letters):
        page = admin.get(f"/admin/permits/{FOOD}/letters/approve")
        pdf = admin.get(f"/admin/permits/{FOOD}/letters/approve/pdf")
        catalogue = text_of(admin.get("/admin").text)
    assert page.status_code == 422
    shown = text_of(page.text)
    where = f"templates/letters/food-business-licence/approve.en.html.j2:{line}"
    assert where in shown
    assert "applicant_nmae" in shown
    assert "cannot be rendered" in shown
    assert "Traceback" not in page.text
    assert pdf.status_code == 422
    assert pdf.headers["content-type"].startswith("text/html")
    assert where in catalogue  # the catalogue check reports it too


# --- who may ------------------------------------------------------------------------------------


def test_a_caseworker_is_refused_every_admin_route(caseworker: TestClient) -> None:
    assert '<a href="/admin">' not in caseworker.get("/inbox").text
    for url in ADMIN_PAGES:
        page = caseworker.get(url)
        assert page.status_code == 403, url
        assert REFUSED in page.text, url
    add_user("bob")
    for url, data in (
        ("/admin/users", {"username": "eve", "role": "admin", "password": PASSWORD}),
        ("/admin/users/bob/role", {"role": "admin"}),
        ("/admin/users/bob/active", {"active": "false"}),
        ("/admin/users/casey/role", {"role": "admin"}),
    ):
        response = post(caseworker, url, **data)
        assert response.status_code == 403, url
        assert REFUSED in response.text
    with session_scope() as session:
        users = {u.username: u for u in session.exec(select(User))}
    assert set(users) == {"casey", "bob"}
    assert users["bob"].active
    assert users["casey"].role == Role.CASEWORKER


def test_someone_not_logged_in_is_sent_to_the_login_page(client: TestClient) -> None:
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_a_post_without_the_csrf_token_is_refused(admin: TestClient) -> None:
    response = admin.post(
        "/admin/users",
        data={"username": "eve", "role": "admin", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert "eve" not in admin.get("/admin/users").text


# --- users --------------------------------------------------------------------------------------


def user_actions() -> list[tuple[str, str, str]]:
    with session_scope() as session:
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action).startswith("user."))
            .order_by(col(AuditEvent.seq))
        ).all()
        return [(e.action, e.payload["username"], e.actor) for e in events]


def test_an_admin_adds_a_user_changes_the_role_and_deactivates_them(admin: TestClient) -> None:
    added = post(
        admin,
        "/admin/users",
        username="Bob",
        display_name="Bob Wong",
        role="caseworker",
        password=PASSWORD,
    )
    assert added.status_code == 303
    page = text_of(admin.get("/admin/users").text)
    assert "User bob added as caseworker." in page
    assert "bob Bob Wong" in page

    assert post(admin, "/admin/users/bob/role", role="senior_caseworker").status_code == 303
    assert "bob is now senior caseworker." in text_of(admin.get("/admin/users").text)

    bob = TestClient(admin.app)
    assert log_in(bob, "bob").status_code == 303
    assert bob.get("/inbox").status_code == 200
    assert post(admin, "/admin/users/bob/active", active="false").status_code == 303
    page = text_of(admin.get("/admin/users").text)
    assert "bob deactivated: they cannot log in." in page
    assert "deactivated" in page
    # the open session ends at once, and logging in again fails
    assert bob.get("/inbox", follow_redirects=False).headers["location"].startswith("/login")
    refused = log_in(bob, "bob")
    assert refused.status_code == 400
    assert "The username or password is not right" in refused.text

    assert post(admin, "/admin/users/bob/active", active="true").status_code == 303
    assert log_in(bob, "bob").status_code == 303
    assert user_actions() == [
        ("user.created", "ada", "test"),
        ("user.created", "bob", "ada"),
        ("user.role_changed", "bob", "ada"),
        ("user.deactivated", "bob", "ada"),
        ("user.reactivated", "bob", "ada"),
    ]
    changes = text_of(admin.get("/admin/users").text).split("Recent changes to accounts")[1]
    assert re.search(r"reactivated bob ada .*deactivated bob ada .*role changed", changes)


def test_a_bad_new_user_is_refused_with_the_form_kept(admin: TestClient) -> None:
    response = post(
        admin, "/admin/users", username="ada", display_name="Ada Two", role="admin", password="x"
    )
    assert response.status_code == 422
    assert "a password needs at least 8 characters" in response.text
    assert 'value="Ada Two"' in response.text
    taken = post(admin, "/admin/users", username="ada", role="admin", password=PASSWORD)
    assert taken.status_code == 422
    assert "the username 'ada' is taken" in text_of(taken.text)


def test_an_admin_cannot_lock_themself_out(admin: TestClient) -> None:
    for url, data in (
        ("/admin/users/ada/active", {"active": "false"}),
        ("/admin/users/ada/role", {"role": "caseworker"}),
    ):
        response = post(admin, url, **data)
        assert response.status_code == 409
        assert "your own account; ask another admin" in response.text
    page = admin.get("/admin/users")
    assert "/admin/users/ada/active" not in page.text  # no button to do it either
    with session_scope() as session:
        ada = session.exec(select(User).where(User.username == "ada")).one()
        assert ada.active
        assert ada.role == Role.ADMIN
    assert [a for a, _u, _by in user_actions()] == ["user.created"]


def test_the_last_active_admin_cannot_be_removed(admin: TestClient) -> None:
    """Through the web the actor is an admin, so another one exists; the CLI has no such guard."""
    with session_scope() as session, pytest.raises(PermitsError, match="last active admin"):
        set_active(session, username="ada", active=False, actor="cli")
    with session_scope() as session, pytest.raises(PermitsError, match="last active admin"):
        change_role(session, username="ada", role=Role.AUDITOR, actor="cli")
    add_user("grace", Role.ADMIN)
    assert post(admin, "/admin/users/grace/role", role="auditor").status_code == 303
    with session_scope() as session:
        set_active(session, username="grace", active=False, actor="cli")  # not an admin now
        with pytest.raises(PermitsError, match="last active admin"):
            set_active(session, username="ada", active=False, actor="cli")
    assert "ada" in text_of(admin.get("/admin/users").text)


# --- in Chinese -----------------------------------------------------------------------------------


def assert_chinese(page: str, chinese: tuple[str, ...], english: tuple[str, ...]) -> None:
    assert '<html lang="zh-Hant">' in page
    shown = text_of(page)
    assert [text for text in chinese if text not in shown] == []
    assert [text for text in english if text in shown] == []


def test_the_catalogue_and_a_permit_in_chinese(admin: TestClient) -> None:
    admin.cookies.set("lang", "zh-Hant")
    catalogue = admin.get("/admin").text
    assert_chinese(
        catalogue,
        chinese=(
            "牌照目錄",
            "規則集版本",
            "決策表",
            "內嵌測試",
            "現行",
            "沒有問題",
            "檢查結果",
            "食物業牌照 Food Business Licence",  # the page's language first, then the other
        ),
        english=("Permit catalogue", "Rule set", "Inline tests", "in force today", "passed"),
    )
    # an inline test passes (通過), where a rule passes (符合) on the case page
    assert re.search(r"(\d+) 項中 \1 項通過", text_of(catalogue))
    permit = admin.get(f"/admin/permits/{FOOD}").text
    assert_chinese(
        permit,
        chinese=("規則集 2026.1", "由 2026-01-01 起生效", "法律依據", "適用條件", "一律適用"),
        english=("Rule set", "In force from", "Legal reference", "Applies when", "Passed"),
    )
    assert '<span class="badge badge-good">通過</span>' in permit
    assert "批准：個案主任" in text_of(permit)


def test_the_users_page_and_its_messages_in_chinese(admin: TestClient) -> None:
    admin.cookies.set("lang", "zh-Hant")
    added = post(
        admin,
        "/admin/users",
        username="bob",
        display_name="Bob",
        role="caseworker",
        password=PASSWORD,
    )
    assert added.status_code == 303
    assert "已新增用戶 bob，角色為個案主任。" in admin.get("/admin/users").text
    assert post(admin, "/admin/users/bob/active", active="false").status_code == 303
    page = admin.get("/admin/users").text
    assert_chinese(
        page,
        chinese=(
            "用戶",
            "用戶名稱",
            "角色",
            "個案主任",
            "高級個案主任",
            "系統管理員",
            "已停用",
            "重新啟用",
            "新增用戶",
            "帳戶近期變更",
            "建立帳戶（個案主任）",
            "已停用 bob：該用戶不能再登入。",  # the flash, from the route
        ),
        english=("Users", "Username", "Deactivate", "Reactivate", "Add a user", "caseworker"),
    )
    own = post(admin, "/admin/users/ada/active", active="false")
    assert own.status_code == 409
    assert "你不能停用自己的帳戶；請另一位系統管理員處理" in own.text
    taken = post(admin, "/admin/users", username="bob", role="admin", password=PASSWORD)
    assert taken.status_code == 422
    assert "用戶名稱「bob」已有人使用" in taken.text


def test_the_chinese_letter_preview_prints_in_chinese(admin: TestClient) -> None:
    page = admin.get(f"/admin/permits/{FOOD}/letters/refuse?language=zh-Hant")
    assert page.status_code == 200
    assert "申請不獲批准" in text_of(page.text)
    pdf = admin.get(f"/admin/permits/{FOOD}/letters/refuse/pdf?language=zh-Hant")
    document = pdfium.PdfDocument(io.BytesIO(pdf.content))
    printed = document[0].get_textpage().get_text_range()
    assert "食物業牌照：申請不獲批准" in printed
    assert "第 1 頁，共 1 頁" in printed


def test_a_chinese_page_previews_the_chinese_letter_first(admin: TestClient) -> None:
    admin.post("/language", data={"lang": "zh-Hant", "next": "/admin", "csrf_token": csrf(admin)})
    page = admin.get(f"/admin/permits/{FOOD}/letters/refuse")
    assert "申請不獲批准" in text_of(page.text)  # not the English letter under Chinese headings
    english = admin.get(f"/admin/permits/{FOOD}/letters/refuse?language=en")
    assert "application refused" in text_of(english.text)
