"""Registration: bring a scanned page into the form's own frame before reading it zonally.

A page is never scanned exactly square: it is rotated a degree or three, shifted a few millimetres,
printed or scanned at a slightly different scale. Zonal reading needs each field's box to land on
the field, so the scan is aligned to a rendering of the office's own blank form (the PDF the
catalogue names beside ``form.yaml``; never a drawing made from the layout) by enhanced-correlation
maximisation (OpenCV's ECC, affine motion) on small, blurred copies of both, which is quick
(~0.1 s) and ignores what is written in the boxes. A page that does not correlate with the form
(another document, a photo at an angle) is reported as not registered, and the caller falls back
to reading the whole page and pairing labels with values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
from numpy.typing import NDArray
from PIL import Image

__all__ = ["Registration", "blank_page_count", "blank_page_image", "register_page"]

_WORK_WIDTH = 420  # pixels across the page while aligning: ~50 dpi on A4
_REFERENCE_DPI = 150  # the blank is rendered at this, then reduced like the scan
_MIN_CORRELATION = 0.55  # below this the page is not this form (measured: forms 0.75-0.95)
_MAX_ROTATION_DEG = 6.0
_SCALE_RANGE = (0.85, 1.18)

Affine = NDArray[np.float32]


@dataclass(frozen=True)
class Registration:
    """The page warped into the form's frame, and how to map form pixels back to the scan."""

    image: Image.Image
    blank: Image.Image  # the blank page at the same pixels: what was printed before it was filled
    correlation: float
    rotation_deg: float
    to_scan: Affine  # 2x3: form-frame pixel -> scan pixel

    def scan_box(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box in the registered image as the box around it in the original scan."""
        x0, y0, x1, y1 = box
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float32)
        mapped = corners @ self.to_scan.T
        return (
            round(float(mapped[:, 0].min())),
            round(float(mapped[:, 1].min())),
            round(float(mapped[:, 0].max())),
            round(float(mapped[:, 1].max())),
        )


@lru_cache(maxsize=8)
def blank_page_count(blank: Path, modified_ns: int) -> int:
    """How many pages the blank form has (``modified_ns``: see ``blank_page_image``)."""
    del modified_ns
    document = pdfium.PdfDocument(str(blank))
    try:
        return len(document)
    finally:
        document.close()


@lru_cache(maxsize=8)
def blank_page_image(blank: Path, modified_ns: int, page: int) -> Image.Image:
    """Page ``page`` (0-based) of the blank form in grey, as registration compares with it."""
    del modified_ns  # part of the cache key: a replaced blank is rendered afresh
    document = pdfium.PdfDocument(str(blank))
    try:
        return _page_image(document[page]).convert("L")
    finally:
        document.close()


@lru_cache(maxsize=16)
def _reference(blank: Path, modified_ns: int, page: int, height: int) -> Affine:
    image = blank_page_image(blank, modified_ns, page)
    reduced = image.resize((_WORK_WIDTH, height), Image.Resampling.BILINEAR)
    return _prepare(np.asarray(reduced, dtype=np.uint8))


def _page_image(page: pdfium.PdfPage) -> Image.Image:
    """The page as pixels. A blank that is one upright picture filling the page (a scanned blank
    form) is taken at its own pixels: rendering would resample them and shift thin lines by a
    pixel, which costs zonal reading accuracy. Anything else (a printed, vector form) is
    rendered."""
    objects = list(page.get_objects())
    if len(objects) == 1 and isinstance(objects[0], pdfium.PdfImage):
        picture = objects[0]
        a, b, c, d, _, _ = picture.get_matrix().get()
        width, height = page.get_size()
        left, bottom, right, top = picture.get_bounds()
        fills_page = (
            b == c == 0
            and a > 0
            and d > 0
            and math.isclose(right - left, width, rel_tol=0.01)
            and math.isclose(top - bottom, height, rel_tol=0.01)
        )
        if fills_page:
            own: Image.Image = picture.get_bitmap(render=False).to_pil()
            return own
    rendered: Image.Image = page.render(scale=_REFERENCE_DPI / 72, grayscale=True).to_pil()
    return rendered


def _prepare(gray: NDArray[np.uint8]) -> Affine:
    """Ink as bright on dark, spread a little so near misses still correlate."""
    ink = 255.0 - gray.astype(np.float32)
    ink -= float(np.median(ink))
    return np.asarray(cv2.GaussianBlur(np.clip(ink, 0, 255), (0, 0), 1.5), dtype=np.float32)


def _everywhere(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.full(image.shape, 255, dtype=np.uint8)


def _plausible(warp: Affine) -> tuple[bool, float]:
    a, b = float(warp[0, 0]), float(warp[1, 0])
    rotation = math.degrees(math.atan2(b, a))
    scale = math.hypot(a, b)
    ok = abs(rotation) <= _MAX_ROTATION_DEG and _SCALE_RANGE[0] <= scale <= _SCALE_RANGE[1]
    return ok, rotation


def register_page(image: Image.Image, blank: Path, *, page: int = 0) -> Registration | None:
    """The page aligned to page ``page`` of the blank form (same pixel size as given), or None
    when it does not fit."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    factor = gray.shape[1] / _WORK_WIDTH
    height = round(gray.shape[0] / factor)
    small = np.asarray(
        cv2.resize(gray, (_WORK_WIDTH, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    reference = _reference(blank, blank.stat().st_mtime_ns, page, height)
    start = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
    try:
        correlation, found = cv2.findTransformECC(
            reference, _prepare(small), start, cv2.MOTION_AFFINE, criteria, _everywhere(small), 5
        )
    except cv2.error:
        return None  # did not converge: nothing on the page looks like this form
    warp = np.asarray(found, dtype=np.float32)
    plausible, rotation = _plausible(warp)
    if correlation < _MIN_CORRELATION or not plausible:
        return None
    to_scan = warp.copy()
    to_scan[:, 2] *= factor
    aligned = cv2.warpAffine(
        gray,
        to_scan,
        (gray.shape[1], gray.shape[0]),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    printed = blank_page_image(blank, blank.stat().st_mtime_ns, page).resize(
        (gray.shape[1], gray.shape[0]), Image.Resampling.BILINEAR
    )
    return Registration(Image.fromarray(aligned), printed, float(correlation), rotation, to_scan)
