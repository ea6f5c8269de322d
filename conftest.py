"""Collects the inline ``tests:`` of every rule file under rules/ as pytest tests.

``pytest`` (and ``make test``) then report a failing rule test by its file, line and name, exactly
as ``permits rules test`` does, so a rule change cannot land with a broken expectation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cases.catalogue import Ruleset, RuleTest, load_ruleset
from cases.eligibility import run_inline_test
from cases.errors import CatalogueError


class RuleTestFailed(AssertionError):
    pass


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.name.startswith("eligibility-"):
        return RuleFile.from_parent(parent, path=file_path)
    return None


class RuleFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            ruleset = load_ruleset(self.path)
        except CatalogueError as exc:
            raise self.CollectError(str(exc)) from None
        for test in ruleset.tests:
            yield RuleTestItem.from_parent(self, name=test.name, ruleset=ruleset, test=test)


class RuleTestItem(pytest.Item):
    def __init__(self, *, ruleset: Ruleset, test: RuleTest, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ruleset, self.test = ruleset, test

    def runtest(self) -> None:
        message = run_inline_test(self.ruleset, self.test)
        if message is not None:
            raise RuleTestFailed(message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleTestFailed):
            return f"{self.path}:{self._line()}: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def _line(self) -> int:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        needle = f"name: {self.test.name}"
        return next((i + 1 for i, line in enumerate(lines) if needle in line), 0)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self._line() - 1, f"rule test: {self.name}"
