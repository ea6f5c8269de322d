"""Fixtures shared by the web tests: an app with a recording flow trigger, a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.test_web import TestClient, add_user, log_in
from web.app import create_app


@pytest.fixture
def calls() -> list[tuple[int, str]]:
    return []


@pytest.fixture
def client(db: str, calls: list[tuple[int, str]]) -> Iterator[TestClient]:
    app = create_app(trigger=lambda case_id, reason: calls.append((case_id, reason)))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def caseworker(client: TestClient) -> TestClient:
    add_user("casey")
    assert log_in(client, "casey").status_code == 303
    return client
