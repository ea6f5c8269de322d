"""The OCR benchmark's inputs are reproducible and its scoring is the case flow's."""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from PIL import Image

from cases.catalogue import get_permit_type, load_catalogue
from cases.ocr.reader import FieldReading
from tools.bench import ocr as bench_ocr
from tools.bench.ocr import Scan, _Tally, _tesseract, degraded_scans


def test_degraded_scans_are_the_same_for_the_same_seeds() -> None:
    first, again = degraded_scans(2), degraded_scans(2)
    assert first == again
    assert first[0].jpeg.startswith(b"\xff\xd8\xff")
    assert first[0].truth != first[1].truth
    assert set(first[0].truth) == {f.field for f in get_permit_type(first[0].permit).form.fields}
    with Image.open(io.BytesIO(first[0].jpeg)) as page:
        assert page.width == round(210 / 25.4 * first[0].dpi)


def test_the_scans_cover_every_form_in_the_catalogue_typed_and_handwritten() -> None:
    scans = degraded_scans(6)
    assert {s.permit for s in scans} == set(load_catalogue())
    assert {s.hand for s in scans} == {"typewriter", "handwriting"}
    handwritten = next(s for s in scans if s.hand == "handwriting")
    assert handwritten.truth["applicant_name"] == handwritten.truth["applicant_name"].upper()


def _reading(name: str, text: str, confidence: float = 0.9) -> FieldReading:
    return FieldReading(name, text, confidence, 1, (0, 0, 1, 1), "t")


def test_fields_are_compared_as_the_case_would_store_them() -> None:
    scan = Scan(0, 150, b"", {"application_date": "2026-01-05", "applicant_name": "CHAN Tai Man"})
    readings = [_reading("application_date", "05/01/2026"), _reading("applicant_name", "CHAN Tai")]
    tally = _Tally()
    assert tally.add(get_permit_type("food-business-licence"), scan, readings) == 1
    assert tally.right == 1  # the date is the same date; the name is not the name
    assert (tally.edits, tally.chars) == (8 + 4, 10 + 12)


def test_the_tally_counts_what_the_verification_triggers_would_show_a_person() -> None:
    truth = {"applicant_name": "CHAN Tai Man", "phone": "91234567", "seating_capacity": "40"}
    readings = [
        _reading("applicant_name", "CHAN Tai", confidence=0.2),  # wrong, and unsure: caught
        _reading("phone", "9123456"),  # wrong, and fails validation: caught
        _reading("seating_capacity", "48"),  # wrong, and sure of itself: passes unchecked
    ]
    tally = _Tally()
    tally.add(get_permit_type("food-business-licence"), Scan(0, 150, b"", truth), readings)
    assert (tally.fields, tally.right, tally.flagged, tally.wrong_flagged) == (3, 0, 2, 2)


def test_tesseract_reads_the_plain_fields_through_the_same_pairing() -> None:
    (scan,) = degraded_scans(1)
    permit_type = get_permit_type(scan.permit)
    with Image.open(io.BytesIO(scan.jpeg)) as page:
        readings = {r.name: r.text for r in _tesseract(permit_type)(page.convert("RGB"))}
    assert readings["applicant_name"] == scan.truth["applicant_name"]
    assert readings["business_name"] == scan.truth["business_name"]


class _InProcess:
    """A stand-in for the process pool: runs the call here, at once."""

    def __init__(self, **_: object) -> None:
        pass

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(function(*args))
        return future


def test_an_engine_given_no_pages_is_left_out_not_divided_by_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``permits bench ocr --readtext-pages 0`` used to stop with ZeroDivisionError."""
    read: dict[str, int] = {}

    def run_engine(engine: str, scans: list[Scan]) -> dict[str, Any]:
        read[engine] = len(scans)
        return {"pages": len(scans), "field_accuracy": 1.0}

    monkeypatch.setattr(bench_ocr, "ProcessPoolExecutor", _InProcess)
    monkeypatch.setattr(bench_ocr, "_run_engine", run_engine)
    results = bench_ocr.run_bench(1, readtext_pages=0)

    assert read == {"pipeline": 1, "tesseract": 1}
    assert results["easyocr_readtext"] == {"pages": 0}
    assert "easyocr_readtext" in capsys.readouterr().out
