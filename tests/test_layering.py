"""The layering of DESIGN.md: cases/ is the core and imports none of the layers above it, and the
product (cases/, flows/, web/) never imports the workshop in tools/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "cases": {"flows", "web", "cli", "tools"},
    "flows": {"web", "cli", "tools"},
    "web": {"cli", "tools"},
    "tools": {"cli"},
}
# The wings of cases/ in the order a case needs them: a wing may use the ones before it, never
# one after it (extraction opens a verification gate; gates never extract). Intake, queries and
# authoring stand above them all and may use any.
WING_ORDER = [
    "catalogue",
    "values",
    "documents",
    "ocr",
    "eligibility",
    "gates",
    "extraction",
    "review",
    "letters",
]
ABOVE_THE_WINGS = {"intake", "queries", "authoring"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_does_not_import_the_layers_above_it(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported_packages(path) & FORBIDDEN[package]
    }
    assert offenders == {}


@pytest.mark.parametrize("wing", WING_ORDER)
def test_a_wing_of_cases_does_not_reach_up_to_a_later_one(wing: str) -> None:
    later = set(WING_ORDER[WING_ORDER.index(wing) + 1 :]) | ABOVE_THE_WINGS
    offenders = {}
    for path in sorted((ROOT / "cases" / wing).rglob("*.py")):
        reached = {
            name.split(".")[1] for name in imported_modules(path) if name.startswith("cases.")
        }
        reached = {name for name in reached if name in later}
        if reached:
            offenders[str(path.relative_to(ROOT))] = sorted(reached)
    assert offenders == {}


def test_catalogue_folders_hold_no_python() -> None:
    for folder in ("rules", "templates"):
        assert list((ROOT / folder).rglob("*.py")) == [], f"{folder}/ is data, never code"
