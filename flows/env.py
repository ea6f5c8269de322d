"""Prefect configuration derived from our settings, so every process of one data folder agrees.

Set before Prefect is imported: the API URL of this data folder's server, Prefect's home (its
SQLite database, result storage) inside the data folder, and no outbound analytics.
"""

from __future__ import annotations

import os

from cases.settings import Settings, get_settings

__all__ = ["configure_prefect", "prefect_environment"]


def prefect_environment(settings: Settings | None = None) -> dict[str, str]:
    settings = settings or get_settings()
    home = settings.prefect_home
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": settings.effective_prefect_api_url,
        "PREFECT_SERVER_API_PORT": str(settings.prefect_port),
        "PREFECT_SERVER_API_HOST": settings.prefect_host,
        "PREFECT_API_DATABASE_CONNECTION_URL": settings.prefect_server_database_url,
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true",
        "DO_NOT_TRACK": "1",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        # The server records task runs from their state events one transaction per event by
        # default; a burst of cases sends thousands, each a write that SQLite serialises with
        # every flow run's. Batched, a second at most apart (the UI lags by that much; a flow
        # waiting on a deferred read hears its end from the event itself, not the table).
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
        # Prefect's startup check for a newer release and its telemetry must not phone home.
        "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    }


def configure_prefect(settings: Settings | None = None) -> dict[str, str]:
    """Put this data folder's Prefect settings into the current process's environment."""
    environment = prefect_environment(settings)
    for key, value in environment.items():
        if key == "PREFECT_API_URL" and os.environ.get("PREFECT_API_URL_OVERRIDE"):
            continue
        os.environ[key] = value
    settings = settings or get_settings()
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    return environment
