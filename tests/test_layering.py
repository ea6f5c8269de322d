"""The layering of DESIGN.md: cases/ is the core and imports none of the layers above it, and the
product (cases/, flows/, web/) never imports the workshop in tools/."""

from __future__ import annotations

import ast
import importlib
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
    "notifications",
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


# --- public surfaces -----------------------------------------------------------------------------

WINGS = sorted(path.parent.name for path in (ROOT / "cases").glob("*/__init__.py"))
PRODUCT = ("cases", "flows", "web", "cli")


def _listed(tree: ast.Module) -> list[str] | None:
    """The module's ``__all__`` if it is a literal list (or tuple) of names, else None."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
        if named and isinstance(value, ast.List | ast.Tuple):
            return [ast.literal_eval(element) for element in value.elts]
    return None


def _imported_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


@pytest.mark.parametrize("wing", WINGS)
def test_each_wing_names_its_public_surface_and_every_name_exists(wing: str) -> None:
    path = ROOT / "cases" / wing / "__init__.py"
    listed = _listed(ast.parse(path.read_text(encoding="utf-8")))
    assert listed, f"cases/{wing}/__init__.py has no literal __all__"
    assert len(listed) == len(set(listed)), f"cases/{wing}: a name is listed twice"
    package = importlib.import_module(f"cases.{wing}")
    assert [name for name in listed if not hasattr(package, name)] == []


def test_no_module_re_exports_names_it_imports() -> None:
    """A wing's ``__init__.py`` gathers its surface; any other module lists in ``__all__`` only
    what it defines itself, so a caller imports a name from the module that defines it (the old
    ``approvals.py`` re-exported all of ``tasks.py``). ``import *`` is not used anywhere."""
    offenders: dict[str, list[str]] = {}
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            name = str(path.relative_to(ROOT))
            star = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
            if any(alias.name == "*" for node in star for alias in node.names):
                offenders[name] = ["*"]
            if path.name == "__init__.py":
                continue
            borrowed = sorted(set(_listed(tree) or []) & _imported_names(tree))
            if borrowed:
                offenders[name] = borrowed
    assert offenders == {}


# --- no circles ----------------------------------------------------------------------------------


def _product_modules() -> dict[str, Path]:
    modules = {}
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports_within(modules: dict[str, Path], name: str) -> set[str]:
    """The product modules ``name`` imports anywhere in it: at the top, inside a function, or
    for type checking only (``from p import m`` of a module ``p.m`` counts as importing it)."""
    found: set[str] = set()
    tree = ast.parse(modules[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return {module for module in found if module in modules} - {name}


def test_no_modules_of_the_product_import_each_other_in_a_circle() -> None:
    """A circle of imports (the audit chain, keying and verifying once were one; the services and
    their supervisor another) is broken by moving the shared piece down a level, not hidden by
    importing inside a function or under ``TYPE_CHECKING``, so those imports count too."""
    modules = _product_modules()
    graph = {name: _imports_within(modules, name) for name in modules}
    circles: list[list[str]] = []
    for start in sorted(graph):
        path, seen = [start], {start}
        while path:  # depth-first from ``start``, through modules sorted after it only
            following = sorted(m for m in graph[path[-1]] if m > start or m == start)
            step = next((m for m in following if m not in seen or m == start), None)
            if step == start:
                circles.append([*path, start])
                break
            if step is None:
                path.pop()
                continue
            seen.add(step)
            path.append(step)
    assert circles == []
