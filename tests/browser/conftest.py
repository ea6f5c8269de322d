"""A real web app (``python -m uvicorn web.app:app``, as ``permits up`` starts it) for Chromium.

The server runs in a subprocess against its own migrated SQLite database and a copy of the permit
catalogue whose approvals need four eyes. The test process seeds users and cases into the same
database with the real ``cases`` functions (settings pointed at it while the module runs).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from cases.access import create_user
from cases.catalogue import load_catalogue
from cases.db import session_scope, upgrade_database
from cases.models import Role
from cases.settings import PROJECT_ROOT, get_settings
from tests.catalogues import four_eyes_catalogue
from tests.web.test_web import PASSWORD

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium, no downloads (DESIGN.md: browser tests)."""
    return {
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web app exited:\n{log.read_text()}")
        try:
            if httpx.get(url + "/login", timeout=1).status_code == 200:  # no orchestrator here
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web app did not answer within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("console")
    catalogue = four_eyes_catalogue(folder, outcomes=("approve", "refuse"), role="caseworker")
    database_url = f"sqlite:///{folder / 'console.db'}"
    upgrade_database(database_url)
    port = _free_port()
    log = folder / "web.log"
    env = {
        **os.environ,
        "PERMITS_DATA_DIR": str(data_dir),  # the documents the test process stores
        "PERMITS_DATABASE_URL": database_url,
        "PERMITS_CATALOGUE_DIR": str(catalogue),
        # No orchestrator in these tests: the app must say so quickly, not wait on retries.
        "PREFECT_API_URL": "http://127.0.0.1:9/api",
        "PREFECT_CLIENT_MAX_RETRIES": "0",
        "PREFECT_HOME": str(folder / "prefect"),
        "DO_NOT_TRACK": "1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "web.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, process, log)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PERMITS_DATABASE_URL", database_url)
            patch.setenv("PERMITS_CATALOGUE_DIR", str(catalogue))
            get_settings.cache_clear()
            load_catalogue.cache_clear()
            try:
                yield LiveServer(url, log)
            finally:
                get_settings.cache_clear()
                load_catalogue.cache_clear()
    finally:
        process.terminate()
        process.wait(timeout=15)
    get_settings.cache_clear()
    load_catalogue.cache_clear()


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    """A page whose content security policy lets the test inject axe (the app's CSP forbids it)."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    """The live app with a caseworker (casey) and a senior caseworker (sam)."""
    with session_scope() as session:
        for username, role, name in (
            ("casey", Role.CASEWORKER, "Casey Chan"),
            ("sam", Role.SENIOR_CASEWORKER, "Sam Lee"),
        ):
            create_user(
                session,
                username=username,
                password=PASSWORD,
                role=role,
                display_name=name,
                actor="test",
            )
    return live_server
