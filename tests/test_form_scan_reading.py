"""What offices' real forms hold, read from scans of them filled in: comb cells beside a dotted
divider, and numbers written by hand. Each page is filled through the PDF's form fill (or written on
in block capitals), imported as an office would, and read through the product's path for a form
page (identified, registered to its blank, read box by box)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from cases.authoring.form_import import import_form
from cases.authoring.widgets import Widget, read_blank_form
from cases.documents import PageContent
from cases.extraction import field_verdicts
from cases.ocr.forms import read_form_pages
from cases.ocr.reader import FieldReading
from tests.forms_pdf import FORMS
from tools.bench.form_fill import FilledField, handwritten_pages, printed_pages, scan_variant
from tools.bench.forms import bench_permit

pytest_plugins = ["tests.ocr_fixtures"]  # ocr_reader

IRS = FORMS / "irs_1040_2024.pdf"
USCIS = FORMS / "uscis_i140.pdf"
CDC = FORMS / "cdc_icar_section1.pdf"


def _widget(pdf: Path, ending: str) -> Widget:
    blank = read_blank_form(pdf.read_bytes(), pdf.name)
    return next(w for w in blank.widgets if w.name.endswith(ending))


def _scanned_and_read(
    pdf: Path,
    values: dict[str, str],
    *,
    by_hand: bool,
    scanned: Callable[[Image.Image], Image.Image] = lambda page: page,
) -> tuple[list[FilledField], dict[str, FieldReading]]:
    """The widgets named (by the end of their names) filled with ``values`` on one page,
    printed or written by hand, ``scanned``, and read as the case flow reads a scanned form
    page."""
    blank = read_blank_form(pdf.read_bytes(), pdf.name)
    fields = [
        FilledField(_widget(pdf, ending), f"f{i:02d}", value)
        for i, (ending, value) in enumerate(values.items())
    ]
    permit = bench_permit(pdf.stem, fields)
    layout = import_form(blank, permit, {f.widget.name: f.name for f in fields}).layout
    ((page, image),) = (handwritten_pages if by_hand else printed_pages)(pdf, fields).items()
    labels = {spec.name: spec.label.en for spec in permit.fields}
    read = read_form_pages([PageContent(page, image=scanned(image))], layout, labels, pdf)
    return fields, {r.name: r for r in read.readings}


def _verdicts(
    pdf: Path, fields: list[FilledField], readings: dict[str, FieldReading]
) -> dict[str, tuple[str, bool]]:
    """Each filled value: what the case flow holds for it, and whether a person is asked."""
    permit = bench_permit(pdf.stem, fields)
    verdicts = {v.spec.name: v for v in field_verdicts(list(permit.fields), readings)}
    return {f.value: (verdicts[f.name].text, verdicts[f.name].reason is not None) for f in fields}


def _recogniser_says(
    monkeypatch: pytest.MonkeyPatch, said: list[tuple[str, float]]
) -> list[str | None]:
    """The recogniser made to read ``said``, one reading a call; the allowlists it was given."""
    from cases.ocr import zonal

    readings = iter(said)
    allowed: list[str | None] = []

    def recognise(_line: object, allowlist: str | None, **_: object) -> tuple[str, float]:
        allowed.append(allowlist)
        return next(readings)

    monkeypatch.setattr(zonal, "_recognise", recognise)
    return allowed


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
    allowed = _recogniser_says(monkeypatch, [("081,32", 0.9), ("08132", 0.9)])
    fields, readings = _scanned_and_read(IRS, {"Row1[0].f1_21[0]": "08432"}, by_hand=True)
    (verdict,) = field_verdicts([bench_permit(IRS.stem, fields).fields[0]], readings)

    assert allowed == [None, "0123456789"]
    assert verdict.text == "08132"
    assert verdict.reason is not None
    assert verdict.reason["code"] == "reads_two_ways"


@pytest.mark.usefixtures("ocr_reader")
def test_radio_buttons_printed_with_a_shaded_ring_read_as_pressed_or_not() -> None:
    """The CDC form's round buttons, printed by a viewer with a shaded ring that the blank
    lacks: every unpressed one used to read as ticked, surely. Only the dot in the middle of
    the ring is a mark."""
    values = {"S1 1a:Yes": "no", "S1 1a:No": "yes", "S1 1a:Unknown": "no", "S1 2a:Yes": "no"}
    fields, readings = _scanned_and_read(CDC, values, by_hand=False)

    assert [readings[f.name].text for f in fields] == ["no", "yes", "no", "no"]
    assert all(readings[f.name].confidence == 1.0 for f in fields)


@pytest.mark.usefixtures("ocr_reader")
def test_a_checkbox_shaded_grey_all_over_is_not_a_tick() -> None:
    """A box the scan greys over (a highlighter, a viewer's fill) holds no mark; a box with a
    real tick beside it still reads ticked."""
    values = {"S1 GF 12": "no", "S1 GF 13": "yes"}

    def shaded(page: Image.Image) -> Image.Image:
        x, y, w, h = (v * page.width / 215.9 for v in _widget(CDC, "S1 GF 12").box_mm)
        ImageDraw.Draw(page).rectangle((x + 3, y + 3, x + w - 3, y + h - 3), fill=185)
        return page

    fields, readings = _scanned_and_read(CDC, values, by_hand=False, scanned=shaded)

    assert _verdicts(CDC, fields, readings) == {"no": ("no", False), "yes": ("yes", False)}


@pytest.mark.usefixtures("ocr_reader")
@pytest.mark.parametrize("variant", ["noisy_turned", "jpeg60"])
def test_a_typed_comb_misread_beside_a_dotted_divider_goes_to_a_person(variant: str) -> None:
    """The IRS social security number's ``9`` sits against the dotted divider, and read in a
    row it came out ``5`` (``265212635``), sure, and was never checked. Read cell by cell and
    by the other recogniser too, it is now right or sent to a person."""
    values = {"Page1[0].f1_06[0]": "269212635"}
    fields, readings = _scanned_and_read(
        IRS, values, by_hand=False, scanned=lambda page: scan_variant(page, variant, 2001)
    )
    (text, asked), *_ = _verdicts(IRS, fields, readings).values()

    assert text == "269212635" or asked


@pytest.mark.usefixtures("ocr_reader")
def test_a_typed_one_crossed_by_a_comb_divider_keeps_its_flag() -> None:
    """The IRS social security number's dotted divider runs through the flag of the ``1`` in
    its fifth cell. Painting the divider out a pixel wider than drawn cut the flag from the stem,
    and the comb was read with a character too many (``2652*12635``); the writing across the
    divider is now kept, so the ``1`` is one character again."""
    values = {"Page1[0].f1_06[0]": "269212635"}
    fields, readings = _scanned_and_read(IRS, values, by_hand=False)
    (text, asked), *_ = _verdicts(IRS, fields, readings).values()

    assert len(text) == 9
    assert text[3:] == "212635"
    assert text == "269212635" or asked


@pytest.mark.usefixtures("ocr_reader")
def test_handwriting_the_handwriting_recogniser_is_unsure_of_is_read_by_print_too() -> None:
    """``TOMAS`` written in block capitals was read ``TONAS`` by the handwriting recogniser,
    squeezed or not, and not sent to a person; ``7711`` was read ``7791``. An unsure line is
    now read by the print recogniser as well: the two differ, so a person checks, and the surer
    reading (here the right one) is the one shown."""
    values = {"S1 GF 11": "Tomas Garcia\n2217 Oak Street", "S1 GF 28": "7711 Maple Avenue"}
    fields, readings = _scanned_and_read(
        CDC, values, by_hand=True, scanned=lambda page: scan_variant(page, "handwritten", 2001)
    )
    verdicts = _verdicts(CDC, fields, readings)

    assert verdicts["Tomas Garcia\n2217 Oak Street"] == ("TOMAS GARCIA 2217 OAK STREET", True)
    assert verdicts["7711 Maple Avenue"] == ("7711 MAPLE AVENUE", True)


@pytest.mark.usefixtures("ocr_reader")
def test_a_handwritten_amount_grouped_in_thousands_keeps_its_comma() -> None:
    """A pen's small comma was read as a point by both recognisers, sure (``48.959`` for
    ``48,959``), and not sent to a person. A number grouped in threes by points is read as
    thousands."""
    values = {
        "Pt1Line1a_FamilyName[0]": "GARCIA",
        "Pt1Line1b_GivenName[0]": "LINDA",
        "Line2_CompanyName[0]": "PATEL KITCHEN SUPPLY",
        "Line6h_Province[0]": "48,959",
    }
    fields, readings = _scanned_and_read(
        USCIS, values, by_hand=True, scanned=lambda page: scan_variant(page, "handwritten", 3001)
    )

    assert _verdicts(USCIS, fields, readings)["48,959"][0] == "48,959"


@pytest.mark.usefixtures("ocr_reader")
def test_a_typed_comma_read_as_a_semicolon_is_read_again_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``5757 Oak Street, Madison`` typed on the CDC form was read ``Street; Madison`` in every
    scan of seed 3's bench page, sure, and not sent to a person. A reading with a semicolon is
    read again without one; the first reading stays beside it, so a person checks."""
    said = [("5757 Oak Street; Madison", 0.93), ("5757 Oak Street, Madison", 0.9)]
    allowed = _recogniser_says(monkeypatch, said)
    values = {"S1 GF 29": "5757 Oak Street, Madison"}
    fields, readings = _scanned_and_read(CDC, values, by_hand=False)

    assert allowed[0] is None
    assert allowed[1] is not None
    assert ";" not in allowed[1]
    assert "," in allowed[1]
    assert _verdicts(CDC, fields, readings)["5757 Oak Street, Madison"] == (
        "5757 Oak Street, Madison",
        True,
    )
