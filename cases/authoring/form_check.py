"""The form part of ``permits catalogue check``: boxes that zonal OCR can read as the admin meant.

Loading already refuses a box for a field the permit does not have, on a page the form has not,
or a blank whose hash is not the one given. Here: every box inside its page, no two boxes on one
page overlapping (one would read the other's writing), every required field of the application
placed, and the blank PDF with as many pages as ``pages:`` and of the same sizes.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pypdfium2 as pdfium

from cases.authoring.widgets import printed_size_mm
from cases.catalogue import FormField, PermitType, line_at, yaml_lines
from cases.errors import CatalogueProblem

__all__ = ["check_form"]

_TOLERANCE_MM = 0.5  # drawing and measuring slack: boxes that only touch do not overlap
_SIZE_TOLERANCE_MM = 1.0


def check_form(permit_type: PermitType) -> list[CatalogueProblem]:
    form_yaml = permit_type.folder / "form.yaml"
    lines = yaml_lines(form_yaml)

    def problem(loc: tuple[Any, ...], label: str, message: str) -> CatalogueProblem:
        return CatalogueProblem(form_yaml, line_at(lines, *loc), label, message)

    problems = [problem(*p) for p in _outside_page(permit_type)]
    problems += [problem(*p) for p in _overlapping(permit_type.form.fields)]
    problems += [problem(*p) for p in _unplaced(permit_type)]
    problems += [problem(*p) for p in _blank_pages(permit_type)]
    return problems


_Found = tuple[tuple[Any, ...], str, str]  # where (YAML path), field label, message


def _outside_page(permit_type: PermitType) -> list[_Found]:
    found: list[_Found] = []
    form = permit_type.form
    for i, f in enumerate(form.fields):
        if f.page > len(form.pages):
            continue  # reported when the catalogue loads
        width, height = form.page_size(f.page)
        x, y, w, h = f.box_mm
        if (
            x < -_TOLERANCE_MM
            or y < -_TOLERANCE_MM
            or x + w > width + _TOLERANCE_MM
            or (y + h > height + _TOLERANCE_MM)
        ):
            found.append(
                (
                    ("fields", i, "box_mm"),
                    f"fields.{i}.box_mm",
                    f"{f.field}'s box [{x:g}, {y:g}, {w:g}, {h:g}] runs off page {f.page} "
                    f"({width:g} x {height:g} mm)",
                )
            )
    return found


def _overlap(a: FormField, b: FormField) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a.box_mm, b.box_mm
    across = min(ax + aw, bx + bw) - max(ax, bx)
    down = min(ay + ah, by + bh) - max(ay, by)
    return a.page == b.page and across > _TOLERANCE_MM and down > _TOLERANCE_MM


def _overlapping(fields: list[FormField]) -> list[_Found]:
    return [
        (
            ("fields", j, "box_mm"),
            f"fields.{j}.box_mm",
            f"{b.field}'s box overlaps {a.field}'s (fields.{i}) on page {b.page}: each would "
            "read the other's writing",
        )
        for (i, a), (j, b) in combinations(enumerate(fields), 2)
        if _overlap(a, b)
    ]


def _unplaced(permit_type: PermitType) -> list[_Found]:
    placed = {f.field for f in permit_type.form.fields}
    return [
        (
            ("fields",),
            "fields",
            f"required field {spec.name} of permit.yaml is not placed on the form",
        )
        for spec in permit_type.permit.fields
        if spec.required and spec.source == "application_form" and spec.name not in placed
    ]


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
