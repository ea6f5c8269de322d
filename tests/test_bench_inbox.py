"""`permits bench inbox`: the seeding makes what it says and every measured page really worked.

Kept small (a few hundred cases, a few requests): timings are the benchmark command's business,
never a unit test's. PostgreSQL runs in a database of its own next to the test database, because
the benchmark drops and re-creates its tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlmodel import Session

from cases.audit import verify_chain
from cases.db import get_engine, upgrade_database
from cases.models import ApprovalTask, Case, EligibilityResult, ExtractedField, TaskStatus
from cases.settings import get_settings
from tests.conftest import POSTGRES_URL, Invoke
from tools.bench.databases import BenchRefused
from tools.bench.inbox import bench_inbox
from tools.bench.seed import BENCH_USERNAME, seed_cases

CASES = 300
BENCH_POSTGRES_URL = (
    make_url(POSTGRES_URL)
    .set(database=f"{make_url(POSTGRES_URL).database}_bench_inbox")
    .render_as_string(hide_password=False)
)
KEYS = {"inbox_p50_ms", "inbox_p95_ms", "case_p50_ms", "case_p95_ms", "seed_s", "cases"}


def _check_backend(numbers: dict[str, Any], requests: int) -> None:
    assert set(numbers) >= KEYS, numbers
    assert numbers["cases"] == CASES
    assert numbers["requests"] == requests
    assert numbers["failures"] == []  # every page answered 200 with the tasks or the case shown
    assert len(numbers["inbox_listed"]) == min(8, requests)  # the variants, in turn
    assert all(listed > 0 for listed in numbers["inbox_listed"].values()), numbers
    assert numbers["inbox_p50_ms"] <= numbers["inbox_p95_ms"] <= numbers["inbox_max_ms"]
    assert numbers["case_p50_ms"] <= numbers["case_p95_ms"] <= numbers["case_max_ms"]


def test_bench_measures_both_databases() -> None:
    result = bench_inbox(cases=CASES, requests=8, backend="both", postgres_url=BENCH_POSTGRES_URL)
    assert set(result) == {"sqlite", "postgres"}
    for numbers in result.values():
        _check_backend(numbers, 8)


def test_unreachable_postgres_is_reported_not_raised() -> None:
    result = bench_inbox(
        cases=CASES,
        requests=2,
        backend="postgres",
        postgres_url="postgresql+psycopg://postgres@127.0.0.1:1/bench_inbox",
    )
    assert set(result) == {"postgres"}
    assert result["postgres"]["error"].startswith(
        "PostgreSQL is unreachable at postgresql+psycopg://postgres@127.0.0.1:1/bench_inbox"
    )


def test_the_configured_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMITS_DATABASE_URL", POSTGRES_URL)  # the office's own database
    get_settings.cache_clear()
    try:
        with pytest.raises(BenchRefused, match="is the configured database"):
            bench_inbox(cases=CASES, requests=2, backend="postgres", postgres_url=POSTGRES_URL)
    finally:
        get_settings.cache_clear()


def test_seeded_cases_are_whole_and_the_audit_chain_holds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    upgrade_database(url)
    engine = get_engine(url)
    try:
        report = seed_cases(engine, CASES)
        with Session(engine) as session:
            count = lambda statement: session.execute(statement).scalar_one()  # noqa: E731
            assert report.cases == count(select(func.count()).select_from(Case)) == CASES
            open_tasks = select(func.count()).where(ApprovalTask.status == TaskStatus.OPEN)
            assert report.open_tasks == count(open_tasks) > 0
            claimed = open_tasks.where(ApprovalTask.claimed_by == BENCH_USERNAME)
            assert count(claimed) > 0
            assert count(select(func.count(func.distinct(ExtractedField.case_id)))) == CASES
            assert count(select(func.count()).select_from(EligibilityResult)) > CASES // 2
            assert verify_chain(session).ok
    finally:
        engine.dispose()


def test_bench_inbox_command_prints_json(cli: Invoke) -> None:
    result = cli(
        "bench", "inbox", "--json", "--cases", str(CASES), "--requests", "3", "--backend", "sqlite"
    )
    assert result.exit_code == 0, result.output
    numbers = json.loads(result.stdout)  # progress lines go to stderr
    assert set(numbers) == {"sqlite"}
    _check_backend(numbers["sqlite"], 3)
