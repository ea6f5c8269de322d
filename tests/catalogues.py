"""A copy of the permit catalogue with a changed approval policy, for four-eyes tests.

The real rule files belong to the admins; tests point PERMITS_CATALOGUE_DIR at a copy instead.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from cases.catalogue import load_catalogue
from cases.settings import PROJECT_ROOT, get_settings

FOOD = "food-business-licence"


def four_eyes_catalogue(
    folder: Path, outcomes: tuple[str, ...] = ("refuse",), role: str = "senior_caseworker"
) -> Path:
    """Copy the food licence's rules into ``folder``; each outcome named needs ``role`` and four
    eyes. (Only that permit is copied: other folders may be work in progress.)"""
    target = folder / "rules"
    shutil.copytree(
        PROJECT_ROOT / "rules" / FOOD, target / FOOD, ignore=shutil.ignore_patterns("__pycache__")
    )
    permit_file = target / FOOD / "permit.yaml"
    permit = yaml.safe_load(permit_file.read_text(encoding="utf-8"))
    for outcome in outcomes:
        permit["approval_policy"][outcome] = {"role": role, "four_eyes": True}
    permit_file.write_text(yaml.safe_dump(permit, allow_unicode=True), encoding="utf-8")
    return target


@contextmanager
def catalogue_at(folder: Path) -> Iterator[Path]:
    """Settings and the catalogue cache point at ``folder`` inside the block, and not after."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PERMITS_CATALOGUE_DIR", str(folder))
        get_settings.cache_clear()
        load_catalogue.cache_clear()
        try:
            yield folder
        finally:
            get_settings.cache_clear()
            load_catalogue.cache_clear()
    get_settings.cache_clear()


def edit_file(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new``; return the 1-based line where the edit starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line
