"""``permits bench forms`` runs on a real form and its numbers are the ones its errors add up to."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cases.authoring.widgets import read_blank_form
from cli.main import app
from tests.forms_pdf import FORMS
from tools.bench.form_fill import VARIANTS, choose_fields, printed_pages
from tools.bench.forms import bench_forms

pytest_plugins = ["tests.ocr_fixtures"]  # ocr_reader

IRS = FORMS / "irs_1040_2024.pdf"


def test_invented_values_fit_their_boxes_and_are_printed_by_the_pdf() -> None:
    blank = read_blank_form(IRS.read_bytes(), IRS.name)
    fields = choose_fields(blank, IRS, random.Random(3), pages=2, per_page=6, checkboxes=1)
    assert {f.widget.page for f in fields} == {1, 2}
    assert len(fields) == 14
    for filled in fields:
        if filled.widget.kind == "comb":
            assert len(filled.value) == filled.widget.cells
        if filled.widget.kind == "checkbox":
            assert filled.value in ("yes", "no")
    again = choose_fields(blank, IRS, random.Random(3), pages=2, per_page=6, checkboxes=1)
    assert [f.value for f in again] == [f.value for f in fields]
    pages = printed_pages(IRS, fields)
    assert sorted(pages) == [1, 2]
    assert pages[1].size == (1700, 2200)  # US Letter at 200 dpi


@pytest.fixture(scope="module")
def one_form(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    shutil.copyfile(IRS, folder / IRS.name)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 not really")  # no form in it: skipped
    return folder


@pytest.mark.usefixtures("ocr_reader")
def test_the_bench_reports_the_numbers_its_readings_add_up_to(one_form: Path) -> None:
    results = bench_forms(one_form, pages=1, fields=3, ticks=1, tesseract=False)

    assert results["forms"] == [{"form": IRS.name, "pages": 1}]
    assert [s["form"] for s in results["skipped"]] == ["notes.pdf"]
    for variant in VARIANTS:
        numbers = results[variant]
        errors = [e for e in results["errors"] if e["where"].endswith(f" {variant}")]
        assert numbers["fields"] == 4
        assert numbers["pages"] == 1
        assert numbers["field_accuracy"] == round(1 - len(errors) / 4, 4)
        unflagged = [e for e in errors if not e["flagged"]]
        assert numbers["wrong_unflagged_share"] == round(len(unflagged) / 4, 4)
        assert 0 <= numbers["flagged_share"] <= 1
        assert numbers["median_s_per_page"] > 0
    overall = results["overall"]
    assert overall["fields"] == 4 * len(VARIANTS)
    assert overall["field_accuracy"] == round(1 - len(results["errors"]) / overall["fields"], 4)
    assert overall["peak_rss_mb"] > 0
    assert results["clean"]["field_accuracy"] >= 0.75  # a clean printed copy reads


def test_a_folder_without_forms_is_refused_with_what_to_give(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["bench", "forms", "--forms", str(tmp_path)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2
    assert "holds no PDF forms" in result.output
    assert "Traceback" not in result.output
