"""`permits forms import`: an office's fillable PDF becomes the permit type's form.yaml."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from cases.catalogue import FormLayout
from cases.settings import PROJECT_ROOT
from tests.catalogues import catalogue_at
from tests.conftest import Invoke
from tests.factories import FOOD
from tests.forms_pdf import (
    COMB,
    FORMS,
    MULTILINE,
    REAL_FORMS,
    PdfWidget,
    cropped,
    encrypted,
    pdf_widgets,
    turned,
    without_pages,
)

OFFICE = "office-form"  # a permit type with a field for every widget of the form imported


def _office_permit(folder: Path, count: int) -> None:
    permit = {
        "id": OFFICE,
        "reference_prefix": "OFF",
        "name": {"en": "Office form", "zh_hant": "表格"},
        "service_level_days": 30,
        "retention_years": 7,
        "required_documents": [],
        "fields": [
            {"name": f"w{i:03d}", "label": {"en": f"W {i}", "zh_hant": "字"}, "required": False}
            for i in range(count)
        ],
        "approval_policy": {"approve": {"role": "caseworker"}, "refuse": {"role": "caseworker"}},
    }
    folder.mkdir(parents=True)
    (folder / "permit.yaml").write_text(yaml.safe_dump(permit), encoding="utf-8")


@pytest.fixture
def rules(tmp_path: Path) -> Iterator[Path]:
    """A catalogue with the food licence, its form taken away, and room for the office's form."""
    root = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules" / FOOD, root / FOOD)
    (root / FOOD / "form.yaml").unlink()
    (root / FOOD / "form.pdf").unlink()
    _office_permit(root / OFFICE, 300)
    with catalogue_at(root):
        yield root


def _write_mapping(path: Path, mapping: dict[str, str]) -> Path:
    path.write_text("".join(f"{json.dumps(k)}: {v}\n" for k, v in mapping.items()), "utf-8")
    return path


def _draft(cli: Invoke, blank: Path, permit_type: str) -> str:
    result = cli("forms", "import", str(blank), "--type", permit_type)
    assert result.exit_code == 0, result.output
    return result.output


def _offered(draft: str) -> list[tuple[str, str]]:
    """The widgets a draft mapping offers, in the PDF's order (commented out or not), each with
    the comment that says what it is."""
    entries = []
    for line in draft.splitlines():
        entry = line.removeprefix("# ")
        if entry.startswith('"'):
            (name,) = yaml.safe_load(entry)
            entries.append((name, entry.rsplit("  # ", 1)[1]))
    return entries


def _widget_names(cli: Invoke, blank: Path) -> list[str]:
    return [name for name, _ in _offered(_draft(cli, blank, OFFICE))]


def _import_all(cli: Invoke, rules: Path, blank: Path) -> tuple[FormLayout, dict[str, str]]:
    """Import ``blank`` mapping every widget to a field of its own; the layout and field ->
    widget."""
    names = _widget_names(cli, blank)
    mapping = {name: f"w{i:03d}" for i, name in enumerate(names)}
    mapping_file = _write_mapping(rules.parent / "mapping.yaml", mapping)
    args = ["forms", "import", str(blank), "--type", OFFICE, "--map", str(mapping_file), "--force"]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    text = (rules / OFFICE / "form.yaml").read_text(encoding="utf-8")
    return FormLayout.model_validate(yaml.safe_load(text)), {v: k for k, v in mapping.items()}


def _pdf_widget(widgets: list[PdfWidget], name: str, page: int) -> list[PdfWidget]:
    """The PDF's widgets a mapped name stands for (a radio button's name adds its value)."""
    return [
        w
        for w in widgets
        if w.page == page and (name == w.name or name.startswith((f"{w.name}:", f"{w.name}#")))
    ]


@pytest.mark.parametrize("form", REAL_FORMS)
def test_every_box_lands_on_its_widget(cli: Invoke, rules: Path, form: str) -> None:
    layout, widget_of = _import_all(cli, rules, FORMS / form)
    widgets = pdf_widgets(FORMS / form)
    assert len(layout.fields) >= 0.9 * len(widgets)  # all but the read-only and the buttons
    for placed in layout.fields:
        candidates = _pdf_widget(widgets, widget_of[placed.field], placed.page)
        misses = [
            max(abs(a - b) for a, b in zip(placed.box_mm, w.box_mm, strict=True))
            for w in candidates
        ]
        assert min(misses, default=999) <= 1.0, (widget_of[placed.field], placed.box_mm)
    assert [p.size_mm for p in layout.pages] == [(215.9, 279.4)] * len(layout.pages)
    blank = rules / OFFICE / "form.pdf"
    assert blank.read_bytes() == (FORMS / form).read_bytes()
    assert layout.blank_sha256 == hashlib.sha256(blank.read_bytes()).hexdigest()


@pytest.mark.parametrize("form", REAL_FORMS)
def test_combs_multiline_boxes_and_checkboxes_are_told_apart(
    cli: Invoke, rules: Path, form: str
) -> None:
    layout, widget_of = _import_all(cli, rules, FORMS / form)
    widgets = pdf_widgets(FORMS / form)
    for placed in layout.fields:
        (truth, *_) = _pdf_widget(widgets, widget_of[placed.field], placed.page)
        if truth.field_type == "/Btn":
            assert placed.kind == "checkbox", widget_of[placed.field]
        elif truth.flags & COMB and truth.max_length:
            assert (placed.kind, placed.cells) == ("comb", truth.max_length)
        elif placed.kind == "multiline":
            assert truth.flags & MULTILINE
    kinds = {f.kind for f in layout.fields}
    assert {"checkbox", "text"} <= kinds
    assert {"comb", "multiline"} & kinds


def test_tooltips_become_labels(cli: Invoke, rules: Path) -> None:
    layout, widget_of = _import_all(cli, rules, FORMS / "cdc_icar_section1.pdf")
    labels = {widget_of[f.field]: f.label for f in layout.fields}
    assert labels["S1 GF 1"] == "Date of Assessment (mm/dd/yyyy)"
    assert labels["S1 GF 7:Long-term Care"] is not None


@pytest.mark.parametrize(
    ("degrees", "expected"),
    [
        (90, lambda x, y, w, h: (279.4 - y - h, x, h, w)),
        (180, lambda x, y, w, h: (215.9 - x - w, 279.4 - y - h, w, h)),
        (270, lambda x, y, w, h: (y, 215.9 - x - w, h, w)),
    ],
)
def test_a_turned_page_is_laid_out_as_printed(
    cli: Invoke, rules: Path, degrees: int, expected: Callable[..., tuple[float, ...]]
) -> None:
    upright, _ = _import_all(cli, rules, FORMS / "irs_1040_2024.pdf")
    (rules.parent / "turned.pdf").write_bytes(turned(FORMS / "irs_1040_2024.pdf", degrees))
    layout, _ = _import_all(cli, rules, rules.parent / "turned.pdf")
    landscape = degrees != 180
    assert layout.pages[0].size_mm == ((279.4, 215.9) if landscape else (215.9, 279.4))
    for before, after in zip(upright.fields, layout.fields, strict=True):
        assert after.box_mm == pytest.approx(expected(*before.box_mm), abs=0.05)


def test_a_cropped_page_measures_from_its_visible_corner(cli: Invoke, rules: Path) -> None:
    upright, _ = _import_all(cli, rules, FORMS / "irs_1040_2024.pdf")
    (rules.parent / "cropped.pdf").write_bytes(cropped(FORMS / "irs_1040_2024.pdf", 36, 72))
    layout, _ = _import_all(cli, rules, rules.parent / "cropped.pdf")
    assert layout.pages[0].size_mm == pytest.approx((215.9 - 12.7, 279.4 - 25.4))
    for before, after in zip(upright.fields, layout.fields, strict=True):
        x, y, w, h = before.box_mm
        assert after.box_mm == pytest.approx((x - 12.7, y, w, h), abs=0.05)


def _food_mapping(cli: Invoke, blank: Path) -> dict[str, str]:
    """The food licence's form fields on widgets of a real form: ticks on checkboxes."""
    entries = _offered(_draft(cli, blank, FOOD))
    ticks = [name for name, about in entries if "checkbox" in about]
    writes = [name for name, about in entries if "checkbox" not in about]
    text = ["applicant_name", "hkid", "phone", "business_name", "premises_address"]
    text += ["business_type", "floor_area_m2", "seating_capacity", "hygiene_staff"]
    text += ["fire_certificate_no", "application_date"]
    mapping = dict(zip(writes, text, strict=False))
    mapping.update(zip(ticks, ["has_fire_certificate", "agrees_to_inspection"], strict=False))
    return mapping


def test_widgets_left_unmapped_are_listed_and_the_form_checks_clean(
    cli: Invoke, rules: Path
) -> None:
    blank = FORMS / "uscis_i140.pdf"
    mapping = _food_mapping(cli, blank)
    mapping_file = _write_mapping(rules.parent / "food.yaml", mapping)
    result = cli("forms", "import", str(blank), "--type", FOOD, "--map", str(mapping_file))
    assert result.exit_code == 0, result.output
    assert "13 field(s) on 8 page(s)" in result.output
    unmapped = [name for name, _ in _offered(_draft(cli, blank, FOOD)) if name not in mapping]
    assert f"{len(unmapped)} widget(s) not mapped, left off the form" in result.output
    written = (rules / FOOD / "form.yaml").read_text(encoding="utf-8")
    for name in unmapped:
        assert f"  {json.dumps(name)} (page " in result.output
        assert json.dumps(name) not in written
    shutil.rmtree(rules / OFFICE)  # only a permit.yaml, no rules: not a permit type to check
    check = cli("catalogue", "check", "--folder", str(rules))
    assert check.exit_code == 0, check.output


def test_a_required_field_left_unmapped_is_a_warning(cli: Invoke, rules: Path) -> None:
    blank = FORMS / "irs_1040_2024.pdf"
    mapping = {k: v for k, v in _food_mapping(cli, blank).items() if v != "business_name"}
    mapping_file = _write_mapping(rules.parent / "food.yaml", mapping)
    result = cli("forms", "import", str(blank), "--type", FOOD, "--map", str(mapping_file))
    assert result.exit_code == 0
    assert "required field(s) not on the form: business_name" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('"S1 GF 2": facility_name', "'facility_name' is not a field of the application form"),
        ('"S1 GF 2": id_card_name', "'id_card_name' is not a field of the application form"),
        ('"S1 GF 99": business_name', "no widget of this name in the blank PDF"),
        (
            '"S1 GF 3": applicant_name',
            "applicant_name is already mapped to another widget (line 1)",
        ),
    ],
)
def test_a_wrong_mapping_is_refused_with_its_file_and_line(
    cli: Invoke, rules: Path, entry: str, complaint: str
) -> None:
    mapping_file = rules.parent / "mapping.yaml"
    mapping_file.write_text(f'"S1 GF 2": applicant_name\n# a comment\n{entry}\n', "utf-8")
    blank = FORMS / "cdc_icar_section1.pdf"
    result = cli("forms", "import", str(blank), "--type", FOOD, "--map", str(mapping_file))
    assert result.exit_code == 1
    assert f"{mapping_file}:3:" in "".join(result.output.split())  # Rich wraps long paths
    assert complaint in " ".join(result.output.split())
    assert not (rules / FOOD / "form.yaml").exists()
    assert not (rules / FOOD / "form.pdf").exists()


def test_without_a_mapping_a_draft_is_printed_and_nothing_written(cli: Invoke, rules: Path) -> None:
    blank = FORMS / "uscis_i140.pdf"
    draft = _draft(cli, blank, FOOD)
    assert '"form1[0].#subform[5].Part7_Item6_MobilePhone[0]": phone' in draft  # tooltip match
    assert '# "form1[0].#subform[0].Pt1Line1a_FamilyName[0]": pt1_line1a_family_name' in draft
    assert "read-only, not filled in by the applicant" in draft
    assert not (rules / FOOD / "form.yaml").exists()
    mapping_file = rules.parent / "draft.yaml"
    mapping_file.write_text(draft, encoding="utf-8")  # the draft is a mapping as it stands
    result = cli("forms", "import", str(blank), "--type", FOOD, "--map", str(mapping_file))
    assert result.exit_code == 0, result.output
    layout = FormLayout.model_validate(yaml.safe_load((rules / FOOD / "form.yaml").read_text()))
    assert [f.field for f in layout.fields] == ["phone"]


def test_an_existing_form_is_replaced_only_when_asked(cli: Invoke, rules: Path) -> None:
    blank = FORMS / "irs_1040_2024.pdf"
    mapping_file = _write_mapping(rules.parent / "food.yaml", _food_mapping(cli, blank))
    args = ["forms", "import", str(blank), "--type", FOOD, "--map", str(mapping_file)]
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 1
    assert "exists; give --force to replace it" in again.output
    assert cli(*args, "--force").exit_code == 0


@pytest.mark.parametrize(
    ("make", "complaint"),
    [
        (lambda: b"Name,Address\n", "not a PDF file"),
        (lambda: encrypted(FORMS / "irs_1040_2024.pdf"), "encrypted with a password"),
        (without_pages, "the PDF has no pages"),
        (
            lambda: (PROJECT_ROOT / "rules" / FOOD / "form.pdf").read_bytes(),
            "no fillable fields (no AcroForm): draw the boxes on its pages with the box editor",
        ),
    ],
)
def test_a_blank_that_cannot_be_imported_is_refused_and_nothing_written(
    cli: Invoke, rules: Path, make: Callable[[], bytes], complaint: str
) -> None:
    blank = rules.parent / "blank.pdf"
    blank.write_bytes(make())
    mapping_file = _write_mapping(rules.parent / "food.yaml", {"x": "applicant_name"})
    for extra in ([], ["--map", str(mapping_file)]):
        result = cli("forms", "import", str(blank), "--type", FOOD, *extra)
        assert result.exit_code == 1
        assert complaint in " ".join(result.output.split())
        assert "blank.pdf" in result.output
    assert sorted(p.name for p in (rules / FOOD).iterdir()) == [
        "eligibility-2026.yaml",
        "permit.yaml",
    ]
