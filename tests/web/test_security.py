"""The public face as an attacker probes it: sessions end on the server, guesses stay limited
whatever address a request claims, read-only roles change nothing, personal pages are not cached,
no published secret signs sessions, oversized bodies and pages are refused before they cost memory.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import stat
from base64 import b64encode
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pypdfium2 as pdfium
import pytest
from itsdangerous import TimestampSigner
from starlette.requests import Request
from typer.testing import CliRunner

from cases.access import change_password, set_active
from cases.db import session_scope
from cases.documents import document_pages
from cases.models import AuditEvent, Case, Role
from cases.settings import PUBLISHED_SECRET, get_settings
from cli.main import app as cli_app
from tests.web.test_web import (
    PASSWORD,
    PERMIT,
    TestClient,
    add_user,
    count,
    csrf,
    log_in,
    png,
    token_from,
)
from web.app import create_app
from web.auth import OPEN_TO_READ_ONLY
from web.middleware import SESSION_COOKIE, RequestSizeLimit
from web.ratelimit import client_address

READ_ONLY_MESSAGE = "can read cases and records but not change them"


def _app_client(**kwargs: Any) -> TestClient:
    return TestClient(create_app(trigger=lambda *_: None), **kwargs)


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set PERMITS_* variables for an app built afterwards (settings are read at start-up)."""

    def setting(name: str, value: str) -> None:
        monkeypatch.setenv(f"PERMITS_{name}", value)
        get_settings.cache_clear()

    yield setting
    get_settings.cache_clear()


def _session_cookie(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "no session cookie"
    return value


def _opens_inbox(cookie: str) -> bool:
    with _app_client(cookies={SESSION_COOKIE: cookie}) as other:
        return other.get("/inbox", follow_redirects=False).status_code == 200


# --- 1. revocable sessions -----------------------------------------------------------------------


def test_a_copied_cookie_stops_working_after_logout(caseworker: TestClient) -> None:
    copied = _session_cookie(caseworker)
    assert _opens_inbox(copied)
    token = token_from(caseworker.get("/inbox").text)
    logged_out = caseworker.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert logged_out.status_code == 303
    assert not _opens_inbox(copied)
    assert log_in(caseworker, "casey").status_code == 303  # logging in again works
    assert caseworker.get("/inbox", follow_redirects=False).status_code == 200


def test_deactivation_and_a_password_change_end_open_sessions(caseworker: TestClient) -> None:
    add_user("ada", Role.ADMIN)
    before_deactivation = _session_cookie(caseworker)
    with session_scope() as session:
        set_active(session, username="casey", active=False, actor="ada")
    with session_scope() as session:
        set_active(session, username="casey", active=True, actor="ada")
    assert not _opens_inbox(before_deactivation)  # reactivating does not revive old cookies

    log_in(caseworker, "casey")
    before_change = _session_cookie(caseworker)
    with session_scope() as session:
        change_password(session, username="casey", password="a-new-password-9", actor="ada")
    assert not _opens_inbox(before_change)
    assert log_in(caseworker, "casey").status_code == 400  # the old password no longer works
    assert log_in(caseworker, "casey", "a-new-password-9").status_code == 303
    log_in(caseworker, "ada")
    changes = caseworker.get("/admin/users").text
    assert "password changed" in changes
    assert "deactivated" in changes


def test_cli_sets_a_password_prompted_twice_and_ends_sessions(caseworker: TestClient) -> None:
    cookie = _session_cookie(caseworker)
    saved = dict(os.environ)  # the CLI's callback writes PREFECT_* variables
    try:
        runner = CliRunner()
        mismatch = runner.invoke(
            cli_app, ["users", "password", "casey"], input="first-password\nsecond-one\n"
        )
        assert mismatch.exit_code != 0  # the two entries differ: nothing is changed
        assert _opens_inbox(cookie)
        short = runner.invoke(cli_app, ["users", "password", "casey"], input="short\nshort\n")
        assert short.exit_code == 1
        assert "at least 8 characters" in short.output
        done = runner.invoke(
            cli_app, ["users", "password", "casey"], input="brand-new-pass\nbrand-new-pass\n"
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert done.exit_code == 0, done.output
    assert "brand-new-pass" not in done.output  # the prompt hides what is typed
    assert "sessions have ended" in done.output
    assert not _opens_inbox(cookie)
    assert log_in(caseworker, "casey", "brand-new-pass").status_code == 303
    assert count(AuditEvent, AuditEvent.action == "user.password_changed") == 1


# --- 2. login limits -----------------------------------------------------------------------------


def _bad_login(client: TestClient, forwarded: str, password: str = "wrong-guess") -> int:
    token = token_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "casey", "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": forwarded},
        follow_redirects=False,
    )
    return response.status_code


def test_a_forged_forwarded_for_from_an_untrusted_peer_gives_no_more_guesses(
    client: TestClient,
) -> None:
    add_user("casey")
    statuses = [_bad_login(client, f"198.51.100.{n}") for n in range(5)]
    assert statuses == [400] * 5
    # A sixth "address" is still the same peer: refused, even with the right password.
    assert _bad_login(client, "198.51.100.99", PASSWORD) == 429


def test_behind_a_trusted_proxy_guesses_count_per_address_and_per_account(
    db: str, configure: Any
) -> None:
    configure("TRUSTED_PROXIES", "10.0.0.5")
    add_user("casey")
    with _app_client(client=("10.0.0.5", 40000)) as proxied:
        assert [_bad_login(proxied, "203.0.113.7") for _ in range(5)] == [400] * 5
        assert _bad_login(proxied, "203.0.113.7", PASSWORD) == 429  # that address is done
        # ... another office's address is not (the header names the client, via the proxy)
        assert _bad_login(proxied, "203.0.113.8", PASSWORD) == 303
        # An attacker rotating addresses runs into the account's own limit (20 in all).
        rotated = [_bad_login(proxied, f"192.0.2.{n}") for n in range(15)]
        assert rotated == [400] * 15
        assert _bad_login(proxied, "192.0.2.200", PASSWORD) == 429


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1), "headers": headers})


def test_the_client_address_is_believed_only_from_a_trusted_proxy(configure: Any) -> None:
    configure("TRUSTED_PROXIES", "10.0.0.0/24, 10.0.1.1")
    assert client_address(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"
    assert client_address(_request("10.0.0.5", "1.2.3.4")) == "1.2.3.4"
    # Read from the right: what the client wrote itself (the left) is not believed.
    assert client_address(_request("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.1.1")) == "1.2.3.4"
    assert client_address(_request("10.0.0.5", None)) == "10.0.0.5"
    configure("TRUSTED_PROXIES", "")
    assert client_address(_request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"


# --- 3. read-only roles --------------------------------------------------------------------------


_PATH_VALUES = {"permit_type": PERMIT, "username": "casey"}


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route of the app, also those of included routers (FastAPI keeps them nested)."""
    for route in routes:
        nested = getattr(route, "effective_route_contexts", None)
        yield from nested() if nested is not None else [route]


def _unsafe_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path with sample values) of every route that may change something."""
    return [
        (method, re.sub(r"\{(\w+)\}", lambda m: _PATH_VALUES.get(m.group(1), "1"), route.path))
        for route in _routes(app.routes)
        for method in sorted(getattr(route, "methods", None) or ())
        if method in {"POST", "PUT", "PATCH", "DELETE"}
    ]


def test_an_auditor_is_refused_every_state_changing_route(client: TestClient) -> None:
    add_user("casey")
    add_user("audrey", Role.AUDITOR)
    assert log_in(client, "audrey").status_code == 303
    token = csrf(client)
    routes = _unsafe_routes(client.app)
    assert ("POST", "/upload") in routes
    assert ("POST", "/api/cases") in routes
    assert len(routes) > 10
    for method, path in routes:
        if path in OPEN_TO_READ_ONLY:
            continue
        response = client.request(
            method, path, headers={"X-CSRF-Token": token}, follow_redirects=False
        )
        assert response.status_code == 403, path
        assert READ_ONLY_MESSAGE in response.text, path
    assert count(Case) == 0
    # What stays open to an auditor is only their own session and the public status page.
    assert frozenset({"/login", "/logout", "/language", "/status"}) == OPEN_TO_READ_ONLY
    assert client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 200


def test_an_auditor_cannot_create_a_case_through_the_upload_page(client: TestClient) -> None:
    add_user("audrey", Role.AUDITOR)
    log_in(client, "audrey")
    token = token_from(client.get("/upload").text)
    response = client.post(
        "/upload",
        data={"permit_type": PERMIT, "csrf_token": token},
        files={
            "document_application_form": ("form.png", png(), "image/png"),
            "document_id_card": ("id.png", png(200, 120), "image/png"),
        },
    )
    assert response.status_code == 403
    assert "Your role (auditor)" in response.text
    assert count(Case) == 0


def test_the_read_only_refusal_is_translated(client: TestClient) -> None:
    add_user("audrey", Role.AUDITOR)
    log_in(client, "audrey")
    client.cookies.set("lang", "zh-Hant")
    response = client.post("/api/cases", headers={"X-CSRF-Token": csrf(client)})
    assert response.status_code == 403
    assert response.json()["error"].startswith("你的角色（審計人員）可以查閱個案和紀錄")


# --- 4. caching, HTTPS ---------------------------------------------------------------------------


def test_pages_with_personal_data_are_not_stored_by_browsers(caseworker: TestClient) -> None:
    for path in ("/inbox", "/upload", "/api/session", "/login"):
        assert caseworker.get(path).headers["cache-control"] == "no-store", path
    assert "no-store" not in caseworker.get("/static/app.css").headers.get("cache-control", "")


def test_without_https_the_cookie_is_not_secure_and_no_hsts_is_sent(client: TestClient) -> None:
    add_user("casey")
    response = log_in(client, "casey")
    assert "secure" not in response.headers["set-cookie"].lower()
    assert "strict-transport-security" not in response.headers


def test_with_https_the_cookie_is_secure_and_hsts_is_sent(db: str, configure: Any) -> None:
    configure("HTTPS", "true")
    add_user("casey")
    with _app_client(base_url="https://testserver") as secure:
        response = log_in(secure, "casey")
        assert response.status_code == 303
        assert "; secure" in response.headers["set-cookie"].lower()
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        assert secure.get("/inbox", follow_redirects=False).status_code == 200


# --- 5. no published secret ----------------------------------------------------------------------


def _forged_cookie(secret: str) -> str:
    payload = b64encode(json.dumps({"username": "casey", "generation": 0}).encode())
    return TimestampSigner(secret).sign(payload).decode()


def test_sessions_are_signed_with_the_data_folders_own_secret(client: TestClient) -> None:
    add_user("casey")
    secret_file = get_settings().resolved_data_dir / "session-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    assert secret != PUBLISHED_SECRET
    # A cookie forged with the once-published development secret opens nothing ...
    assert not _opens_inbox(_forged_cookie(PUBLISHED_SECRET))
    # ... and the secret is this folder's, kept for the next start (the forgery shows why).
    assert _opens_inbox(_forged_cookie(secret))
    assert get_settings().session_secret() == secret


# --- 6. request size -----------------------------------------------------------------------------


@pytest.fixture
def small_limit_client(db: str, configure: Any) -> Iterator[TestClient]:
    configure("MAX_REQUEST_BYTES", "20000")
    add_user("casey")
    with _app_client() as small:
        log_in(small, "casey")
        yield small


def test_an_oversized_upload_is_refused_with_a_clear_page(small_limit_client: TestClient) -> None:
    token = token_from(small_limit_client.get("/upload").text)
    response = small_limit_client.post(
        "/upload",
        data={"permit_type": PERMIT, "csrf_token": token},
        files={"document_application_form": ("form.png", b"\x89PNG" + b"0" * 30000, "image/png")},
    )
    assert response.status_code == 413
    assert "text/html" in response.headers["content-type"]
    assert "larger than 20 KiB, the most the office accepts at once" in response.text
    assert "each file at most 20 MiB" in response.text
    assert response.headers["x-frame-options"] == "DENY"
    assert count(Case) == 0


def test_an_oversized_api_request_is_refused_as_json(small_limit_client: TestClient) -> None:
    response = small_limit_client.post(
        "/api/cases",
        data={"permit_type": PERMIT},
        files=[("files", ("form.png", b"0" * 30000, "image/png"))],
        headers={"X-CSRF-Token": csrf(small_limit_client)},
    )
    assert response.status_code == 413
    assert "the most the office accepts at once" in response.json()["error"]


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(
    small_limit_client: TestClient,
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 5000

    response = small_limit_client.post(
        "/api/cases",
        content=chunks(),
        headers={
            "X-CSRF-Token": csrf(small_limit_client),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 413
    assert "the most the office accepts at once" in response.json()["error"]


def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read(
    configure: Any,
) -> None:
    configure("MAX_REQUEST_BYTES", "1000")
    reached: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append("app")

    async def receive() -> dict[str, Any]:
        reached.append("body")
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/cases",
        "query_string": b"",
        "headers": [(b"content-length", str(400 * 2**20).encode())],
        "client": ("203.0.113.9", 1),
        "server": ("testserver", 80),
        "scheme": "http",
    }
    # A thread of its own: an earlier test (Playwright's sync API) may leave a loop running here.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, RequestSizeLimit(inner)(scope, receive, send)).result()
    assert reached == []  # neither the app nor a single body byte
    assert sent[0]["status"] == 413


# --- 7. PDF pages held to the pixel limit --------------------------------------------------------


def _pdf(*sizes: tuple[float, float]) -> bytes:
    pdf = pdfium.PdfDocument.new()
    for width, height in sizes:
        pdf.new_page(width, height)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_huge_pdf_page_is_refused_naming_the_page_and_the_limit(
    caseworker: TestClient,
) -> None:
    response = caseworker.post(
        "/api/cases",
        data={"permit_type": PERMIT, "kinds": ["application_form"]},
        files=[("files", ("form.pdf", _pdf((595, 842), (5000, 5000)), "application/pdf"))],
        headers={"X-CSRF-Token": csrf(caseworker)},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error.startswith("form.pdf: page 2 is 5000x5000 points")
    assert "more than the 60 megapixels accepted for a page" in error
    assert count(Case) == 0


def test_rendering_a_pdf_page_never_exceeds_the_pixel_limit() -> None:
    pdf = _pdf((2000, 2000), (595, 842))
    big, a4 = (page.image for page in document_pages(pdf, "application/pdf", max_pixels=5_000_000))
    assert big is not None
    assert a4 is not None
    assert big.width * big.height <= 5_000_000  # 31 megapixels at 200 dpi
    assert big.width > 2000
    assert a4.size == (round(595 * 200 / 72), round(842 * 200 / 72))  # within it: as before
