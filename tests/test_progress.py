"""Long CLI work shows a bar with counts and time left on a terminal, plain lines otherwise."""

from __future__ import annotations

import io
import json

from rich.console import Console

from cli.progress import progress
from tests.conftest import Invoke


def test_plain_lines_when_not_on_a_terminal() -> None:
    out = io.StringIO()
    with progress(Console(file=out, width=200)) as steps:
        for done in range(1, 5):
            steps("cases seeded", done, 4)
    lines = out.getvalue().splitlines()
    # the first step, then nothing until ten seconds have passed or the work is done
    assert len(lines) == 2
    assert lines[0].startswith("cases seeded: 1/4 (25%), 0 s elapsed, ~0 s left")
    assert lines[1].startswith("cases seeded: 4/4 (100%)")
    assert "\x1b" not in out.getvalue()  # no terminal codes in a log


def test_a_bar_with_counts_on_a_terminal() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=120)
    with progress(terminal) as steps:
        steps("requests timed", 3, 10)
        steps("requests timed", 10, 10)
    shown = out.getvalue()
    assert "requests timed" in shown
    assert "10/10" in shown
    assert "━" in shown  # the bar


def test_bench_precedents_counts_its_steps_and_keeps_json_clean(cli: Invoke) -> None:
    result = cli("bench", "precedents", "--cases", "20", "--queries", "3", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)  # nothing but the figures on stdout
    assert figures["sqlite"]["cases"] == 20
    assert "sqlite: precedents stored: 20/20 (100%)" in result.stderr
    assert "sqlite: searches timed: 0/3 (0%)" in result.stderr
    assert "sqlite: searches timed: 3/3 (100%)" in result.stderr


def test_bench_review_counts_the_cases_it_reviews(cli: Invoke) -> None:
    result = cli("bench", "review", "--cases", "2", "--decided", "10", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cases"] == 2
    assert "cases seeded: 10/10 (100%)" in result.stderr
    assert "cases built and reviewed: 2/2 (100%)" in result.stderr
