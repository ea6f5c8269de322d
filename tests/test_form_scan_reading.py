"""What offices' real forms hold, read from scans of them filled in: comb cells beside a dotted
divider, and numbers written by hand. Each page is filled through the PDF's form fill (or written on
in block capitals), imported as an office would, and read through the product's path for a form
page (identified, registered to its blank, read box by box)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.authoring.form_import import import_form
from cases.authoring.widgets import Widget, read_blank_form
from cases.documents import PageContent
from cases.extraction import field_verdicts
from cases.ocr.forms import read_form_pages
from cases.ocr.reader import FieldReading
from tests.forms_pdf import FORMS
from tools.bench.form_fill import FilledField, handwritten_pages, printed_pages
from tools.bench.forms import bench_permit

pytest_plugins = ["tests.ocr_fixtures"]  # ocr_reader

IRS = FORMS / "irs_1040_2024.pdf"
USCIS = FORMS / "uscis_i140.pdf"


def _widget(pdf: Path, ending: str) -> Widget:
    blank = read_blank_form(pdf.read_bytes(), pdf.name)
    return next(w for w in blank.widgets if w.name.endswith(ending))


def _scanned_and_read(
    pdf: Path, values: dict[str, str], *, by_hand: bool
) -> tuple[list[FilledField], dict[str, FieldReading]]:
    """The widgets named (by the end of their names) filled with ``values`` on one page,
    printed or written by hand, and read as the case flow reads a scanned form page."""
    blank = read_blank_form(pdf.read_bytes(), pdf.name)
    fields = [
        FilledField(_widget(pdf, ending), f"f{i:02d}", value)
        for i, (ending, value) in enumerate(values.items())
    ]
    permit = bench_permit(pdf.stem, fields)
    layout = import_form(blank, permit, {f.widget.name: f.name for f in fields}).layout
    ((page, image),) = (handwritten_pages if by_hand else printed_pages)(pdf, fields).items()
    labels = {spec.name: spec.label.en for spec in permit.fields}
    read = read_form_pages([PageContent(page, image=image)], layout, labels, pdf)
    return fields, {r.name: r for r in read.readings}


@pytest.mark.usefixtures("ocr_reader")
def test_comb_digits_beside_a_dotted_divider_are_read() -> None:
    """The IRS dependents' social security number: nine cells, a dotted divider after the third
    and the fifth, a typed ``1`` against each. The blank's dots used to be fitted onto the 1s
    (their stems erased, the dots left: ``08*/7*/5657``)."""
    _, readings = _scanned_and_read(IRS, {"Row1[0].f1_21[0]": "081715657"}, by_hand=False)

    assert readings["f00"].text == "081715657"


@pytest.mark.usefixtures("ocr_reader")
def test_numbers_written_by_hand_keep_their_ones() -> None:
    """A hooked handwritten ``1`` was read ``)`` at the end of a number and ``9`` before another
    digit; a number is now read by both recognisers and a bracket that closes nothing again."""
    values = {
        "Pt1Line1a_FamilyName[0]": "GARCIA",
        "Pt1Line1b_GivenName[0]": "LINDA",
        "Line2_CompanyName[0]": "PATEL KITCHEN SUPPLY",
        "Line6b_StreetNumberName[0]": "8991 OAK STREET",
        "Line6d_CityOrTown[0]": "FAIRVIEW",
        "Line6g_PostalCode[0]": "78181",
        "attyStateBarNumber[0]": "11759",
    }
    fields, readings = _scanned_and_read(USCIS, values, by_hand=True)
    read = {f.value: readings[f.name].text for f in fields}

    assert read == {value: value for value in values.values()}


@pytest.mark.usefixtures("ocr_reader")
def test_a_comb_read_with_punctuation_in_a_cell_goes_to_a_person(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No cell of a comb holds a comma: a reading with one is read again within what cells
    hold, and the first reading kept beside it, so a person checks the field."""
    from cases.ocr import zonal

    said = iter([("081,32", 0.9), ("08132", 0.9)])
    allowed: list[str | None] = []

    def recognise(_line: object, allowlist: str | None, **_: object) -> tuple[str, float]:
        allowed.append(allowlist)
        return next(said)

    monkeypatch.setattr(zonal, "_recognise", recognise)
    fields, readings = _scanned_and_read(IRS, {"Row1[0].f1_21[0]": "08432"}, by_hand=True)
    (verdict,) = field_verdicts([bench_permit(IRS.stem, fields).fields[0]], readings)

    assert allowed == [None, "0123456789"]
    assert verdict.text == "08132"
    assert verdict.reason is not None
    assert verdict.reason["code"] == "reads_two_ways"
