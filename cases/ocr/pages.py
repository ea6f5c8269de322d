"""Which page of the form each scanned page is, and which way up it was scanned.

An applicant's scan of a multi-page form is not always in order: pages come back shuffled from
the feeder, a sheet goes in upside down, a page is missing, a cover letter or an ID card copy is
scanned in between. Registration (``register.py``) aligns a page to *one* blank page and is too
slow (~0.1 s a try) to try every page at every quarter turn, so pages are identified first, on
thumbnails: each scanned page and each page of the office's blank form is reduced to a small map
of where ink lies (downscaled by area, binarised, blurred so a few millimetres of shift still
overlap), and every scanned page, at each quarter turn that gives it the blank's orientation
(0/180 for the same orientation, 90/270 for portrait against landscape), is scored against every
blank page by correlation. Pages are then paired best score first; a scanned page whose best
score is under ``MIN_SCORE`` is no page of the form, unless registration still aligns it to a
form page nobody was found to be. What is written in the boxes barely moves the score: the
printed form is most of a page's ink.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cases.ocr.register import blank_page_count, blank_page_image, register_page

__all__ = ["MIN_SCORE", "PageAssignment", "PageMatch", "identify_pages", "turned"]

# Measured on three real forms (2-8 pages) at 200 dpi: a page against its own blank 0.92-0.97
# typed in, 0.78-0.90 photocopied (blurred, grey, specks, JPEG 40, turned 1.5 deg, shifted 5 mm);
# against another page of the same form at most 0.65, another form's page or a letter at most 0.58.
MIN_SCORE = 0.7
_THUMB_WIDTH = 96  # pixels across a portrait page's map: ~12 dpi on A4, layout not letters
_BLUR_PX = 2.0  # at thumbnail scale: ~5 mm, what registration later corrects
_INK_SHARE = 0.002  # of a thumbnail inked below which the page is blank (the back of a sheet)
_TURNS = (0, 90, 180, 270)  # degrees clockwise the scan is turned to stand upright

Thumbnail = NDArray[np.float32]


@dataclass(frozen=True)
class PageMatch:
    """One scanned page: the form page it is (None: none), how it was turned upright, why."""

    scan_page: int  # 1-based, in the scan's order
    form_page: int | None
    turn: int  # degrees clockwise to stand the scan upright
    score: float
    # "matched" (thumbnails), "registered" (registration placed what thumbnails did not; the
    # score is then its correlation), "blank", "below_threshold", "form_page_taken"
    why: str

    def as_record(self) -> dict[str, object]:
        return {
            "scan_page": self.scan_page,
            "form_page": self.form_page,
            "turn": self.turn,
            "score": round(self.score, 3),
            "why": self.why,
        }


@dataclass(frozen=True)
class PageAssignment:
    """Every scanned page matched (or not) to a form page, and the form pages nobody matched."""

    matches: tuple[PageMatch, ...]
    form_pages: int

    def for_scan_page(self, scan_page: int) -> PageMatch | None:
        return next((m for m in self.matches if m.scan_page == scan_page), None)

    @property
    def missing(self) -> list[int]:
        """Form pages no scanned page was identified as."""
        found = {m.form_page for m in self.matches}
        return [page for page in range(1, self.form_pages + 1) if page not in found]

    @property
    def strays(self) -> list[int]:
        """Scanned pages with ink that are no page of the form (blank backs are left out)."""
        return [m.scan_page for m in self.matches if m.form_page is None and m.why != "blank"]

    @property
    def any_matched(self) -> bool:
        return any(m.form_page is not None for m in self.matches)


def turned(image: Image.Image, turn: int) -> Image.Image:
    """The page turned ``turn`` degrees clockwise (0, 90, 180, 270)."""
    if turn % 360 == 0:
        return image
    return image.rotate(-turn, expand=True)


def identify_pages(
    scans: Sequence[Image.Image], blank: Path, *, numbers: Sequence[int] | None = None
) -> PageAssignment:
    """Identify each of ``scans`` among the pages of the blank form; ``numbers`` are the scans'
    page numbers in their document (default 1, 2, ...)."""
    modified = blank.stat().st_mtime_ns
    blanks = [
        _blank_thumbnail(blank, modified, i) for i in range(blank_page_count(blank, modified))
    ]
    candidates: list[tuple[float, int, int, int]] = []  # score, scan index, form index, turn
    empty: set[int] = set()
    for s, scan in enumerate(scans):
        ink = _ink(scan)
        if float(np.mean(ink > 0.5)) < _INK_SHARE:
            empty.add(s)
            continue
        for f, reference in enumerate(blanks):
            for turn in _turns_for(ink.shape, reference.shape):
                score = _correlation(_spread(_fitted(ink, turn, reference.shape)), reference)
                candidates.append((score, s, f, turn))
    numbered = list(numbers) if numbers is not None else list(range(1, len(scans) + 1))
    assignment = _assign(candidates, numbered, len(blanks), empty)
    if not assignment.any_matched:
        return assignment  # not this form, or nothing thumbnails can place: the caller decides
    return _registered_leftovers(assignment, dict(zip(numbered, scans, strict=True)), blank)


def _registered_leftovers(
    assignment: PageAssignment, scans: dict[int, Image.Image], blank: Path
) -> PageAssignment:
    """Pages left out tried by registration against the form pages nobody was found to be.

    A copy shrunk to fit the paper (90%) or badly skewed scores under ``MIN_SCORE`` on
    thumbnails, yet registration, which searches for scale and rotation, still aligns it. It is
    slower (~0.1 s a try), so only these few pairs are tried, at the page's best turn and the
    opposite one.
    """
    matches = {m.scan_page: m for m in assignment.matches}
    for number in assignment.strays:
        taken = {m.form_page for m in matches.values()}
        missing = [p for p in range(1, assignment.form_pages + 1) if p not in taken]
        stray = matches[number]
        for form_page, turn in itertools.product(missing, (stray.turn, (stray.turn + 180) % 360)):
            registration = register_page(turned(scans[number], turn), blank, page=form_page - 1)
            if registration is not None:
                matches[number] = PageMatch(
                    number, form_page, turn, registration.correlation, "registered"
                )
                break
    return PageAssignment(tuple(matches[n] for n in scans), assignment.form_pages)


def _assign(
    candidates: list[tuple[float, int, int, int]], numbers: list[int], forms: int, empty: set[int]
) -> PageAssignment:
    """Pair pages best score first (greedy: with scores this far apart it is what an optimal
    assignment finds, and says plainly why a page was left out)."""
    matched: dict[int, PageMatch] = {}
    taken: set[int] = set()
    best: dict[int, tuple[float, int]] = {}
    for score, s, f, turn in sorted(candidates, reverse=True):
        best.setdefault(s, (score, turn))
        if s in matched or f in taken or score < MIN_SCORE:
            continue
        matched[s] = PageMatch(numbers[s], f + 1, turn, score, "matched")
        taken.add(f)
    matches = []
    for s, number in enumerate(numbers):
        if s in matched:
            matches.append(matched[s])
        elif s in empty:
            matches.append(PageMatch(number, None, 0, 0.0, "blank"))
        else:
            score, turn = best.get(s, (0.0, 0))
            why = "form_page_taken" if score >= MIN_SCORE else "below_threshold"
            matches.append(PageMatch(number, None, turn, score, why))
    return PageAssignment(tuple(matches), forms)


def _turns_for(scan: tuple[int, ...], blank: tuple[int, ...]) -> tuple[int, ...]:
    """The quarter turns that give the scan the blank's orientation (all four when either page
    is about square)."""
    scan_tall, blank_tall = scan[0] / scan[1], blank[0] / blank[1]
    if 0.9 < scan_tall < 1.1 or 0.9 < blank_tall < 1.1:
        return _TURNS
    return (0, 180) if (scan_tall > 1) == (blank_tall > 1) else (90, 270)


def _fitted(ink: Thumbnail, turn: int, shape: tuple[int, ...]) -> Thumbnail:
    upright = np.ascontiguousarray(np.rot90(ink, k=-(turn // 90)))
    return np.asarray(cv2.resize(upright, (shape[1], shape[0])), dtype=np.float32)


def _ink(image: Image.Image) -> Thumbnail:
    """Where ink lies, as a small binary map (1 = ink), about ``_THUMB_WIDTH`` across the page's
    short side. Reduced by area first, so thin printed lines still darken their cell."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    short = min(gray.shape)
    factor = short / _THUMB_WIDTH
    size = (max(1, round(gray.shape[1] / factor)), max(1, round(gray.shape[0] / factor)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    paper = float(np.percentile(small, 90))
    darker = paper - small.astype(np.float32)
    # A cell is ink when it is clearly darker than the paper: Otsu on the darkening, with a floor
    # so scanner noise on an empty page is not split into ink and paper.
    level, _ = cv2.threshold(np.clip(darker, 0, 255).astype(np.uint8), 0, 255, cv2.THRESH_OTSU)
    return (darker > max(float(level), 12.0)).astype(np.float32)


def _spread(ink: Thumbnail) -> Thumbnail:
    """The ink map blurred (near misses overlap) and centred on its mean."""
    blurred = np.asarray(cv2.GaussianBlur(ink, (0, 0), _BLUR_PX), dtype=np.float32)
    return blurred - np.float32(blurred.mean())


def _correlation(a: Thumbnail, b: Thumbnail) -> float:
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / norm) if norm > 0 else 0.0


@lru_cache(maxsize=32)
def _blank_thumbnail(blank: Path, modified_ns: int, page: int) -> Thumbnail:
    return _spread(_ink(blank_page_image(blank, modified_ns, page)))
