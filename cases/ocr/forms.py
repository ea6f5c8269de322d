"""Reading an application form page, by the best means the page allows.

1. A page with a text layer (a PDF typed into): pair the layer's labels with their values, no OCR.
2. A scan that registers to the office's blank form: align it, read each field's box (zonal OCR).
3. Anything else (registration failed, or the form has no layout): read the whole page with the
   text detector and pair labels with values, fuzzily.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from cases.catalogue import FormLayout
from cases.documents import PageContent
from cases.ocr.fulltext import read_page_lines
from cases.ocr.pairing import merge_rows, pair_labels
from cases.ocr.reader import ENGINE_VERSION, FieldReading
from cases.ocr.register import Registration, register_page
from cases.ocr.zonal import read_form

__all__ = ["TEXT_LAYER_ENGINE", "read_form_page"]

TEXT_LAYER_ENGINE = "pdf text layer"
FULL_PAGE_ENGINE = f"{ENGINE_VERSION} full page"
_BLANK_INK_SHARE = 0.0005


def _is_blank(image: Image.Image) -> bool:
    """A page with (almost) no ink: a cover sheet or the back of a page, nothing to read."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    return float(np.mean(gray < np.median(gray) - 60)) < _BLANK_INK_SHARE


def read_form_page(
    page: PageContent,
    layout: FormLayout | None,
    labels: Mapping[str, str],
    blank: Path | None = None,
) -> list[FieldReading]:
    """Readings for the form's fields found on this page (a field may be missing). A scan is read
    box by box when it registers to ``blank``, the office's blank form; else it is read whole."""
    checkboxes = frozenset(
        f.field for f in (layout.fields if layout else []) if f.kind == "checkbox"
    )
    if page.lines is not None:
        return pair_labels(
            page.lines, labels, page=page.number, engine=TEXT_LAYER_ENGINE, checkboxes=checkboxes
        )
    if page.image is None:
        return []
    if layout is not None and blank is not None:
        found = _register(page.image, page.number, len(layout.pages), blank)
        if found is not None:
            registration, form_page = found
            readings = read_form(
                registration.image,
                layout,
                page=page.number,
                form_page=form_page,
                blank=registration.blank,
            )
            return [replace(r, bbox=registration.scan_box(r.bbox)) for r in readings]
    if _is_blank(page.image):
        return []
    lines = merge_rows(read_page_lines(page.image))
    return pair_labels(
        lines, labels, page=page.number, engine=FULL_PAGE_ENGINE, checkboxes=checkboxes
    )


def _register(
    image: Image.Image, number: int, form_pages: int, blank: Path
) -> tuple[Registration, int] | None:
    """The scan page aligned to its page of the blank form, and that page's number.

    Scan page N is expected to be the form's page N. When it is not (a cover sheet before the
    form, a page beyond the form's last), it is tried against the form's other pages and the best
    fit is taken; None when it fits none.
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
