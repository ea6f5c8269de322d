"""A form's layout: its pages and where each field sits, as an admin writes it in form.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cases.authoring import check_catalogue
from cases.catalogue import FormLayout, load_permit_type
from cases.errors import CatalogueError
from cases.settings import PROJECT_ROOT
from tests.catalogues import edit_file
from tests.conftest import Invoke
from tests.factories import FOOD


@pytest.fixture
def food(tmp_path: Path) -> Path:
    """A private copy of the food licence's folder, to edit."""
    folder = tmp_path / "rules" / FOOD
    shutil.copytree(PROJECT_ROOT / "rules" / FOOD, folder)
    return folder


def _load_error(folder: Path) -> str:
    with pytest.raises(CatalogueError) as caught:
        load_permit_type(folder)
    return str(caught.value)


def test_shipped_form_is_one_a4_page_with_every_field_on_it() -> None:
    form = load_permit_type(PROJECT_ROOT / "rules" / FOOD).form
    assert form.page_size(1) == (210, 297)
    assert len(form.pages) == 1
    assert form.fields_on(1) == form.fields


def test_older_single_page_spelling_still_loads(food: Path) -> None:
    edit_file(food / "form.yaml", "pages:", "page_size_mm: [297, 210]")
    edit_file(food / "form.yaml", "  - {size_mm: [210, 297]}\n", "")
    form = load_permit_type(food).form
    assert [p.size_mm for p in form.pages] == [(297, 210)]


def test_pages_and_the_older_page_size_together_are_refused(food: Path) -> None:
    edit_file(food / "form.yaml", "pages:", "page_size_mm: [210, 297]\npages:")
    assert "give pages or the older page_size_mm, not both" in _load_error(food)


def test_a_multi_page_layout_places_each_field_on_its_page() -> None:
    form = FormLayout.model_validate(
        {
            "form_code": "X-1",
            "title": "Two pages",
            "pages": [{"size_mm": [215.9, 279.4]}, {"size_mm": [279.4, 215.9]}],
            "fields": [
                {"field": "name", "box_mm": [10, 10, 80, 8], "label": "Full name"},
                {"field": "remarks", "page": 2, "box_mm": [10, 10, 150, 30], "kind": "multiline"},
                {"field": "agrees", "page": 2, "box_mm": [10, 50, 4, 4], "kind": "checkbox"},
            ],
        }
    )
    assert [f.field for f in form.fields_on(2)] == ["remarks", "agrees"]
    assert form.page_size(2) == (279.4, 215.9)
    assert form.fields[0].label == "Full name"


def test_a_field_on_a_page_the_form_has_not_is_reported_with_its_line(food: Path) -> None:
    line = edit_file(food / "form.yaml", "{field: phone,", "{field: phone, page: 2,")
    message = _load_error(food)
    assert f"form.yaml:{line}: fields.2.page: phone is on page 2" in message
    assert "the form has 1 page(s)" in message


_DATE = "{field: application_date, box_mm: [115, 218, 75, 11], "


@pytest.mark.parametrize(
    ("shape", "complaint"),
    [
        ("cells: 10,", "cells is given for, and only for, a field of kind 'comb'"),
        ("kind: comb, cells: 10, lines: 2,", "lines is given only for a field of kind 'multiline'"),
        ("kind: scribble,", "fields.10.kind"),
    ],
)
def test_a_field_of_the_wrong_shape_is_reported_with_its_line(
    food: Path, shape: str, complaint: str
) -> None:
    line = edit_file(food / "form.yaml", _DATE + "kind: comb, cells: 10,", _DATE + shape)
    message = _load_error(food)
    assert f"form.yaml:{line}: fields.10" in message
    assert complaint in message


# --- permits catalogue check ------------------------------------------------------------------


def _checked(food: Path, cli: Invoke) -> list[str]:
    """The problems `permits catalogue check` prints, one per line, as an admin reads them."""
    result = cli("catalogue", "check", "--folder", str(food.parent))
    assert result.exit_code == 1, result.output
    problems, _ = check_catalogue(food.parent)
    return [str(p) for p in problems]


def test_the_shipped_forms_check_clean(cli: Invoke) -> None:
    result = cli("catalogue", "check")
    assert result.exit_code == 0, result.output


def test_overlapping_boxes_are_reported_with_the_line_of_the_second(
    food: Path, cli: Invoke
) -> None:
    line = edit_file(
        food / "form.yaml", "{field: phone, box_mm: [115, 86,", "{field: phone, box_mm: [90, 86,"
    )
    (problem,) = _checked(food, cli)
    assert problem.startswith(f"{food / 'form.yaml'}:{line}: fields.2.box_mm: ")
    assert "phone's box overlaps hkid's (fields.1) on page 1" in problem


def test_a_box_running_off_its_page_is_reported(food: Path, cli: Invoke) -> None:
    line = edit_file(food / "form.yaml", "box_mm: [20, 62, 170, 11]", "box_mm: [20, 62, 200, 11]")
    (problem,) = _checked(food, cli)
    assert problem.startswith(f"{food / 'form.yaml'}:{line}: fields.0.box_mm: ")
    assert "applicant_name's box [20, 62, 200, 11] runs off page 1 (210 x 297 mm)" in problem


def test_a_required_field_not_placed_is_reported(food: Path, cli: Invoke) -> None:
    text = (food / "form.yaml").read_text(encoding="utf-8")
    fields_line = text.splitlines().index("fields:") + 1
    edit_file(food / "form.yaml", "  - {field: business_name,", "  # - {field: business_name,")
    (problem,) = _checked(food, cli)
    assert problem.startswith(f"{food / 'form.yaml'}:{fields_line}: fields: ")
    assert "required field business_name of permit.yaml is not placed on the form" in problem


def test_a_blank_with_other_pages_than_the_layout_is_reported(food: Path, cli: Invoke) -> None:
    line = edit_file(food / "form.yaml", "pages:", "pages:\n  - {size_mm: [210, 297]}")
    (problem,) = _checked(food, cli)
    assert problem.startswith(f"{food / 'form.yaml'}:{line}: pages: ")
    assert "form.pdf has 1 page(s) but pages: lists 2" in problem
    edit_file(food / "form.yaml", "  - {size_mm: [210, 297]}\n", "")
    line = edit_file(
        food / "form.yaml", "  - {size_mm: [210, 297]}", "  - {size_mm: [215.9, 279.4]}"
    )
    (problem,) = _checked(food, cli)
    assert problem == (
        f"{food / 'form.yaml'}:{line}: pages.0.size_mm: "
        "page 1 of form.pdf is 210.0 x 297.0 mm, not 215.9 x 279.4"
    )


def test_a_blank_replaced_by_another_pdf_is_reported_with_the_hash_line(
    food: Path, cli: Invoke
) -> None:
    other = PROJECT_ROOT / "rules" / "liquor-licence" / "form.pdf"
    shutil.copyfile(other, food / "form.pdf")
    text = (food / "form.yaml").read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("blank_sha256:"))
    (problem,) = _checked(food, cli)
    assert problem.startswith(f"{food / 'form.yaml'}:{line}: blank_sha256: form.pdf has SHA-256")


def test_a_comb_of_one_cell_and_a_field_placed_twice_are_reported(food: Path, cli: Invoke) -> None:
    cells = edit_file(food / "form.yaml", "cells: 11", "cells: 1")
    twice = edit_file(
        food / "form.yaml",
        "  - {field: fire_certificate_no, box_mm: [20, 218, 75, 11]}",
        "  - {field: phone, box_mm: [20, 218, 75, 11]}",
    )
    problems = _checked(food, cli)
    assert len(problems) == 2
    assert problems[0].startswith(f"{food / 'form.yaml'}:{cells}: fields.1.cells: ")
    assert "hkid is a comb of 1 cell(s): a comb has at least 2" in problems[0]
    assert problems[1].startswith(f"{food / 'form.yaml'}:{twice}: fields.9.box_mm: ")
    assert "phone is placed twice (first as fields.2)" in problems[1]
