"""The CLI meets faults with one line that says what to do and whether the case was saved, and a
new data folder just works for `permits up` and `permits demo`.

A small real HTTP server stands in the orchestrator's place where the test needs one that answers
its health check (`running_services`) but cannot start a flow.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from alembic import command
from sqlmodel import select

from cases.db import alembic_config, ensure_migrated, get_engine, session_scope
from cases.models import Case
from cases.settings import get_settings
from tests.conftest import Invoke
from tests.factories import sample_application


class _HealthOnly(BaseHTTPRequestHandler):
    """Answers /api/health (and nothing else): a server that is up but cannot start a flow."""

    def _answer(self) -> None:
        ok = self.path.rstrip("/").endswith("/health")
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"true" if ok else b'{"detail": "Not found"}')

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def health_only() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HealthOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def new_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "new-data"
    monkeypatch.setenv("PERMITS_DATA_DIR", str(folder))
    monkeypatch.delenv("PERMITS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture
def submitted_files(tmp_path: Path) -> list[str]:
    sample = sample_application(21)
    (tmp_path / "form.png").write_bytes(sample.form_png)
    (tmp_path / "id.png").write_bytes(sample.id_card_png)
    return [str(tmp_path / "form.png"), str(tmp_path / "id.png")]


def _services_json(folder: Path, api_url: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "services.json").write_text(json.dumps({"prefect_api_url": api_url, "pids": {}}))


def one_line(output: str) -> str:
    """What the CLI said, as one line whatever the terminal's width."""
    return " ".join(output.split())


def _cases() -> list[Case]:
    with session_scope() as session:
        return list(session.exec(select(Case)).all())


def test_a_full_disk_is_one_line_and_nothing_is_saved(
    new_folder: Path,
    cli: Invoke,
    health_only: str,
    submitted_files: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(store: object, data: bytes) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    assert cli("db", "upgrade").exit_code == 0
    _services_json(new_folder, health_only)
    monkeypatch.setattr("cases.documents.storage.DocumentStore.put", full)

    result = cli("submit", *submitted_files)

    assert result.exit_code == 1
    assert "is full (no space left); free some space, then try again. Nothing was saved." in (
        one_line(result.output)
    )
    assert "Traceback" not in result.output
    assert _cases() == []


def test_a_data_path_too_long_is_named_with_what_to_do(
    tmp_path: Path,
    cli: Invoke,
    health_only: str,
    submitted_files: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "data"
    monkeypatch.setenv("PERMITS_DATA_DIR", str(folder))
    monkeypatch.setenv("PERMITS_DATABASE_URL", f"sqlite:///{tmp_path / 'short.db'}")
    get_settings.cache_clear()
    assert cli("db", "upgrade").exit_code == 0
    _services_json(folder, health_only)
    (folder / "documents").symlink_to(tmp_path / ("x" * 300))  # a name no file system takes

    result = cli("submit", *submitted_files)

    assert result.exit_code == 1, result.output
    assert "set PERMITS_DATA_DIR to a shorter folder" in one_line(result.output)
    assert "Nothing was saved." in one_line(result.output)
    assert _cases() == []
    get_settings.cache_clear()


def test_an_orchestrator_failing_after_the_save_says_the_case_is_saved(
    new_folder: Path, cli: Invoke, health_only: str, submitted_files: list[str]
) -> None:
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    assert cli("db", "upgrade").exit_code == 0
    _services_json(new_folder, health_only)

    with temporary_settings({PREFECT_API_URL: health_only, PREFECT_CLIENT_MAX_RETRIES: 0}):
        result = cli("submit", *submitted_files)

    [case] = _cases()
    said = one_line(result.output)
    assert f"case {case.reference} is saved, but the orchestrator could not start its flow" in said
    assert "picked up automatically" in said
    assert "access code" in result.output  # the applicant's code is still shown, once
    assert "Traceback" not in result.output


def test_up_creates_the_database_of_a_new_data_folder(
    new_folder: Path, cli: Invoke, health_only: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another data folder's Prefect server holds the port: `up` stops there, after the database.
    monkeypatch.setenv("PERMITS_PREFECT_PORT", health_only.split(":")[2].split("/")[0])
    get_settings.cache_clear()

    result = cli("up")

    assert "port" in result.output
    assert "already answers" in result.output
    assert "permits db upgrade" not in result.output
    ensure_migrated()  # at the newest revision


def test_demo_creates_the_database_of_a_new_data_folder(
    new_folder: Path, cli: Invoke, health_only: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERMITS_PREFECT_PORT", health_only.split(":")[2].split("/")[0])
    get_settings.cache_clear()

    result = cli("demo", "--cases", "1")

    assert "already answers" in result.output
    ensure_migrated()


def test_a_database_at_an_older_revision_is_still_refused(new_folder: Path, cli: Invoke) -> None:
    new_folder.mkdir()
    config = alembic_config()
    with get_engine().connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.commit()

    result = cli("up")

    said = one_line(result.output)
    assert result.exit_code == 1
    assert "is at revision 0004" in said
    assert "Run: permits db upgrade" in said


@pytest.mark.usefixtures("new_folder")
def test_a_machine_told_of_a_prefect_server_submits_without_a_local_permits_up(
    cli: Invoke, health_only: str, submitted_files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's other machines set PERMITS_PREFECT_API_URL and run no `permits up`: their
    `permits submit` goes to that server instead of asking for a `permits up` of their own."""
    monkeypatch.setenv("PERMITS_PREFECT_API_URL", health_only)
    get_settings.cache_clear()
    assert cli("db", "upgrade").exit_code == 0

    result = cli("submit", *submitted_files)

    assert "start them with: permits up" not in one_line(result.output)
    [case] = _cases()
    assert f"case {case.reference} is saved" in one_line(result.output)  # the stand-in refuses


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param(["x" * 300], id="a-name-no-file-system-takes"),
        pytest.param(["d" * 200] * 3, id="a-path-sqlite-cannot-open"),
    ],
)
def test_a_data_folder_path_too_long_is_one_line_for_any_command(
    tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch, parts: list[str]
) -> None:
    monkeypatch.setenv("PERMITS_DATA_DIR", str(tmp_path.joinpath(*parts)))
    monkeypatch.delenv("PERMITS_DATABASE_URL", raising=False)
    monkeypatch.delenv("PERMITS_PREFECT_DATABASE_URL", raising=False)
    get_settings.cache_clear()

    result = cli("db", "upgrade")

    assert result.exit_code == 1
    assert "is too long for its file system; set PERMITS_DATA_DIR to a shorter folder" in (
        one_line(result.output)
    )
    assert isinstance(result.exception, SystemExit)  # said, not raised
    get_settings.cache_clear()
