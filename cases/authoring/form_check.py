"""The form part of ``permits catalogue check``: boxes that zonal OCR can read as the admin meant.

Loading already refuses a box for a field the permit does not have, on a page the form has not,
or a blank whose hash is not the one given. Here: every box inside its page, no two boxes on one
page overlapping (one would read the other's writing), a comb of at least two cells, every
required field of the application placed, and the blank PDF with as many pages as ``pages:`` and
of the same sizes.

The box checks (:func:`layout_problems`) are facts, a code with parameters, so that the box
editor can say them in the admin's language before anything is written, and this check in
English with the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pypdfium2 as pdfium

from cases.authoring.widgets import printed_size_mm
from cases.catalogue import FormField, FormLayout, Permit, PermitType, line_at, yaml_lines
from cases.errors import CatalogueProblem
from cases.facts import Fact, Message, render

__all__ = ["BOX_INVALID", "MIN_COMB_CELLS", "BoxProblem", "check_form", "layout_problems"]

_TOLERANCE_MM = 0.5  # drawing and measuring slack: boxes that only touch do not overlap
_SIZE_TOLERANCE_MM = 1.0
MIN_COMB_CELLS = 2  # one cell is a text box; a comb divides its box

BOX_INVALID = Message(
    "form_box_invalid", "box fields.%(box)s is not a box OCR can read: %(detail)s"
)
BOX_UNNAMED = Message("form_box_unnamed", "box fields.%(box)s names no field of permit.yaml")
UNKNOWN_FIELD = Message("form_box_unknown_field", "'%(field)s' is not a field of permit.yaml")
NO_SUCH_PAGE = Message(
    "form_box_no_such_page",
    "%(field)s is on page %(page)s, but the form has %(pages)s page(s) under pages:",
)
OFF_PAGE = Message(
    "form_box_off_page",
    "%(field)s's box [%(coordinates)s] runs off page %(page)s (%(width)g x %(height)g mm)",
)
OVERLAP = Message(
    "form_box_overlap",
    "%(field)s's box overlaps %(other)s's (fields.%(other_box)s) on page %(page)s: each would "
    "read the other's writing",
)
FEW_CELLS = Message(
    "form_box_few_cells",
    "%(field)s is a comb of %(cells)s cell(s): a comb has at least 2 (else make it text)",
)
PLACED_TWICE = Message(
    "form_box_placed_twice",
    "%(field)s is placed twice (first as fields.%(other_box)s): OCR would read only one of them",
)
UNPLACED = Message(
    "form_field_unplaced", "required field %(field)s of permit.yaml is not placed on the form"
)
_KEY_OF = {  # the key of a box a problem is about, where it is not box_mm
    BOX_UNNAMED.code: "field",
    UNKNOWN_FIELD.code: "field",
    NO_SUCH_PAGE.code: "page",
    FEW_CELLS.code: "cells",
}
_LOADING_SAYS = frozenset({BOX_UNNAMED.code, UNKNOWN_FIELD.code, NO_SUCH_PAGE.code})


@dataclass(frozen=True)
class BoxProblem:
    """What is wrong with box ``box`` (its index under ``fields:``; None: the form as a whole),
    as a fact (``cases.facts``) the catalogue check says in English and the editor in the
    admin's language.

    ``blocking`` problems make a box unreadable; the others (a required field not placed yet)
    are reported but do not stop an admin saving the boxes drawn so far.
    """

    box: int | None
    field: str
    fact: Fact
    blocking: bool = True

    @property
    def loc(self) -> tuple[str | int, ...]:
        """Where in form.yaml it is: ``("fields", 2, "box_mm")``."""
        if self.box is None:
            return ("fields",)
        return ("fields", self.box, _KEY_OF.get(str(self.fact["code"]), "box_mm"))

    @property
    def key(self) -> str:
        """The same, as the catalogue check names it: ``fields.2.box_mm``."""
        return ".".join(map(str, self.loc))

    def english(self) -> str:
        return render(self.fact)


def layout_problems(form: FormLayout, permit: Permit) -> list[BoxProblem]:
    """Every problem of ``form``'s boxes for ``permit``, in the order of the boxes."""
    problems = _unknown(form, permit) + _outside_page(form) + _few_cells(form.fields)
    problems += _overlapping(form.fields) + _placed_twice(form.fields) + _unplaced(form, permit)
    return problems


def check_form(permit_type: PermitType) -> list[CatalogueProblem]:
    form_yaml = permit_type.folder / "form.yaml"
    lines = yaml_lines(form_yaml)
    problems = [
        CatalogueProblem(form_yaml, line_at(lines, *p.loc), p.key, p.english())
        for p in layout_problems(permit_type.form, permit_type.permit)
        if p.fact["code"] not in _LOADING_SAYS  # loading reports those
    ]
    for loc, label, message in _blank_pages(permit_type):
        problems.append(CatalogueProblem(form_yaml, line_at(lines, *loc), label, message))
    return problems


def _unknown(form: FormLayout, permit: Permit) -> list[BoxProblem]:
    known = {f.name for f in permit.fields}
    found = [
        BoxProblem(i, f.field, UNKNOWN_FIELD(field=f.field) if f.field else BOX_UNNAMED(box=i))
        for i, f in enumerate(form.fields)
        if f.field not in known
    ]
    pages = len(form.pages)
    return found + [
        BoxProblem(i, f.field, NO_SUCH_PAGE(field=f.field, page=f.page, pages=pages))
        for i, f in enumerate(form.fields)
        if f.page > pages
    ]


def _outside_page(form: FormLayout) -> list[BoxProblem]:
    found: list[BoxProblem] = []
    for i, f in enumerate(form.fields):
        if f.page > len(form.pages):
            continue  # a page the form has not: _unknown says so
        width, height = form.page_size(f.page)
        x, y, w, h = f.box_mm
        slack = _TOLERANCE_MM
        if x < -slack or y < -slack or x + w > width + slack or y + h > height + slack:
            coordinates = ", ".join(f"{v:g}" for v in f.box_mm)
            fact = OFF_PAGE(
                field=f.field, coordinates=coordinates, page=f.page, width=width, height=height
            )
            found.append(BoxProblem(i, f.field, fact))
    return found


def _few_cells(fields: list[FormField]) -> list[BoxProblem]:
    return [
        BoxProblem(i, f.field, FEW_CELLS(field=f.field, cells=f.cells))
        for i, f in enumerate(fields)
        if f.kind == "comb" and (f.cells or 0) < MIN_COMB_CELLS
    ]


def _overlap(a: FormField, b: FormField) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a.box_mm, b.box_mm
    across = min(ax + aw, bx + bw) - max(ax, bx)
    down = min(ay + ah, by + bh) - max(ay, by)
    return a.page == b.page and across > _TOLERANCE_MM and down > _TOLERANCE_MM


def _overlapping(fields: list[FormField]) -> list[BoxProblem]:
    return [
        BoxProblem(j, b.field, OVERLAP(field=b.field, other=a.field, other_box=i, page=b.page))
        for (i, a), (j, b) in combinations(enumerate(fields), 2)
        if _overlap(a, b)
    ]


def _placed_twice(fields: list[FormField]) -> list[BoxProblem]:
    first: dict[str, int] = {}
    found: list[BoxProblem] = []
    for i, f in enumerate(fields):
        if f.field and f.field in first:
            found.append(
                BoxProblem(i, f.field, PLACED_TWICE(field=f.field, other_box=first[f.field]))
            )
        first.setdefault(f.field, i)
    return found


def _unplaced(form: FormLayout, permit: Permit) -> list[BoxProblem]:
    placed = {f.field for f in form.fields}
    return [
        BoxProblem(None, spec.name, UNPLACED(field=spec.name), blocking=False)
        for spec in permit.fields
        if spec.required and spec.source == "application_form" and spec.name not in placed
    ]


_Found = tuple[tuple[Any, ...], str, str]  # where (YAML path), key, message


def _blank_pages(permit_type: PermitType) -> list[_Found]:
    """The blank has the pages form.yaml describes (the hash is checked when it loads)."""
    path = permit_type.blank_form
    if path is None or not path.is_file():
        return []
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        return [(("blank_pdf",), "blank_pdf", f"{path.name} cannot be read as a PDF ({exc})")]
    try:
        sizes = [printed_size_mm(document[i]) for i in range(len(document))]
    finally:
        document.close()
    pages = permit_type.form.pages
    if len(sizes) != len(pages):
        return [
            (
                ("pages",),
                "pages",
                f"{path.name} has {len(sizes)} page(s) but pages: lists {len(pages)}",
            )
        ]
    return [
        (
            ("pages", i, "size_mm"),
            f"pages.{i}.size_mm",
            f"page {i + 1} of {path.name} is {size[0]:.1f} x {size[1]:.1f} mm, "
            f"not {page.size_mm[0]:g} x {page.size_mm[1]:g}",
        )
        for i, (size, page) in enumerate(zip(sizes, pages, strict=True))
        if max(abs(a - b) for a, b in zip(size, page.size_mm, strict=True)) > _SIZE_TOLERANCE_MM
    ]
