"""Faults a person meets on the web get a page that says what happened and whether anything was
saved: a full or read-only document store, a busy (locked) database, and `/healthz` naming the
part that is down."""

from __future__ import annotations

import errno
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cases.db import upgrade_database
from cases.settings import get_settings
from tests.web.test_apply import apply, nothing_stored
from tests.web.test_web import TestClient, add_user, log_in
from web.app import create_app


def _refuse(code: int):  # type: ignore[no-untyped-def]
    def write(store: object, data: bytes) -> str:
        raise OSError(code, os.strerror(code))

    return write


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (errno.ENOSPC, "document storage is full, so nothing was saved"),
        (errno.EROFS, "document storage cannot be written, so nothing was saved"),
        (errno.ENAMETOOLONG, "path is too long), so nothing was saved"),
        (errno.ECONNREFUSED, "document storage cannot be reached just now"),
    ],
)
def test_a_store_that_cannot_take_the_files_says_nothing_was_saved(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, code: int, said: str
) -> None:
    monkeypatch.setattr("cases.documents.storage.DocumentStore.put", _refuse(code))
    response = apply(client)
    assert response.status_code == 503
    assert said in response.text
    assert "Traceback" not in response.text
    assert nothing_stored()


def test_a_full_store_is_explained_in_chinese(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cases.documents.storage.DocumentStore.put", _refuse(errno.ENOSPC))
    client.cookies.set("lang", "zh-Hant")
    response = apply(client)
    assert response.status_code == 503
    assert "儲存空間已滿" in response.text


@pytest.fixture
def sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    monkeypatch.setenv("PERMITS_DATABASE_URL", url)
    monkeypatch.setenv("PERMITS_WEB_DB_BUSY_TIMEOUT_S", "1")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_a_locked_database_gives_a_quick_busy_page_and_health_says_so(sqlite_file: Path) -> None:
    with TestClient(create_app(trigger=lambda *_: None)) as client:
        add_user("casey")
        assert log_in(client, "casey").status_code == 303
        holder = sqlite3.connect(sqlite_file, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process writing, for as long as it likes
        try:
            started = time.monotonic()
            page = client.get("/inbox")
            waited = time.monotonic() - started
            health = client.get("/healthz")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        after = client.get("/inbox")
    assert page.status_code == 503
    assert "The system is busy right now" in page.text
    assert page.headers["Retry-After"] == "30"
    assert waited < 10  # the web's busy timeout (1 s here), not the workers' 30 s
    assert health.status_code == 503
    assert health.json()["database"] != "ok"
    assert after.status_code == 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def prefect_environment() -> Iterator[None]:
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.usefixtures("db", "prefect_environment")
def test_the_plain_app_uses_the_configured_prefect_port_and_health_checks_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = _free_port()  # nothing listens: the orchestrator is down
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", raising=False)
    monkeypatch.setenv("PERMITS_PREFECT_PORT", str(port))
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        health = client.get("/healthz")
    assert os.environ["PREFECT_API_URL"] == f"http://127.0.0.1:{port}/api"
    assert os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] == "false"
    assert health.status_code == 503
    assert health.json()["database"] == "ok"
    assert f"127.0.0.1:{port}/api does not answer" in health.json()["orchestrator"]


def test_health_is_ok_when_every_part_answers(client: TestClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "documents": "ok"}
