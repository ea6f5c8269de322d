"""``permits forms import``: a fillable PDF's widgets become a permit type's ``form.yaml``.

The office's PDF names its fields as its author did (``topmostSubform[0].Page1[0].f1_01[0]``);
the permit names them as the rules read them (``applicant_name``). A mapping file, widget name to
permit field, joins the two; without one, the importer proposes one to edit. Nothing is written
until the blank, the mapping and the resulting layout have all been checked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cases.authoring.widgets import BlankForm, Widget
from cases.catalogue import (
    FieldSpec,
    FormField,
    FormLayout,
    FormPage,
    Permit,
    dump_form_layout,
    yaml_lines,
)
from cases.errors import CatalogueError, CatalogueProblem

__all__ = [
    "BLANK_NAME",
    "FormImport",
    "import_form",
    "read_mapping",
    "suggest_mapping",
]

BLANK_NAME = "form.pdf"  # the blank is kept beside form.yaml under this name
_SHORT_LABEL_WORDS = 6  # a tooltip this short names the field; a longer one is an instruction


@dataclass(frozen=True)
class FormImport:
    """What an import makes: the layout and its text, and what the admin should look at."""

    layout: FormLayout
    text: str
    unmapped: list[Widget]  # widgets a value could be written in, not mapped to a field
    skipped: list[Widget]  # widgets no applicant writes in (read-only, buttons, hidden)
    unplaced_required: list[str]  # required permit fields no widget was mapped to


def _form_fields(permit: Permit) -> list[FieldSpec]:
    """The permit's fields written on the application form (not those of the ID card)."""
    return [f for f in permit.fields if f.source == "application_form"]


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _short_name(widget: Widget) -> str:
    """The widget's own part of its name: ``f1_01`` of ``topmostSubform[0].Page1[0].f1_01[0]``."""
    name, _, export = widget.name.partition(":")
    last = re.sub(r"\[\d+\]", "", name).split(".")[-1]
    return f"{last} {export}" if export else last


def _snake(text: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    name = "_".join(re.findall(r"[a-z0-9]+", spaced.lower()))[:40].strip("_")
    return name if re.match(r"[a-z]", name) else f"field_{name}"


def _suggested_name(widget: Widget) -> str:
    """A field name from a short tooltip ("Facility Name"), else from the widget's own name."""
    label = widget.label or ""
    short = label and len(label.split()) <= _SHORT_LABEL_WORDS and ":" not in widget.name
    return _snake(label if short else _short_name(widget))


def _matching_field(widget: Widget, permit: Permit) -> str | None:
    """The permit field whose English label (or name) the widget's tooltip or name spells out."""
    said = f" {_words(widget.label or '')} {_words(_snake(_short_name(widget)))} "
    best: tuple[int, str] | None = None
    for spec in _form_fields(permit):
        for wording in (_words(spec.label.en), _words(spec.name.replace("_", " "))):
            if wording and f" {wording} " in said and (best is None or len(wording) > best[0]):
                best = (len(wording), spec.name)
    return best[1] if best else None


def suggest_mapping(blank: BlankForm, permit: Permit) -> str:
    """A mapping file to edit: widgets that match a permit field by label are mapped; the others
    are commented out under a suggested name; widgets nobody writes in are listed at the end."""
    lines = [
        f"# Widgets of {blank.filename} -> fields of permit '{permit.id}' (permit.yaml).",
        "# A line maps a widget to the permit field it holds; commented lines are left off the",
        "# form. Edit, then: permits forms import BLANK.pdf --type TYPE --map THIS_FILE",
    ]
    taken: set[str] = set()
    for widget in blank.widgets:
        if widget.kind == "skipped":
            continue
        match = _matching_field(widget, permit)
        used = match is not None and match not in taken
        taken |= {match} if used and match else set()
        name = match if used and match else _suggested_name(widget)
        mark = "" if used else "# "
        lines.append(f"{mark}{json.dumps(widget.name)}: {name}  # {widget.describe()}")
    skipped = [w for w in blank.widgets if w.kind == "skipped"]
    if skipped:
        lines.append("# Not fields an applicant writes in:")
        lines += [f"#   {json.dumps(w.name)} ({w.describe()})" for w in skipped]
    return "\n".join(lines) + "\n"


def read_mapping(path: Path, blank: BlankForm, permit: Permit) -> dict[str, str]:
    """Widget name -> permit field from a mapping file; CatalogueError (file:line) for a name
    that is no widget of the blank, a field the permit does not define, or a field mapped twice."""
    lines = yaml_lines(path)  # CatalogueError with the line of a YAML syntax error
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise CatalogueError(
            [CatalogueProblem(path, 1, "(top)", "write one 'widget name: permit field' a line")]
        )
    widgets = {w.name: w for w in blank.widgets}
    fields = [f.name for f in _form_fields(permit)]
    problems: list[CatalogueProblem] = []
    first_line: dict[str, int | None] = {}
    for key, value in data.items():
        line = lines.get((key,))
        problem = _mapping_problem(str(key), value, widgets, fields, first_line)
        if problem:
            problems.append(CatalogueProblem(path, line, str(key), problem))
        else:
            first_line[value] = line
    if problems:
        raise CatalogueError(problems)
    return {str(k): str(v) for k, v in data.items()}


def _mapping_problem(
    key: str,
    value: Any,
    widgets: dict[str, Widget],
    fields: list[str],
    first_line: dict[str, int | None],
) -> str | None:
    if key not in widgets:
        return "no widget of this name in the blank PDF (run the import without --map to list them)"
    if widgets[key].kind == "skipped":
        return f"this widget is {widgets[key].why_skipped}"
    if not isinstance(value, str) or value not in fields:
        return (
            f"'{value}' is not a field of the application form in permit.yaml "
            f"(those are: {', '.join(fields)})"
        )
    if value in first_line:
        return f"{value} is already mapped to another widget (line {first_line[value]})"
    return None


def import_form(
    blank: BlankForm,
    permit: Permit,
    mapping: dict[str, str],
    *,
    form_code: str | None = None,
    title: str | None = None,
) -> FormImport:
    """The layout of the mapped widgets of ``blank``, and its form.yaml text."""
    placed = [(w, mapping[w.name]) for w in blank.widgets if w.name in mapping]
    layout = FormLayout(
        form_code=form_code or Path(blank.filename).stem,
        title=title or blank.title or permit.name.en,
        pages=[FormPage(size_mm=size) for size in blank.page_sizes_mm],
        blank_pdf=BLANK_NAME,
        blank_sha256=blank.sha256,
        fields=[_form_field(widget, field) for widget, field in placed],
    )
    header = [
        f"Layout of form {layout.form_code}, imported from {blank.filename} on "
        f"{dt.date.today().isoformat()} (permits forms import).",
        "Boxes in millimetres, origin top-left of each page as printed; the blank is form.pdf.",
    ]
    notes = {i: f"widget {json.dumps(widget.name)}" for i, (widget, _) in enumerate(placed)}
    text = dump_form_layout(layout, header=header, notes=notes)
    placed_fields = {field for _, field in placed}
    return FormImport(
        layout=FormLayout.model_validate(yaml.safe_load(text)),  # the text loads back to it
        text=text,
        unmapped=[w for w in blank.widgets if w.kind != "skipped" and w.name not in mapping],
        skipped=[w for w in blank.widgets if w.kind == "skipped"],
        unplaced_required=[
            f.name for f in _form_fields(permit) if f.required and f.name not in placed_fields
        ],
    )


def _form_field(widget: Widget, field: str) -> FormField:
    assert widget.kind != "skipped"  # read_mapping refuses those
    return FormField(
        field=field,
        page=widget.page,
        box_mm=widget.box_mm,
        kind=widget.kind,
        cells=widget.cells,
        label=widget.label,
    )
