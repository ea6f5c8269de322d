"""Settings: two data folders never share state, and production refuses the default secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.settings import Settings
from flows.env import prefect_environment


def test_two_data_folders_share_no_path_or_database(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path / "a", prefect_port=4301)
    second = Settings(data_dir=tmp_path / "b", prefect_port=4302)

    first_env, second_env = prefect_environment(first), prefect_environment(second)

    assert first.resolved_database_url != second.resolved_database_url
    assert first.documents_dir != second.documents_dir
    for key in (
        "PREFECT_HOME",
        "PREFECT_API_URL",
        "PREFECT_API_DATABASE_CONNECTION_URL",
        "PREFECT_LOCAL_STORAGE_PATH",
    ):
        assert first_env[key] != second_env[key], key
    assert str(tmp_path / "a") in first_env["PREFECT_API_DATABASE_CONNECTION_URL"]


def test_prefect_never_phones_home(tmp_path: Path) -> None:
    env = prefect_environment(Settings(data_dir=tmp_path))
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["DO_NOT_TRACK"] == "1"


def test_database_url_setting_overrides_the_embedded_sqlite(tmp_path: Path) -> None:
    url = "postgresql+psycopg://permits@127.0.0.1:5432/permits"
    assert Settings(data_dir=tmp_path, database_url=url).resolved_database_url == url


def test_production_refuses_the_default_secret(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="PERMITS_SECRET_KEY"):
        Settings(data_dir=tmp_path, environment="production").check_production_ready()
    Settings(
        data_dir=tmp_path, environment="production", secret_key="a-long-random-value-0123456789"
    ).check_production_ready()
