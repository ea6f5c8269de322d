"""The services a benchmark run starts: those of `permits up` without the web app, on the data
folder and databases the run's environment names, and a Prefect port nobody else uses."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from cases.settings import get_settings
from cli.services import start_services
from flows.env import configure_prefect

__all__ = ["bench_services", "free_port_settings"]


@contextmanager
def free_port_settings() -> Iterator[None]:
    """A free port for every run's Prefect server, and this process's Prefect client aimed at it
    (the same for every run: Prefect's event client is made once per process)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = os.environ.get("PERMITS_PREFECT_PORT")
    os.environ["PERMITS_PREFECT_PORT"] = str(port)
    get_settings.cache_clear()
    try:
        with temporary_settings({PREFECT_API_URL: get_settings().effective_prefect_api_url}):
            yield
    finally:
        if saved is None:
            os.environ.pop("PERMITS_PREFECT_PORT", None)
        else:
            os.environ["PERMITS_PREFECT_PORT"] = saved
        get_settings.cache_clear()


@contextmanager
def bench_services(*, workers: bool = True) -> Iterator[dict[str, int]]:
    """Start the services for the current settings (without ``workers``: only the Prefect
    server); yield their PIDs by name."""
    settings = get_settings()
    configure_prefect(settings)
    from prefect.events.worker import EventsWorker

    with start_services(web=False, settings=settings, workers=workers) as services:
        yield {name: process.pid for name, process in services.processes.items()}
        # Stop this process's event client while its server still answers; the next run's
        # first event makes a new one.
        EventsWorker.drain_all()
