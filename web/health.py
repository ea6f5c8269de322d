"""What ``/healthz`` checks, and the web app's view of the orchestrator.

The database answers a real query within a few seconds, and the orchestrator (Prefect's API, the
one this data folder's `permits up` runs, or the configured one) answers its ``/health``. The web
app never starts a Prefect server of its own: ephemeral mode is switched off in its environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import httpx
from sqlalchemy import text

from cases.db import session_scope
from cases.documents import store_problem
from cases.settings import Settings, get_settings
from flows.env import prefect_environment

__all__ = [
    "CHECK_TIMEOUT_S",
    "check_database",
    "check_documents",
    "check_orchestrator",
    "use_configured_prefect",
]

CHECK_TIMEOUT_S = 3.0
_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="health")


def use_configured_prefect(settings: Settings | None = None) -> str:
    """Point this process's Prefect client at this data folder's server; return its API URL.

    A running `permits up` records its server in ``services.json``; otherwise the settings
    (``PERMITS_PREFECT_PORT`` / ``PERMITS_PREFECT_API_URL``) say where it is. Variables already
    set in the environment win (a deployment that configures Prefect itself).
    """
    settings = settings or get_settings()
    environment = prefect_environment(settings)
    state_file = settings.resolved_data_dir / "services.json"
    try:
        running = json.loads(state_file.read_text()).get("prefect_api_url")
    except (OSError, ValueError):
        running = None
    if settings.prefect_api_url is None and isinstance(running, str):
        environment["PREFECT_API_URL"] = running
    environment["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"
    for key, value in environment.items():
        os.environ.setdefault(key, value)
    return os.environ["PREFECT_API_URL"]


def _database_answers() -> None:
    with session_scope() as session:
        session.exec(text("SELECT version_num FROM alembic_version")).all()  # type: ignore[call-overload]


def _within_time(check: Callable[[], str | None], busy: str) -> str | None:
    """The check's answer (None: fine), or what went wrong when it raised or took too long."""
    future = _pool.submit(check)
    try:
        return future.result(timeout=CHECK_TIMEOUT_S)
    except FutureTimeout:
        return f"did not answer within {CHECK_TIMEOUT_S:.0f} s ({busy})"
    except Exception as exc:  # whatever the driver raises: the message says it
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


def check_database() -> str | None:
    """None when the database answered a real query in time, else what is wrong."""
    return _within_time(_database_answers, "busy or unreachable")


def check_documents() -> str | None:
    """None when the document store can take files now (the local folder writable, a remote
    store's bucket answering), else what is wrong and what to do."""
    return _within_time(store_problem, "slow or unreachable")


def check_orchestrator(api_url: str) -> str | None:
    """None when Prefect's API answers its health check, else what is wrong."""
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/health", timeout=CHECK_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return f"{api_url} does not answer ({type(exc).__name__})"
    if response.status_code != 200:
        return f"{api_url} answered {response.status_code}"
    return None
