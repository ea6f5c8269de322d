"""The `permits` command as an operator meets it: clear one-line errors, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cases.catalogue import load_catalogue
from tests.conftest import Invoke
from tests.factories import sample_application


@pytest.fixture
def empty_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from cases.settings import get_settings

    monkeypatch.setenv("PERMITS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PERMITS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_db_upgrade_then_submit_checks_the_files_first(
    empty_data_folder: Path, cli: Invoke, tmp_path: Path
) -> None:
    empty = tmp_path / "form.png"
    empty.write_bytes(b"")
    assert cli("db", "upgrade").exit_code == 0

    result = cli("submit", str(empty))

    assert result.exit_code == 1
    assert "form.png: the file is empty" in result.output


def test_submit_without_running_services_says_how_to_start_them(
    empty_data_folder: Path, cli: Invoke, tmp_path: Path
) -> None:
    sample = sample_application(21)
    (tmp_path / "form.png").write_bytes(sample.form_png)
    (tmp_path / "id.png").write_bytes(sample.id_card_png)
    assert cli("db", "upgrade").exit_code == 0

    result = cli("submit", str(tmp_path / "form.png"), str(tmp_path / "id.png"))

    assert result.exit_code == 1
    assert "start them with: permits up" in result.output


def test_rules_test_runs_every_inline_test(cli: Invoke) -> None:
    result = cli("rules", "test")

    assert result.exit_code == 0
    assert "a typical restaurant is approved" in result.output
    total = sum(len(r.tests) for t in load_catalogue().values() for r in t.rulesets)
    assert total >= 30  # three permit types, each with ten or more
    assert f"{total} passed, 0 failed" in result.output


def test_up_needs_at_least_one_worker(empty_data_folder: Path, cli: Invoke) -> None:
    result = cli("up", "--workers", "0")

    assert result.exit_code == 2
    assert "--workers" in result.output
    assert "Traceback" not in result.output
