"""``permits bench review``: precision and recall of the reviewers per finding type, and the
review's time per case with many decided cases in the database.

Each bench case goes through the real path: documents generated (a typed application form PDF,
a scanned identity card, a tenancy agreement and a fire certificate as text-layer PDFs), submitted,
read by :func:`cases.extraction.extract_case` (OCR for the card), flagged fields confirmed as a
caseworker would, the rules checked, then :func:`cases.review.review_case` timed. Problems are
planted by :class:`Planter` plug-ins (one per finding type) before the documents are made; each
says which finding codes the case must then get (``expected``) and which it may get
(``allowed``: a copied identity card also names someone else). Clean cases get nothing planted.

Planters are registered by finding type (:func:`register_planter`); a reviewer added later adds
its planter here (a precedent conflict, an unusual value) and the bench reports it too.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from cases.access import Actor
from cases.catalogue import PermitType, get_permit_type
from cases.db import get_engine, session_scope
from cases.eligibility import check_case_eligibility
from cases.extraction import extract_case
from cases.gates import open_task, verify_fields
from cases.intake import Upload, submit_application
from cases.letters import print_pdf
from cases.models import (
    Case,
    CaseKey,
    ExtractedField,
    FieldStatus,
    Review,
    Role,
    TaskKind,
)
from cases.review import Finding, review_case
from cases.review.keys import address_key, hkid_key
from tools.bench import Steps, no_steps
from tools.bench.review_planting import (
    FOOD,
    PLANTERS,
    BenchCase,
    BuiltCase,
    Planter,
    register_planter,
)
from tools.samples.applications import id_card_scan, random_truth

__all__ = [
    "PLANTERS",
    "BenchCase",
    "BuiltCase",
    "Planter",
    "bench_review",
    "register_planter",
    "saved_again",
]

_SEED_BASE = 7_000_000  # far from the seeder's seeds: bench applicants are not seeded ones
_ACTOR = Actor("bench.caseworker", Role.CASEWORKER)
Progress = Callable[[str], None]


# --- documents -----------------------------------------------------------------------------------


def _day(iso: str, days: int) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=days)).isoformat()


def clean_case(seed: int) -> BenchCase:
    """An application whose documents agree with each other."""
    form = random_truth(seed)
    form["application_date"] = _day("2026-01-01", seed % 300)
    applied = form["application_date"]
    tenancy = {
        "Landlord": "Sun Lee Estates Limited",
        "Tenant": form["applicant_name"],
        "Premises": form["premises_address"],
        "Term commencing": _day(applied, -90),
        "Term expiring": _day(applied, 640),
        "Monthly rent": "HK$38,000",
        "Date of agreement": _day(applied, -100),
    }
    fire = {
        "Certificate No.": form["fire_certificate_no"],
        "Address of premises": form["premises_address"],
        "Date of inspection": _day(applied, -30),
        "Expiry date": _day(applied, 335),
        "Registered contractor": "Everbright Fire Services Limited",
        "Registration No.": "RFSIC-2-0345",
        "Certificate holder": form["business_name"],
    }
    return BenchCase(seed, form, tenancy, fire)


_TENANCY_TITLE = (
    "Tenancy Agreement",
    "This agreement is made between the Landlord and the Tenant; the monthly rent, the deposit "
    "and the term of the tenancy are set out in the Schedule.",
)
_FIRE_TITLE = (
    "Certificate of Fire Service Installations and Equipment (FS 251)",
    "Fire Services Department. The fire service installations and equipment were inspected by "
    "a registered fire service installation contractor and are in efficient working order.",
)


def _text_pdf(title: tuple[str, str], rows: dict[str, str]) -> bytes:
    body = "".join(f"<p>{escape(k)}: {escape(v)}</p>" for k, v in rows.items())
    return print_pdf(f"<h1>{escape(title[0])}</h1><p>{escape(title[1])}</p>{body}", title[0])


def _uploads(permit_type: PermitType, case: BenchCase) -> tuple[list[Upload], bytes]:
    from tools.samples.applications import typed_form_pdf

    labels = {f.name: f.label.en for f in permit_type.permit.fields}
    card = case.id_card_png
    if card is None:
        card = id_card_scan(case.seed, case.form)
    uploads = [
        Upload("form.pdf", typed_form_pdf(permit_type.form, case.form, labels), "application_form"),
        Upload("id-card.png", card, "id_card"),
        Upload("tenancy.pdf", _text_pdf(_TENANCY_TITLE, case.tenancy), "tenancy_agreement"),
        Upload("fire.pdf", _text_pdf(_FIRE_TITLE, case.fire), "fire_certificate"),
    ]
    return uploads, card


# --- planters ------------------------------------------------------------------------------------


@dataclass
class _Simple:
    code: str
    change: Callable[[BenchCase, random.Random], None]
    needs_earlier: bool = False

    def plant(self, case: BenchCase, earlier: list[BuiltCase], rng: random.Random) -> None:
        self.change(case, rng)
        case.expected.add(self.code)


def _other(rng: random.Random) -> dict[str, str]:
    return random_truth(_SEED_BASE * 2 + rng.randrange(10**6))


def _name_mismatch(case: BenchCase, rng: random.Random) -> None:
    case.form["id_card_name"] = _other(rng)["applicant_name"]
    while case.form["id_card_name"] == case.form["applicant_name"]:
        case.form["id_card_name"] = _other(rng)["applicant_name"]


def _id_mismatch(case: BenchCase, rng: random.Random) -> None:
    case.form["id_card_number"] = _other(rng)["hkid"]


def _address_mismatch(case: BenchCase, rng: random.Random) -> None:
    case.tenancy["Premises"] = _other(rng)["premises_address"]


def _business_name_mismatch(case: BenchCase, rng: random.Random) -> None:
    """The fire certificate (or, one time in three, the tenancy) held by another business."""
    stranger = _other(rng)["business_name"]
    while stranger.split()[:2] == case.form["business_name"].split()[:2]:  # another trade name
        stranger = _other(rng)["business_name"]
    if rng.random() < 1 / 3:
        case.tenancy["Tenant"] = stranger
    else:
        case.fire["Certificate holder"] = stranger


def _date_contradiction(case: BenchCase, rng: random.Random) -> None:
    case.fire["Date of inspection"] = _day(case.form["application_date"], rng.randint(5, 60))


@dataclass
class _CopiedCard:
    """Another case's identity card: the very file, or the same image saved again."""

    code: str
    again: bool
    needs_earlier: bool = True

    def plant(self, case: BenchCase, earlier: list[BuiltCase], rng: random.Random) -> None:
        source = rng.choice(earlier)
        case.id_card_png = saved_again(source.id_card_png) if self.again else source.id_card_png
        case.expected.add(self.code)
        # it names someone else; and the image may be in a third case too (copied there before)
        case.allowed |= {"name_mismatch", "id_number_mismatch", "duplicate_image"}


def saved_again(png: bytes) -> bytes:
    """The same scan resized, brightened and saved as JPEG: other bytes, the same image."""
    import io

    from PIL import Image, ImageEnhance

    image = Image.open(io.BytesIO(png)).convert("L")
    image = image.resize((image.width * 9 // 10, image.height * 9 // 10))
    image = ImageEnhance.Brightness(image).enhance(1.05)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


@dataclass
class _Repeat:
    """The same applicant, or the same premises, as an earlier bench case."""

    code: str
    keys: tuple[str, ...]
    needs_earlier: bool = True

    def plant(self, case: BenchCase, earlier: list[BuiltCase], rng: random.Random) -> None:
        source = rng.choice(earlier).bench.form
        for key in self.keys:
            case.form[key] = source[key]
        case.tenancy["Tenant"] = case.form["applicant_name"]
        case.tenancy["Premises"] = case.fire["Address of premises"] = case.form["premises_address"]
        case.expected.add(self.code)
        case.allowed.add("duplicate_image")  # the same person's card scanned again


for _planter in (
    _Simple("name_mismatch", _name_mismatch),
    _Simple("id_number_mismatch", _id_mismatch),
    _Simple("address_mismatch", _address_mismatch),
    _Simple("business_name_mismatch", _business_name_mismatch),
    _Simple("date_contradiction", _date_contradiction),
    _CopiedCard("duplicate_file", again=False),
    _CopiedCard("duplicate_image", again=True),
    _Repeat("repeat_applicant", ("applicant_name", "hkid", "id_card_name", "id_card_number")),
    _Repeat("repeat_premises", ("premises_address",)),
):
    register_planter(_planter)


# --- running -------------------------------------------------------------------------------------


def _seed_keys(engine: Engine) -> int:
    """Case keys of the seeded cases (the seeder writes fields, not keys), as review writes them."""
    with Session(engine) as session:
        rows = session.exec(
            select(
                ExtractedField.case_id, ExtractedField.name, ExtractedField.value, Case.submitted_at
            )
            .join(Case, col(Case.id) == col(ExtractedField.case_id))
            .where(
                col(ExtractedField.name).in_(("hkid", "premises_address")),
                ExtractedField.value != "",
            )
        ).all()
        keys = [
            CaseKey(
                case_id=case_id,
                kind="hkid" if name == "hkid" else "premises",
                value=hkid_key(value) if name == "hkid" else address_key(value),
                submitted_at=submitted_at,
            )
            for case_id, name, value, submitted_at in rows
        ]
        session.add_all(keys)
        session.commit()
    return len(keys)


def _plan(count: int, codes: list[str], rng: random.Random) -> list[str | None]:
    """What each case gets planted: a third clean, the rest shared evenly among the types, in
    random order, a clean case first (the planters that copy need an earlier case)."""
    plan: list[str | None] = [codes[i % len(codes)] for i in range(count - count // 3)]
    plan += [None] * (count // 3)
    rng.shuffle(plan)
    if None in plan:
        plan.remove(None)
        plan.insert(0, None)
    return plan


_SUPPORTING_LABELS = {
    "tenancy_landlord": "Landlord",
    "tenancy_tenant": "Tenant",
    "tenancy_premises_address": "Premises",
    "tenancy_term_start": "Term commencing",
    "tenancy_term_end": "Term expiring",
    "tenancy_monthly_rent": "Monthly rent",
    "tenancy_signed_date": "Date of agreement",
    "fire_cert_number": "Certificate No.",
    "fire_cert_premises_address": "Address of premises",
    "fire_cert_inspection_date": "Date of inspection",
    "fire_cert_expiry_date": "Expiry date",
    "fire_cert_contractor_name": "Registered contractor",
    "fire_cert_contractor_reg_no": "Registration No.",
    "fire_cert_holder": "Certificate holder",
}


def _truth(case: BenchCase) -> dict[str, str]:
    """Every field as the documents print it: what a caseworker checking a flag would type."""
    printed = {**case.tenancy, **case.fire}
    return case.form | {name: printed[label] for name, label in _SUPPORTING_LABELS.items()}


def _to_review(case_id: int, case: BenchCase) -> None:
    """Extraction, then a caseworker's check of the flagged fields against the documents (the
    printed value typed in where the reading was cut short), then the rules."""
    extract_case(case_id)
    with session_scope() as session:
        task = open_task(session, case_id, TaskKind.VERIFY_FIELDS)
        flagged = session.exec(
            select(ExtractedField.name).where(
                ExtractedField.case_id == case_id, ExtractedField.status == FieldStatus.FLAGGED
            )
        ).all()
    if task is not None and task.id is not None:
        truth = _truth(case)
        verify_fields(task.id, {n: truth[n] for n in flagged if n in truth}, actor=_ACTOR)
    check_case_eligibility(case_id)


def _findings(case_id: int) -> set[str]:
    with session_scope() as session:
        review = session.exec(select(Review).where(Review.case_id == case_id)).one()
    return {Finding.from_json(f).code for f in review.findings["findings"]}


@dataclass
class _Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def as_json(self) -> dict[str, Any]:
        found, planted = self.tp + self.fp, self.tp + self.fn
        return {
            "precision": round(self.tp / found, 3) if found else None,
            "recall": round(self.tp / planted, 3) if planted else None,
            "planted": planted,
            "found": found,
        }


def run_cases(
    count: int, *, seed: int = 1, say: Progress = print, steps: Steps = no_steps
) -> dict[str, Any]:
    """Build, extract and review ``count`` cases in the configured database; score the findings."""
    permit_type = get_permit_type(FOOD)
    rng = random.Random(seed)
    from tools.bench import review_models  # noqa: F401 - its planters register themselves

    plan = _plan(count, sorted(PLANTERS), rng)
    tallies = {code: _Tally() for code in PLANTERS}
    other: dict[str, int] = {}
    seconds: list[float] = []
    cpu_seconds: list[float] = []  # on a loaded machine the wall clock mostly measures waiting
    built: list[BuiltCase] = []
    steps("cases built and reviewed", 0, count)
    for n, code in enumerate(plan):
        case = clean_case(_SEED_BASE + seed * 10_000 + n)
        if code is not None and (built or not PLANTERS[code].needs_earlier):
            PLANTERS[code].plant(case, built, rng)
        uploads, card = _uploads(permit_type, case)
        submitted = submit_application(uploads, permit_type_id=FOOD, actor="bench", channel="bench")
        assert submitted.id is not None
        _to_review(submitted.id, case)
        started, cpu = time.perf_counter(), time.process_time()
        review_case(submitted.id)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu)
        found = _findings(submitted.id)
        for kind, tally in tallies.items():
            tally.tp += kind in found and kind in case.expected
            tally.fp += kind in found and kind not in case.expected | case.allowed
            tally.fn += kind in case.expected and kind not in found
        for extra in found - set(tallies):
            other[extra] = other.get(extra, 0) + 1
        built.append(BuiltCase(submitted.id, case, card))
        if (n + 1) % 10 == 0:  # with the tallies so far, so a run cut short still tells
            so_far = {code: [t.tp, t.fp, t.fn] for code, t in tallies.items()}
            say(
                f"{n + 1}/{count} cases reviewed; median {statistics.median(seconds):.3f} s; "
                f"tp, fp, fn per type {json.dumps(so_far)}"
            )
        steps("cases built and reviewed", n + 1, count)
    result: dict[str, Any] = {code: tally.as_json() for code, tally in tallies.items()}
    result["median_s_per_case"] = round(statistics.median(seconds), 4) if seconds else None
    result["p95_s_per_case"] = (
        round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 4) if seconds else None
    )
    result["median_cpu_s_per_case"] = (
        round(statistics.median(cpu_seconds), 4) if cpu_seconds else None
    )
    result["cases"] = count
    result["other_findings"] = other
    return result


def bench_review(
    *,
    cases: int = 300,
    decided: int = 100_000,
    seed: int = 1,
    say: Progress = print,
    steps: Steps = no_steps,
) -> dict[str, Any]:
    """The whole bench in a throw-away SQLite database and data folder."""
    import tempfile
    from pathlib import Path

    from cases.db import upgrade_database
    from tools.bench.databases import settings_pointed_at
    from tools.bench.review_models import seed_precedents
    from tools.bench.seed import seed_cases

    with tempfile.TemporaryDirectory(prefix="bench-review-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        with settings_pointed_at(url, Path(folder)):
            upgrade_database(url)
            engine = get_engine(url)
            started = time.perf_counter()
            seeded = seed_cases(engine, decided, seed=seed, steps=steps) if decided else None
            keys = _seed_keys(engine)
            precedents = seed_precedents(engine, seed=seed)
            say(
                f"seeded {decided} cases, {keys} keys and {precedents} precedents in "
                f"{time.perf_counter() - started:.0f} s"
            )
            result = run_cases(cases, seed=seed, say=say, steps=steps)
            result["database"] = {
                "engine": "sqlite",
                "seeded_cases": seeded.cases if seeded else 0,
                "seeded_keys": keys,
                "seeded_precedents": precedents,
            }
            return result
