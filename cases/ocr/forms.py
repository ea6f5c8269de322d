"""Reading an application form, page by page, by the best means each page allows.

1. A page with a text layer (a PDF typed into): pair the layer's labels with their values, no OCR.
2. A scan of a form with a blank: every scanned page is first identified among the blank's pages
   (``pages.identify_pages``: shuffled, upside-down and sideways pages are put right), then
   turned upright, registered to its own blank page and read box by box (zonal OCR). A page that
   is no page of the form is not read (the caller flags it); a form page that no scanned page is
   has its fields missing (the caller flags them).
3. Anything else (no page identified, registration failed, or the form has no layout): read the
   whole page with the text detector and pair labels with values, fuzzily.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from cases.catalogue import FormLayout
from cases.documents import PageContent
from cases.ocr.fulltext import read_page_lines
from cases.ocr.pages import PageAssignment, PageMatch, identify_pages, turned
from cases.ocr.pairing import merge_rows, pair_labels
from cases.ocr.reader import ENGINE_VERSION, FieldReading
from cases.ocr.register import Registration, register_page
from cases.ocr.zonal import read_form

__all__ = ["TEXT_LAYER_ENGINE", "FormRead", "read_form_page", "read_form_pages"]

TEXT_LAYER_ENGINE = "pdf text layer"
FULL_PAGE_ENGINE = f"{ENGINE_VERSION} full page"
_BLANK_INK_SHARE = 0.0005


def _is_blank(image: Image.Image) -> bool:
    """A page with (almost) no ink: a cover sheet or the back of a page, nothing to read."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    return float(np.mean(gray < np.median(gray) - 60)) < _BLANK_INK_SHARE


@dataclass(frozen=True)
class FormRead:
    """The readings of a form document's pages, and which form page each scanned page was found
    to be (None when identification did not run: no layout, no blank or no scanned page; when it
    placed no page, each page was read as before identification existed)."""

    readings: list[FieldReading]
    assignment: PageAssignment | None


def read_form_pages(
    pages: Iterable[PageContent],
    layout: FormLayout | None,
    labels: Mapping[str, str],
    blank: Path | None = None,
) -> FormRead:
    """Read every page of a form document, each scanned page as the form page it is found to be.

    When not one scanned page can be identified (a photo at an angle, another document), each
    page is read as it was before identification existed: registered to the page of its number,
    else to the best fitting other page, else read whole.
    """
    pages = list(pages)
    scans = [p for p in pages if p.lines is None and p.image is not None]
    assignment = None
    if layout is not None and blank is not None and scans:
        assignment = identify_pages(
            [p.image for p in scans if p.image], blank, numbers=[p.number for p in scans]
        )
    placed = assignment if assignment is not None and assignment.any_matched else None
    readings: list[FieldReading] = []
    for page in pages:
        match = placed.for_scan_page(page.number) if placed else None
        if match is None or page.image is None or layout is None or blank is None:
            readings += _read_unplaced(page, layout, labels, blank)
        elif match.form_page is not None:
            readings += _read_identified(page.image, match, layout, labels, blank)
    return FormRead(readings, assignment)


def read_form_page(
    page: PageContent,
    layout: FormLayout | None,
    labels: Mapping[str, str],
    blank: Path | None = None,
) -> list[FieldReading]:
    """Readings for the form's fields found on this one page (a field may be missing); the page
    is identified among the form's pages like a document's pages are."""
    return read_form_pages([page], layout, labels, blank).readings


def _read_identified(
    image: Image.Image, match: PageMatch, layout: FormLayout, labels: Mapping[str, str], blank: Path
) -> list[FieldReading]:
    """A scanned page identified as form page ``match.form_page``: turned upright, registered to
    that page of the blank and read box by box (boxes in the upright page's pixels)."""
    assert match.form_page is not None
    upright = turned(image, match.turn)
    registration = register_page(upright, blank, page=match.form_page - 1)
    if registration is None:
        return _read_whole(upright, match.scan_page, layout, labels)
    return _read_zonal(registration, layout, match.scan_page, match.form_page)


def _read_unplaced(
    page: PageContent, layout: FormLayout | None, labels: Mapping[str, str], blank: Path | None
) -> list[FieldReading]:
    """A page read without identification: its text layer, or the scan registered to the best
    fitting page of the blank, or read whole."""
    if page.lines is not None:
        return pair_labels(
            page.lines,
            labels,
            page=page.number,
            engine=TEXT_LAYER_ENGINE,
            checkboxes=_checkboxes(layout),
        )
    if page.image is None:
        return []
    if layout is not None and blank is not None:
        found = _register(page.image, page.number, len(layout.pages), blank)
        if found is not None:
            registration, form_page = found
            return _read_zonal(registration, layout, page.number, form_page)
    if _is_blank(page.image):
        return []
    return _read_whole(page.image, page.number, layout, labels)


def _checkboxes(layout: FormLayout | None) -> frozenset[str]:
    return frozenset(f.field for f in (layout.fields if layout else []) if f.kind == "checkbox")


def _read_zonal(
    registration: Registration, layout: FormLayout, page: int, form_page: int
) -> list[FieldReading]:
    readings = read_form(
        registration.image, layout, page=page, form_page=form_page, blank=registration.blank
    )
    return [replace(r, bbox=registration.scan_box(r.bbox)) for r in readings]


def _read_whole(
    image: Image.Image, number: int, layout: FormLayout | None, labels: Mapping[str, str]
) -> list[FieldReading]:
    lines = merge_rows(read_page_lines(image))
    return pair_labels(
        lines, labels, page=number, engine=FULL_PAGE_ENGINE, checkboxes=_checkboxes(layout)
    )


def _register(
    image: Image.Image, number: int, form_pages: int, blank: Path
) -> tuple[Registration, int] | None:
    """The scan page aligned to its page of the blank form, and that page's number.

    Only for a page that identification could not place: scan page N is tried as the form's
    page N, then against the form's other pages, and the best fit is taken; None when it fits
    none.
    """
    expected = number if number <= form_pages else None
    if expected is not None:
        registration = register_page(image, blank, page=expected - 1)
        if registration is not None:
            return registration, expected
    fits = [
        (registration, form_page)
        for form_page in range(1, form_pages + 1)
        if form_page != expected
        and (registration := register_page(image, blank, page=form_page - 1)) is not None
    ]
    return max(fits, key=lambda fit: fit[0].correlation, default=None)
