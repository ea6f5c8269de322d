"""The services `permits up` runs, started for a test module on a new data folder: a local
Prefect server on SQLite, the deployments, the OCR worker (and their supervisor)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cases.db import upgrade_database
from cases.settings import get_settings
from cli.services import Services, start_services

__all__ = ["embedded_services", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def embedded_services(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Services]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    patch = pytest.MonkeyPatch()
    patch.setenv("PERMITS_DATA_DIR", str(tmp_path_factory.mktemp(name)))
    patch.setenv("PERMITS_PREFECT_PORT", str(free_port()))
    patch.delenv("PERMITS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    upgrade_database()
    try:
        with (
            temporary_settings({PREFECT_API_URL: get_settings().effective_prefect_api_url}),
            start_services(web=False) as running,
        ):
            yield running
    finally:
        patch.undo()
        get_settings.cache_clear()
