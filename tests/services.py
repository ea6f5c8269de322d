"""The services `permits up` runs (a local Prefect server on a free port, the case-flow runner,
the OCR worker, and their supervisor) on a data folder of their own, for the tests that go
through Prefect."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from cases.db import upgrade_database
from cases.settings import get_settings
from cli.services import Services, start_services

__all__ = ["embedded_services", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def embedded_services(folder: Path, **environment: str) -> Iterator[Services]:
    """Start them with ``PERMITS_*`` ``environment`` on top; stop them and restore it after."""
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with mock.patch.dict(os.environ):
        os.environ.update(
            PERMITS_DATA_DIR=str(folder), PERMITS_PREFECT_PORT=str(free_port()), **environment
        )
        os.environ.pop("PERMITS_DATABASE_URL", None)
        get_settings.cache_clear()
        upgrade_database()
        try:
            with (
                temporary_settings({PREFECT_API_URL: get_settings().effective_prefect_api_url}),
                start_services(web=False) as running,
            ):
                yield running
                EventsWorker.drain_all()  # events sent while their server still answers
        finally:
            get_settings.cache_clear()
