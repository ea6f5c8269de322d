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
# The wings of cases/ and what each may import of the others; a wing lower in the case's path
# never reaches up to a later one (extraction opens a verification gate; gates never extract).
WING_FORBIDDEN = {
    "catalogue": {
        "access",
        "audit",
        "authoring",
        "documents",
        "eligibility",
        "extraction",
        "gates",
        "intake",
        "letters",
        "ocr",
        "queries",
        "review",
        "values",
    },
    "values": {
        "authoring",
        "documents",
        "eligibility",
        "extraction",
        "gates",
        "intake",
        "letters",
        "ocr",
        "queries",
        "review",
    },
    "documents": {
        "authoring",
        "eligibility",
        "extraction",
        "gates",
        "intake",
        "letters",
        "ocr",
        "queries",
        "review",
    },
    "ocr": {
        "authoring",
        "eligibility",
        "extraction",
        "gates",
        "intake",
        "letters",
        "queries",
        "review",
    },
    "eligibility": {"authoring", "extraction", "gates", "intake", "letters", "queries", "review"},
    "gates": {"authoring", "extraction", "intake", "letters", "queries", "review"},
    "extraction": {"authoring", "intake", "letters", "queries", "review"},
    "review": {"authoring", "extraction", "gates", "intake", "letters", "queries"},
    "letters": {"authoring", "extraction", "gates", "intake", "queries", "review"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_does_not_import_the_layers_above_it(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported_packages(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("wing", sorted(WING_FORBIDDEN))
def test_a_wing_of_cases_does_not_reach_up_to_a_later_one(wing: str) -> None:
    offenders = {}
    for path in sorted((ROOT / "cases" / wing).rglob("*.py")):
        reached = {
            name.split(".")[1]
            for name in imported_modules(path)
            if name.startswith("cases.") and name.count(".") >= 1
        }
        if reached & WING_FORBIDDEN[wing]:
            offenders[str(path.relative_to(ROOT))] = sorted(reached & WING_FORBIDDEN[wing])
    assert offenders == {}


def test_catalogue_folders_hold_no_python() -> None:
    for folder in ("rules", "templates"):
        assert list((ROOT / folder).rglob("*.py")) == [], f"{folder}/ is data, never code"
