"""A form's layout: its pages and where each field sits, as an admin writes it in form.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cases.catalogue import FormLayout, load_permit_type
from cases.errors import CatalogueError
from cases.settings import PROJECT_ROOT
from tests.catalogues import edit_file
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
