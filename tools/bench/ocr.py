"""OCR benchmark: this pipeline against plain easyocr ``readtext`` and Tesseract 5, side by side.

Every engine reads the same seeded, degraded scans of the catalogue's application forms (each
permit type's form in turn, half filled in on a typewriter and half by hand in block capitals;
noise, blur, skew up to ±2°, a shift of a few millimetres, JPEG artefacts, 150-300 dpi) and has
its text paired with the fields
the same way: the pipeline registers the page and reads each box; the two comparison engines read
the whole page and go through the same label/value pairing the pipeline falls back to. Values are
compared after the same normalisers the case flow applies (so ``2026-1-5`` and ``2026-01-05``
agree, as they would in a case), and the character error rate on the raw text.

Each engine runs in its own fresh process, so its peak resident memory is its own (Tesseract's
is its child process's). Model loading is done before timing and reported apart.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
from PIL import Image, ImageFilter
from rapidfuzz.distance import Levenshtein

from cases.catalogue import FormLayout, PermitType, get_permit_type, load_catalogue
from cases.ocr.reader import FieldReading

__all__ = ["ENGINES", "Scan", "degraded_scans", "main", "run_bench"]

ENGINES = ("pipeline", "easyocr_readtext", "tesseract")


@dataclass(frozen=True)
class Scan:
    """One degraded page as it would be uploaded (JPEG bytes) and the values written on it."""

    seed: int
    dpi: int
    jpeg: bytes
    truth: dict[str, str]
    permit: str = "food-business-licence"
    hand: str = "typewriter"


def _labels(permit_type: PermitType) -> dict[str, str]:
    return {spec.name: spec.label.en for spec in permit_type.permit.fields}


def _degrade(png: bytes, rng: random.Random) -> bytes:
    """A worse scanner or a fax: extra blur, extra noise, then lossy JPEG compression."""
    with Image.open(io.BytesIO(png)) as scan:
        image = scan.convert("L").filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 0.8)))
    noise = np.random.default_rng(rng.randrange(2**32)).normal(
        0, rng.uniform(2, 8), image.size[::-1]
    )
    pixels = np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=rng.randint(35, 85))
    return buffer.getvalue()


def degraded_scans(n: int, *, first_seed: int = 1000) -> list[Scan]:
    """``n`` scans, the same for the same arguments."""
    from tools.samples.applications import HANDS, generate_application

    permits = sorted(load_catalogue())
    scans = []
    for i, seed in enumerate(range(first_seed, first_seed + n)):
        permit_type = get_permit_type(permits[i % len(permits)])
        hand = list(HANDS)[(i // len(permits)) % len(HANDS)]
        rng = random.Random(f"bench-{seed}")
        dpi = rng.choice((150, 200, 250, 300))
        shift = (rng.uniform(-3, 3), rng.uniform(-3, 3))
        app = generate_application(
            permit_type.form,
            seed,
            dpi=dpi,
            labels=_labels(permit_type),
            skew_deg=rng.uniform(-2, 2),
            shift_mm=shift,
            hand=hand,
        )
        truth = {f.field: app.truth[f.field] for f in permit_type.form.fields}
        jpeg = _degrade(app.form_png, rng)
        scans.append(Scan(seed, dpi, jpeg, truth, permit_type.id, hand))
    return scans


# --- Engines (each returns a reader function, built once, timed per page) ------------------------

Reader = Callable[[Image.Image], list[FieldReading]]


def _pipeline(permit_type: PermitType) -> Reader:
    from cases.documents import PageContent
    from cases.ocr.forms import read_form_page
    from cases.ocr.reader import get_reader

    get_reader()
    layout, labels, blank = permit_type.form, _labels(permit_type), permit_type.blank_form
    return lambda image: read_form_page(PageContent(1, image=image), layout, labels, blank)


def _checkboxes(layout: FormLayout) -> frozenset[str]:
    return frozenset(f.field for f in layout.fields if f.kind == "checkbox")


def _readtext(permit_type: PermitType) -> Reader:
    from cases.ocr.fulltext import read_page_lines
    from cases.ocr.pairing import merge_rows, pair_labels
    from cases.ocr.reader import get_reader

    get_reader()
    layout, labels = permit_type.form, _labels(permit_type)

    def read(image: Image.Image) -> list[FieldReading]:
        lines = merge_rows(read_page_lines(image, max_width=None))  # the page as scanned
        return pair_labels(lines, labels, page=1, engine="readtext", checkboxes=_checkboxes(layout))

    return read


def _tesseract(permit_type: PermitType) -> Reader:
    layout, labels = permit_type.form, _labels(permit_type)
    try:
        import pytesseract
    except ImportError as exc:
        raise RuntimeError(
            "the Tesseract comparison needs pytesseract and Tesseract 5: "
            "pip install -e '.[dev]' and scripts/install-system-packages (tesseract-ocr)"
        ) from exc

    from cases.documents import TextLine
    from cases.ocr.pairing import merge_rows, pair_labels

    def read(image: Image.Image) -> list[FieldReading]:
        data = pytesseract.image_to_data(image, output_type=pytesseract.Output.DICT)
        lines = [  # words: Tesseract's own lines run across the form's two columns
            TextLine(
                text,
                float(data["conf"][i]) / 100,
                (
                    data["left"][i],
                    data["top"][i],
                    data["left"][i] + data["width"][i],
                    data["top"][i] + data["height"][i],
                ),
            )
            for i, text in enumerate(data["text"])
            if text.strip() and float(data["conf"][i]) >= 0
        ]
        return pair_labels(
            merge_rows(lines), labels, page=1, engine="tesseract", checkboxes=_checkboxes(layout)
        )

    return read


_BUILDERS: dict[str, Callable[[PermitType], Reader]] = {
    "pipeline": _pipeline,
    "easyocr_readtext": _readtext,
    "tesseract": _tesseract,
}


# --- Scoring -------------------------------------------------------------------------------------


def _canonical(permit_type: PermitType, name: str, text: str) -> str:
    from cases.extraction import comparable

    return comparable(permit_type.permit.field(name), text)


@dataclass
class _Tally:
    """Counts over the pages an engine read."""

    fields: int = 0
    right: int = 0
    edits: int = 0
    chars: int = 0
    flagged: int = 0  # fields the case flow would send to a person
    wrong_flagged: int = 0  # of the wrong ones, those a person would see

    def add(self, permit_type: PermitType, scan: Scan, readings: Sequence[FieldReading]) -> int:
        """Score one page; return how many of its fields were read right."""
        from cases.extraction import field_verdicts

        specs = [permit_type.permit.field(name) for name in scan.truth]
        page_right = 0
        for verdict in field_verdicts(specs, {r.name: r for r in readings}):
            name = verdict.spec.name
            text, truth = verdict.reading.text if verdict.reading else "", scan.truth[name]
            right = _canonical(permit_type, name, text) == _canonical(permit_type, name, truth)
            flagged = verdict.reason is not None
            page_right += right
            self.flagged += flagged
            self.wrong_flagged += flagged and not right
            self.edits += Levenshtein.distance(text, truth)
            self.chars += len(truth)
        self.fields += len(scan.truth)
        self.right += page_right
        return page_right


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # kilobytes on Linux


def _run_engine(engine: str, scans: list[Scan]) -> dict[str, Any]:
    """Runs in a fresh process: build the engine, read every page, score and time it."""
    started = time.perf_counter()
    readers = {
        permit: _BUILDERS[engine](permit_type)
        for permit, permit_type in (
            (p, get_permit_type(p)) for p in sorted({s.permit for s in scans})
        )
    }
    load_s = time.perf_counter() - started
    seconds: list[float] = []
    tally = _Tally()
    by_hand: dict[str, list[int]] = {}  # hand -> [fields right, fields]
    for scan in scans:
        permit_type = get_permit_type(scan.permit)
        with Image.open(io.BytesIO(scan.jpeg)) as opened:
            image = opened.convert("RGB")
        started = time.perf_counter()
        readings = readers[scan.permit](image)
        seconds.append(time.perf_counter() - started)
        page_right = tally.add(permit_type, scan, readings)
        hand = by_hand.setdefault(scan.hand, [0, 0])
        hand[0], hand[1] = hand[0] + page_right, hand[1] + len(scan.truth)
    wrong = tally.fields - tally.right
    return {
        "pages": len(scans),
        "field_accuracy": round(tally.right / tally.fields, 4),
        "cer": round(tally.edits / tally.chars, 4),
        "field_accuracy_by_hand": {h: round(r / n, 4) for h, (r, n) in sorted(by_hand.items())},
        # The case flow's verification triggers (extraction.flag_reason: required, validation,
        # handwriting that reads two ways, a number outside its usual range, confidence under
        # the field's threshold) at the catalogue's settings: how much a person is asked to
        # check, how many of the wrong readings that catches, and the share of all fields that
        # are wrong and pass unchecked. The random quality sample is left out: it is per case.
        "flagged_share": round(tally.flagged / tally.fields, 4),
        "wrong_flagged_share": round(tally.wrong_flagged / wrong, 4) if wrong else 1.0,
        "unflagged_error_rate": round((wrong - tally.wrong_flagged) / tally.fields, 4),
        "median_s_per_page": round(statistics.median(seconds), 3),
        "p95_s_per_page": round(float(np.percentile(seconds, 95)), 3),
        "load_s": round(load_s, 2),
        "peak_rss_mb": _peak_rss_mb(),
    }


def run_bench(
    n: int = 30,
    as_json: bool = False,
    *,
    readtext_pages: int = 4,
    steps: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Benchmark every engine on ``n`` scans (readtext, at ~25 s or more a page, on the first
    ``readtext_pages`` only; an engine given no page is reported as ``{"pages": 0}``); print a
    table, or JSON when ``as_json``; return the results."""
    scans = degraded_scans(n)
    results: dict[str, Any] = {}
    for done, engine in enumerate(ENGINES):
        if steps:
            steps("OCR engines measured", done, len(ENGINES))
        pages = scans[:readtext_pages] if engine == "easyocr_readtext" else scans
        if not pages:  # nothing to read (--readtext-pages 0): the engine is left out
            results[engine] = {"pages": 0}
            continue
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            results[engine] = pool.submit(_run_engine, engine, pages).result()
    if steps:
        steps("OCR engines measured", len(ENGINES), len(ENGINES))
    results["scans"] = {
        "pages": n,
        "dpi": sorted({s.dpi for s in scans}),
        "fields": sum(len(s.truth) for s in scans),
        "forms": sorted({s.permit for s in scans}),
        "hands": sorted({s.hand for s in scans}),
    }
    print(json.dumps(results, indent=2) if as_json else _table(results))
    return results


def _table(results: dict[str, Any]) -> str:
    columns = (
        "pages",
        "field_accuracy",
        "cer",
        "flagged_share",
        "unflagged_error_rate",
        "median_s_per_page",
        "p95_s_per_page",
        "load_s",
        "peak_rss_mb",
    )
    rows = [f"{'engine':<18}" + "".join(f"{c:>19}" for c in columns)]
    for engine in ENGINES:
        numbers = results[engine]
        rows.append(f"{engine:<18}" + "".join(f"{numbers.get(c, '-')!s:>19}" for c in columns))
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="permits bench ocr", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30, help="scans to read (default 30)")
    parser.add_argument("--readtext-pages", type=int, default=4, help="of which readtext reads")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    run_bench(args.pages, args.json, readtext_pages=args.readtext_pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
