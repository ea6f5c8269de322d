"""Settings: data folders share no state and each has its own secret; production refuses a
weak one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

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


def test_production_refuses_the_published_or_a_short_secret(tmp_path: Path) -> None:
    for weak in ("change-me-development-only", "short-secret"):
        with pytest.raises(RuntimeError, match="PERMITS_SECRET_KEY"):
            Settings(
                data_dir=tmp_path, environment="production", secret_key=weak
            ).check_production_ready()
    Settings(
        data_dir=tmp_path, environment="production", secret_key="a-long-random-value-0123456789abc"
    ).check_production_ready()
    Settings(data_dir=tmp_path, environment="production").check_production_ready()


def test_without_a_configured_secret_each_data_folder_generates_its_own(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path / "one").session_secret()
    secret_file = tmp_path / "one" / "session-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path / "one").session_secret() == first  # reused on restart
    assert Settings(data_dir=tmp_path / "two").session_secret() != first
    assert first != "change-me-development-only"
    configured = Settings(data_dir=tmp_path / "three", secret_key="x" * 40)
    assert configured.session_secret() == "x" * 40
    assert not (tmp_path / "three" / "session-secret").exists()


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    Settings(data_dir=tmp_path).session_secret()
    (tmp_path / "session-secret").chmod(0o644)
    with pytest.raises(RuntimeError, match="chmod 600"):
        Settings(data_dir=tmp_path).session_secret()


def test_a_trusted_proxy_that_is_not_an_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not an IP address or network"):
        Settings(data_dir=tmp_path, trusted_proxies="10.0.0.5, proxy.local")


def test_ocr_threads_default_to_the_cores_given_shared_among_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PERMITS_OCR_THREADS", raising=False)  # an xdist worker's share (conftest)
    cores = len(os.sched_getaffinity(0))
    assert Settings(data_dir=tmp_path).effective_ocr_threads == cores
    assert Settings(data_dir=tmp_path, ocr_workers=cores * 2).effective_ocr_threads == 1
    assert Settings(data_dir=tmp_path, ocr_workers=4, ocr_threads=3).effective_ocr_threads == 3


@pytest.mark.parametrize(
    "values",
    [{"ocr_workers": 0}, {"ocr_threads": 0}, {"case_runners": 0}, {"case_runner_slots": 0}],
)
def test_worker_and_thread_counts_below_one_are_refused(tmp_path: Path, values: dict) -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        Settings(data_dir=tmp_path, **values)


def test_the_prefect_server_database_must_use_an_async_driver(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres@db.internal:5432/prefect"
    settings = Settings(data_dir=tmp_path, prefect_database_url=url)
    assert prefect_environment(settings)["PREFECT_API_DATABASE_CONNECTION_URL"] == url
    with pytest.raises(ValidationError, match=r"write postgresql\+asyncpg://"):
        Settings(data_dir=tmp_path, prefect_database_url="postgresql+psycopg://db/prefect")
