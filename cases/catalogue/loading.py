"""Loading the catalogue: YAML with the line of every key, validated into the schema's models.

Every validation error is reported with the file, the line and the field path, so an admin sees
where to look. Loaded permit types are cached; ``load_catalogue.cache_clear()`` forgets them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cases.catalogue.conditions import CONDITION_OUTPUT, unknown_conditions
from cases.catalogue.form_layout import FormLayout
from cases.catalogue.jdm import expand_jdm_tables
from cases.catalogue.schema import Permit, PermitType, Ruleset
from cases.errors import CatalogueError, CatalogueProblem, NotFound
from cases.settings import get_settings

__all__ = [
    "get_permit_type",
    "line_at",
    "load_catalogue",
    "load_permit",
    "load_permit_type",
    "load_ruleset",
    "yaml_lines",
]

# --- YAML with line numbers --------------------------------------------------------------------


def _line_index(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)  # a key's own line, not its value's
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_index(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*path, i), out)


def _nearest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _load_yaml(path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise CatalogueError(
            [CatalogueProblem(path, line, "(syntax)", f"YAML syntax error: {exc.problem}")]
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError([CatalogueProblem(path, None, "(file)", str(exc))]) from exc
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_index(node, (), lines)
    return data, lines


def yaml_lines(path: Path) -> dict[tuple[Any, ...], int]:
    """Line (1-based) of every key and item in a YAML file, keyed by its path (``("rules", 0)``)."""
    return _load_yaml(path)[1]


def line_at(lines: dict[tuple[Any, ...], int], *loc: Any) -> int | None:
    """The line of ``loc``, or of its nearest enclosing key when ``loc`` itself is not there."""
    return _nearest_line(lines, loc)


M = TypeVar("M", bound=BaseModel)


def load_permit(path: Path) -> Permit:
    """One permit.yaml on its own (a permit type whose form is not written yet, for instance)."""
    return _parse(Permit, path)


def load_ruleset(path: Path) -> Ruleset:
    """One eligibility file, validated; CatalogueError (file, line, field) when it is not valid."""
    return _parse(Ruleset, path)


def _parse(model: type[M], path: Path) -> M:
    data, lines = _load_yaml(path)
    if model is Ruleset:
        data = expand_jdm_tables(path, data)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = [
            CatalogueProblem(
                path,
                _nearest_line(lines, tuple(err["loc"])),
                ".".join(str(p) for p in err["loc"]) or "(top)",
                _friendly(err),
            )
            for err in exc.errors()
        ]
        raise CatalogueError(problems) from exc


def _friendly(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key (check the spelling; allowed keys are listed in the README)"
    if err["type"] == "missing":
        return "required key is missing"
    return str(err["msg"])


# --- Loading ----------------------------------------------------------------------------------


def _cross_check(permit_type: PermitType) -> list[CatalogueProblem]:
    folder = permit_type.folder
    problems = _check_form_fields(permit_type)
    problems.extend(_check_blank(permit_type))
    problems.extend(_check_conditions(permit_type))
    if permit_type.permit.id != folder.name:
        problems.append(
            CatalogueProblem(
                folder / "permit.yaml", None, "id", f"must match its folder name '{folder.name}'"
            )
        )
    return problems


def _check_form_fields(permit_type: PermitType) -> list[CatalogueProblem]:
    """Each box names a field of permit.yaml and sits on a page the form has."""
    form_yaml = permit_type.folder / "form.yaml"
    form = permit_type.form
    known = {f.name for f in permit_type.permit.fields}
    lines = yaml_lines(form_yaml)
    problems: list[CatalogueProblem] = []
    for i, form_field in enumerate(form.fields):
        if form_field.field not in known:
            problems.append(
                CatalogueProblem(
                    form_yaml,
                    line_at(lines, "fields", i, "field"),
                    f"fields.{i}.field",
                    f"'{form_field.field}' is not a field of permit.yaml",
                )
            )
        if form_field.page > len(form.pages):
            problems.append(
                CatalogueProblem(
                    form_yaml,
                    line_at(lines, "fields", i, "page"),
                    f"fields.{i}.page",
                    f"{form_field.field} is on page {form_field.page}, but the form has "
                    f"{len(form.pages)} page(s) under pages:",
                )
            )
    return problems


def _check_conditions(permit_type: PermitType) -> list[CatalogueProblem]:
    """Each condition a table gives is a code of permit.yaml's ``conditions:``."""
    known = ", ".join(sorted(permit_type.permit.conditions)) or "none"
    problems: list[CatalogueProblem] = []
    for ruleset, path in zip(permit_type.rulesets, permit_type.ruleset_paths, strict=True):
        lines = yaml_lines(path)
        for t, r, code in unknown_conditions(permit_type.permit, ruleset):
            problems.append(
                CatalogueProblem(
                    path,
                    line_at(lines, "tables", t, "rows", r, "then", CONDITION_OUTPUT),
                    f"tables.{t}.rows.{r}.then.{CONDITION_OUTPUT}",
                    f"'{code}' is not a condition of permit.yaml (its conditions: {known}); "
                    "add it there with its en and zh_hant text, or use one of those codes",
                )
            )
    return problems


def _check_blank(permit_type: PermitType) -> list[CatalogueProblem]:
    """The blank form exists and is the file form.yaml names by its hash (not an edited copy)."""
    path, form_yaml = permit_type.blank_form, permit_type.folder / "form.yaml"
    if path is None:
        return []
    line = line_at(yaml_lines(form_yaml), "blank_pdf")
    if not path.is_file():
        return [CatalogueProblem(form_yaml, line, "blank_pdf", f"{path.name} is not in the folder")]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != permit_type.form.blank_sha256:
        return [
            CatalogueProblem(
                form_yaml,
                line_at(yaml_lines(form_yaml), "blank_sha256"),
                "blank_sha256",
                f"{path.name} has SHA-256 {digest}, not the one given: if the blank form was "
                "replaced on purpose, check its boxes still fit and give the new hash",
            )
        ]
    return []


def load_permit_type(folder: Path) -> PermitType:
    """Load and validate one permit type's folder; raise CatalogueError listing every problem."""
    problems: list[CatalogueProblem] = []
    parsed: dict[str, Any] = {}
    for key, model, name in (("permit", Permit, "permit.yaml"), ("form", FormLayout, "form.yaml")):
        try:
            parsed[key] = _parse(model, folder / name)
        except CatalogueError as exc:
            problems.extend(exc.problems)
    rulesets: list[Ruleset] = []
    paths: list[Path] = []
    for path in sorted(folder.glob("eligibility-*.yaml")):
        try:
            rulesets.append(_parse(Ruleset, path))
            paths.append(path)
        except CatalogueError as exc:
            problems.extend(exc.problems)
    if not rulesets and not problems:
        problems.append(CatalogueProblem(folder, None, "eligibility-*.yaml", "no rule set found"))
    if problems:
        raise CatalogueError(problems)
    permit_type = PermitType(
        folder=folder,
        permit=parsed["permit"],
        form=parsed["form"],
        rulesets=rulesets,
        ruleset_paths=paths,
    )
    problems = _cross_check(permit_type)
    if problems:
        raise CatalogueError(problems)
    return permit_type


def _permit_folders(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.iterdir() if p.is_dir() and (p / "permit.yaml").exists())


@lru_cache(maxsize=8)
def _load_catalogue(root: Path) -> dict[str, PermitType]:
    catalogue: dict[str, PermitType] = {}
    problems: list[CatalogueProblem] = []
    for folder in _permit_folders(root):
        try:
            permit_type = load_permit_type(folder)
        except CatalogueError as exc:
            problems.extend(exc.problems)
            continue
        catalogue[permit_type.id] = permit_type
    if problems:
        raise CatalogueError(problems)
    return catalogue


def load_catalogue(root: Path | None = None) -> dict[str, PermitType]:
    """All permit types under the catalogue folder (cached; ``load_catalogue.cache_clear()``)."""
    return _load_catalogue((root or get_settings().catalogue_dir).resolve())


load_catalogue.cache_clear = _load_catalogue.cache_clear  # type: ignore[attr-defined]


def get_permit_type(permit_type_id: str) -> PermitType:
    catalogue = load_catalogue()
    if permit_type_id not in catalogue:
        known = ", ".join(sorted(catalogue)) or "none"
        raise NotFound(f"unknown permit type '{permit_type_id}' (known: {known})")
    return catalogue[permit_type_id]
