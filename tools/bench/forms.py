"""``permits bench forms``: zonal OCR on an office's own real printed forms, scan by scan.

Each fillable PDF in the forms folder is imported as an office would (``permits forms import``'s
own ``import_form``: its widgets become ``form.yaml``, the PDF its blank), a few widgets of its
first pages are filled with invented values (``form_fill``), and each page is printed and scanned
in every variant (clean; noisy and turned 0.5-1.5°; JPEG quality 60; a photocopy; written by
hand). Every scanned page goes through the product's own path for a form page
(``cases.ocr.forms.read_form_pages``: identified, registered to its blank page, read box by
box), and is scored as the case flow would store it (``cases.extraction.field_verdicts``): right,
sent to a person, or wrong and not sent to a person, the worst outcome.

Tesseract 5 reads the same scans whole (one call a page, after the same registration, its words
assigned to the boxes their centres fall in) as the comparison. It cannot tell a tick, so it is
scored on the written fields only; the pipeline's ``text_accuracy`` is the figure to set beside it.
"""

from __future__ import annotations

import random
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from cases.authoring.form_import import BLANK_NAME, import_form
from cases.authoring.widgets import read_blank_form
from cases.catalogue import FieldSpec, FieldType, FormLayout, Permit
from cases.documents import PageContent
from cases.errors import InvalidDocument
from cases.extraction import comparable, field_verdicts
from cases.ocr.reader import FieldReading
from tools.bench.form_fill import (
    VARIANTS,
    FilledField,
    choose_fields,
    handwritten_pages,
    printed_pages,
    scan_variant,
)

__all__ = ["FORMS_DIR", "bench_forms", "bench_permit", "format_table"]

FORMS_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "forms"
CONFIDENCE_THRESHOLD = 0.5  # what the shipped permit types ask of most fields
ENGINES = ("pipeline", "tesseract")


@dataclass
class _Tally:
    """One engine's counts over the pages of one variant."""

    fields: int = 0
    right: int = 0
    flagged: int = 0
    wrong_unflagged: int = 0
    text_fields: int = 0
    text_right: int = 0
    seconds: list[float] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        spec: FieldSpec,
        truth: str,
        read: str,
        flagged: bool,
        where: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        right = comparable(spec, read) == comparable(spec, truth)
        self.fields += 1
        self.right += right
        self.flagged += flagged
        self.wrong_unflagged += not right and not flagged
        if spec.type is not FieldType.BOOLEAN:
            self.text_fields += 1
            self.text_right += right
        if not right:
            self.errors.append(
                {
                    "where": where,
                    "field": spec.name,
                    "truth": truth,
                    "read": read,
                    "flagged": flagged,
                    **(detail or {}),
                }
            )

    def merge(self, other: _Tally) -> None:
        for name in ("fields", "right", "flagged", "wrong_unflagged", "text_fields", "text_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.seconds += other.seconds
        self.errors += other.errors

    def summary(self) -> dict[str, Any]:
        share = (lambda n: round(n / self.fields, 4)) if self.fields else (lambda n: 0.0)
        seconds = self.seconds or [0.0]
        return {
            "fields": self.fields,
            "pages": len(self.seconds),
            "field_accuracy": share(self.right),
            "text_accuracy": round(self.text_right / self.text_fields, 4)
            if self.text_fields
            else 0,
            "flagged_share": share(self.flagged),
            "wrong_unflagged_share": share(self.wrong_unflagged),
            "median_s_per_page": round(statistics.median(seconds), 3),
            "p95_s_per_page": round(float(np.percentile(seconds, 95)), 3),
        }


def _peak_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # kilobytes on Linux


def bench_permit(form: str, fields: list[FilledField]) -> Permit:
    """A permit type whose application form is exactly the filled widgets."""
    specs = [
        {
            "name": f.name,
            "label": {"en": f.widget.label or f.name, "zh_hant": f.widget.label or f.name},
            "type": "boolean" if f.widget.kind == "checkbox" else "text",
            "confidence_threshold": CONFIDENCE_THRESHOLD,
        }
        for f in fields
    ]
    return Permit.model_validate(
        {
            "id": "bench-form",
            "reference_prefix": "BF",
            "name": {"en": form, "zh_hant": form},
            "service_level_days": 10,
            "retention_years": 1,
            "required_documents": [],
            "fields": specs,
            "approval_policy": {},
        }
    )


@dataclass(frozen=True)
class _Form:
    name: str
    blank: Path  # form.pdf in a folder of its own, as the catalogue keeps it
    layout: FormLayout
    permit: Permit
    fields: list[FilledField]


def _imported(path: Path, work: Path, rng: random.Random, sizes: dict[str, int]) -> _Form:
    blank = read_blank_form(path.read_bytes(), path.name)
    fields = choose_fields(
        blank, path, rng, pages=sizes["pages"], per_page=sizes["fields"], checkboxes=sizes["ticks"]
    )
    permit = bench_permit(path.stem, fields)
    imported = import_form(blank, permit, {f.widget.name: f.name for f in fields})
    folder = work / path.stem
    folder.mkdir()
    shutil.copyfile(path, folder / BLANK_NAME)
    (folder / "form.yaml").write_text(imported.text, encoding="utf-8")
    return _Form(path.stem, folder / BLANK_NAME, imported.layout, permit, fields)


def _read_pipeline(form: _Form, page: int, image: Image.Image) -> dict[str, FieldReading]:
    from cases.ocr.forms import read_form_pages

    labels = {spec.name: spec.label.en for spec in form.permit.fields}
    read = read_form_pages([PageContent(page, image=image)], form.layout, labels, form.blank)
    return {r.name: r for r in read.readings}


def _read_tesseract(form: _Form, page: int, image: Image.Image) -> dict[str, FieldReading]:
    """The page read whole by Tesseract, after the product's registration, words to boxes."""
    import pytesseract

    from cases.ocr.register import register_page

    registration = register_page(image, form.blank, page=page - 1)
    aligned = registration.image if registration else image
    data = pytesseract.image_to_data(aligned, output_type=pytesseract.Output.DICT)
    width_mm, height_mm = form.layout.page_size(page)
    sx, sy = aligned.width / width_mm, aligned.height / height_mm
    found: dict[str, list[tuple[int, int, str, float]]] = {}
    for i, text in enumerate(data["text"]):
        if not text.strip() or float(data["conf"][i]) < 0:
            continue
        cx = (data["left"][i] + data["width"][i] / 2) / sx
        cy = (data["top"][i] + data["height"][i] / 2) / sy
        for f in form.layout.fields_on(page):
            x, y, w, h = f.box_mm
            if f.kind != "checkbox" and x <= cx <= x + w and y <= cy <= y + h:
                order = (data["block_num"][i] * 1000 + data["line_num"][i], data["left"][i])
                found.setdefault(f.field, []).append((*order, text, float(data["conf"][i])))
    readings = {}
    for name, words in found.items():
        words.sort()
        text = " ".join(w[2] for w in words)
        confidence = min(w[3] for w in words) / 100
        readings[name] = FieldReading(name, text, confidence, page, (0, 0, 0, 0), "tesseract")
    return readings


_READERS: dict[str, Callable[[_Form, int, Image.Image], dict[str, FieldReading]]] = {
    "pipeline": _read_pipeline,
    "tesseract": _read_tesseract,
}


def _score(
    tally: _Tally,
    form: _Form,
    page: int,
    readings: dict[str, FieldReading],
    *,
    variant: str,
    ticks: bool,
) -> None:
    """Each field of the page as the case flow would hold it; Tesseract is not asked about ticks.
    A handwritten value is written in block capitals, as forms ask."""
    on_page = [f for f in form.fields if f.widget.page == page]
    if not ticks:
        on_page = [f for f in on_page if f.widget.kind != "checkbox"]
    specs = [form.permit.field(f.name) for f in on_page]
    capitals = variant == "handwritten"
    truths = {f.name: f.truth.upper() if capitals else f.truth for f in on_page}
    kinds = {f.name: f.widget.kind for f in on_page}
    for verdict in field_verdicts(specs, readings):
        flagged = verdict.reason is not None
        where = f"{form.name} {variant}"
        reading = verdict.reading
        detail = {
            "page": page,
            "kind": kinds[verdict.spec.name],
            "confidence": round(reading.confidence, 3) if reading else None,
            "second": reading.second_text if reading else None,
            "reason": verdict.reason["code"] if verdict.reason else None,
        }
        tally.add(verdict.spec, truths[verdict.spec.name], verdict.text, flagged, where, detail)


def _bench_form(
    form: _Form, seed: int, engines: tuple[str, ...], tallies: dict[str, dict[str, _Tally]]
) -> None:
    for variant in VARIANTS:
        make = handwritten_pages if variant == "handwritten" else printed_pages
        for page, printed in make(form.blank, form.fields).items():
            scan = scan_variant(printed, variant, seed * 1000 + page)
            for engine in engines:
                started = time.perf_counter()
                readings = _READERS[engine](form, page, scan)
                tally = tallies[engine][variant]
                tally.seconds.append(time.perf_counter() - started)
                _score(tally, form, page, readings, variant=variant, ticks=engine == "pipeline")


def bench_forms(
    forms_dir: Path = FORMS_DIR,
    *,
    seed: int = 1,
    pages: int = 2,
    fields: int = 8,
    ticks: int = 2,
    tesseract: bool = True,
    progress: Callable[[str], None] | None = None,
    steps: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Read every variant of every fillable form in ``forms_dir`` (``pages`` pages of each, with
    ``fields`` written fields and ``ticks`` checkboxes a page); the numbers, per variant and
    overall, for the pipeline and (unless told not to) Tesseract."""
    from cases.ocr.reader import get_reader

    rng = random.Random(f"bench-forms-{seed}")
    sizes = {"pages": pages, "fields": fields, "ticks": ticks}
    engines = ENGINES if tesseract else ENGINES[:1]
    tallies = {engine: {variant: _Tally() for variant in VARIANTS} for engine in engines}
    started = time.perf_counter()
    get_reader()
    load_s = time.perf_counter() - started
    used, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="bench-forms-") as work:
        paths = sorted(forms_dir.glob("*.pdf"))
        for done, path in enumerate(paths):
            if steps:
                steps("forms read", done, len(paths))
            try:
                form = _imported(path, Path(work), rng, sizes)
            except InvalidDocument as exc:
                skipped.append({"form": path.name, "why": str(exc)})
                continue
            if progress:
                progress(f"{path.name}: {len(form.fields)} fields")
            _bench_form(form, seed, engines, tallies)
            used.append({"form": path.name, "pages": len({f.widget.page for f in form.fields})})
        if steps:
            steps("forms read", len(paths), len(paths))
    return _results(tallies, used, skipped, seed=seed, load_s=load_s)


def _results(
    tallies: dict[str, dict[str, _Tally]],
    used: list[dict[str, Any]],
    skipped: list[dict[str, str]],
    *,
    seed: int,
    load_s: float,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    totals = {engine: _Tally() for engine in tallies}
    for variant in VARIANTS:
        results[variant] = tallies["pipeline"][variant].summary()
        for engine in tallies:
            totals[engine].merge(tallies[engine][variant])
            if engine != "pipeline":
                results[variant][engine] = tallies[engine][variant].summary()
    results["overall"] = totals["pipeline"].summary()
    for engine in tallies:
        if engine != "pipeline":
            results["overall"][engine] = totals[engine].summary()
    results["overall"]["load_s"] = round(load_s, 2)
    results["overall"]["peak_rss_mb"] = _peak_mb(resource.RUSAGE_SELF)
    if "tesseract" in tallies:
        results["overall"]["tesseract"]["peak_rss_mb"] = _peak_mb(resource.RUSAGE_CHILDREN)
    results["forms"] = used
    results["skipped"] = skipped
    results["seed"] = seed
    results["errors"] = totals["pipeline"].errors
    return results


def format_table(results: dict[str, Any]) -> str:
    """The results as a plain table, one row per variant and engine."""
    columns = (
        "fields",
        "field_accuracy",
        "text_accuracy",
        "flagged_share",
        "wrong_unflagged_share",
        "median_s_per_page",
        "p95_s_per_page",
    )
    rows = [f"{'variant':<14}{'engine':<11}" + "".join(f"{c:>22}" for c in columns)]
    for variant in (*VARIANTS, "overall"):
        numbers = results[variant]
        for engine in ENGINES:
            row = numbers if engine == "pipeline" else numbers.get(engine)
            if row:
                rows.append(
                    f"{variant:<14}{engine:<11}" + "".join(f"{row[c]:>22}" for c in columns)
                )
    forms = ", ".join(f"{f['form']} ({f['pages']} p.)" for f in results["forms"])
    rows.append(f"forms: {forms}; seed {results['seed']}")
    rows.append(f"peak memory {results['overall']['peak_rss_mb']} MB (pipeline process)")
    return "\n".join(rows)
