"""Writing a form layout back as ``form.yaml``: one line per page and per field, as admins write it.

Used by whatever makes a layout for an admin (the importer of a fillable PDF, the box editor), so
every written file looks alike and loads back to the same layout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from cases.catalogue.form_layout import FormField, FormLayout

__all__ = ["dump_form_layout"]


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


def _field_line(form_field: FormField) -> str:
    parts = [f"field: {form_field.field}", f"page: {form_field.page}"]
    parts.append(f"box_mm: [{', '.join(_number(v) for v in form_field.box_mm)}]")
    if form_field.kind != "text":
        parts.append(f"kind: {form_field.kind}")
    if form_field.cells is not None:
        parts.append(f"cells: {form_field.cells}")
    if form_field.lines is not None:
        parts.append(f"lines: {form_field.lines}")
    if form_field.allowlist is not None:
        parts.append(f"allowlist: {_quoted(form_field.allowlist)}")
    if form_field.label:
        parts.append(f"label: {_quoted(form_field.label)}")
    return "  - {" + ", ".join(parts) + "}"


def dump_form_layout(
    layout: FormLayout, *, header: Sequence[str] = (), notes: Mapping[int, str] | None = None
) -> str:
    """``layout`` as form.yaml text; ``header`` lines become comments at the top, ``notes``
    (by field index) comments at the end of a field's line."""
    notes = notes or {}
    lines = [f"# {line}" for line in header]
    lines += [f"form_code: {_quoted(layout.form_code)}", f"title: {_quoted(layout.title)}"]
    lines.append("pages:  # one entry per page of the blank PDF, in order")
    lines += [
        f"  - {{size_mm: [{', '.join(_number(v) for v in p.size_mm)}]}}" for p in layout.pages
    ]
    if layout.blank_pdf is not None:
        lines += [f"blank_pdf: {_quoted(layout.blank_pdf)}", f"blank_sha256: {layout.blank_sha256}"]
    lines.append("fields:" if layout.fields else "fields: []")
    for i, form_field in enumerate(layout.fields):
        note = f"  # {notes[i]}" if i in notes else ""
        lines.append(_field_line(form_field) + note)
    return "\n".join(lines) + "\n"
