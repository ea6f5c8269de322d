"""`permits bench kpi` seeds the cases (or reuses a kept file) and times the real dashboard."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Invoke


def test_bench_kpi_seeds_once_then_reuses_the_kept_file(cli: Invoke, tmp_path: Path) -> None:
    kept = tmp_path / "kpi.db"
    args = ("bench", "kpi", "--json", "--cases", "40", "--requests", "4", "--keep", str(kept))
    first = cli(*args)
    assert first.exit_code == 0, first.output
    numbers = json.loads(first.stdout)["sqlite"]
    assert numbers["cases"] == 40
    assert numbers["failures"] == []
    assert numbers["seed_s"] is not None
    assert 0 < numbers["cold_p50_ms"] <= numbers["cold_p95_ms"]
    assert 0 < numbers["served_p50_ms"] <= numbers["served_p95_ms"]
    assert "cases seeded: 40/40" in first.stderr
    again = json.loads(cli(*args).stdout)["sqlite"]
    assert again["seed_s"] is None  # reused, not seeded again
    assert again["cases"] == 40
