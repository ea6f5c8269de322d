"""The duplicates reviewer: a file another case already sent (same content hash), a page that is
another case's scan saved again (perceptual hash within the permit's distance), and the same
applicant or premises applying again within the permit's window. Each finding links the other
case. Every lookup goes through an index (content hash, hash bands, case keys): no full scans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, or_, tuple_
from sqlmodel import col, select

from cases.catalogue import DuplicateSettings
from cases.facts import Message
from cases.models import Case, CaseKey, Document, PageFingerprint, PageHashBand
from cases.review.base import CaseRef, Evidence, Finding, PageRef, ReviewContext
from cases.review.keys import BANDS, address_key, bands, distance, hkid_key, page_hashes
from cases.vocabulary import Severity

__all__ = ["DuplicatesReviewer"]

DUPLICATE_FILE = Message(
    "duplicate_file",
    "%(document)s is the very file sent with case %(other_reference)s.",
    documents=frozenset({"document"}),
)
DUPLICATE_IMAGE = Message(
    "duplicate_image",
    "Page %(page)s of %(document)s is the image of a page of case %(other_reference)s saved "
    "again (%(distance)s of 256 bits differ).",
    documents=frozenset({"document"}),
)
REPEAT_APPLICANT = Message(
    "repeat_applicant",
    "The same applicant applied in case %(other_reference)s, %(days)s days before or after.",
)
REPEAT_PREMISES = Message(
    "repeat_premises",
    "Case %(other_reference)s applied for the same premises (%(address)s), %(days)s days "
    "before or after.",
)
_CANDIDATES = 500  # pages looked at per page, from its rarest bands


class DuplicatesReviewer:
    name = "duplicates"
    version = "1.0"
    model_name: str | None = None
    weights_hash: str | None = None
    on_by_default = True

    def review(self, ctx: ReviewContext) -> list[Finding]:
        settings = ctx.settings
        if not isinstance(settings, DuplicateSettings):
            settings = DuplicateSettings()
        same_files = _same_files(ctx)
        findings = [f for f, _ in same_files]
        already = {other for _, other in same_files}
        findings += _near_images(ctx, settings.image_distance, already)
        findings += _repeats(ctx, settings.window_days)
        return findings


def _reference(ctx: ReviewContext, case_id: int) -> str:
    case = ctx.session.get(Case, case_id)
    return case.reference if case else str(case_id)


def _same_files(ctx: ReviewContext) -> list[tuple[Finding, tuple[int, int]]]:
    """(finding, (other case, other document)) for each document another case sent too."""
    found = []
    for document in ctx.documents:
        other = ctx.session.exec(
            select(Document.id, Document.case_id)
            .where(Document.sha256 == document.sha256, Document.case_id != ctx.case.id)
            .order_by(col(Document.id))
            .limit(1)
        ).first()
        if other is None:
            continue
        reference = _reference(ctx, other[1])
        fact = DUPLICATE_FILE(document=document.kind, other_reference=reference)
        evidence = Evidence(pages=(PageRef(document.id, 1),), cases=(CaseRef(other[1], reference),))
        found.append((Finding(fact, Severity.HIGH, evidence, True), (other[1], other[0])))
    return found


def _rarest_bands(ctx: ReviewContext, values: list[int], needed: int) -> list[tuple[int, int]]:
    """The ``needed`` (band, value) pairs fewest other pages share (an index count each)."""
    pairs = list(enumerate(values))
    counts = dict.fromkeys(pairs, 0)
    rows = ctx.session.exec(
        select(PageHashBand.band, PageHashBand.value, func.count())
        .where(tuple_(col(PageHashBand.band), col(PageHashBand.value)).in_(pairs))
        .group_by(col(PageHashBand.band), col(PageHashBand.value))
    )
    for band, value, count in rows:
        counts[(band, value)] = count
    return sorted(pairs, key=lambda p: counts[p])[:needed]


def _near_images(
    ctx: ReviewContext, max_distance: int, already: set[tuple[int, int]]
) -> list[Finding]:
    """Pages within ``max_distance`` bits of another case's page: two such hashes differ in at
    most ``max_distance`` bands, so any ``max_distance + 1`` bands include one they share."""
    findings: list[Finding] = []
    seen_cases: set[int] = set()
    for document in ctx.documents:
        for page, phash in enumerate(page_hashes(document), start=1):
            if phash is None:
                continue
            probe = _rarest_bands(ctx, bands(phash), min(max_distance + 1, BANDS))
            condition = or_(
                *((col(PageHashBand.band) == b) & (col(PageHashBand.value) == v) for b, v in probe)
            )
            rows = ctx.session.exec(
                select(PageFingerprint)
                .join(PageHashBand, col(PageHashBand.fingerprint_id) == col(PageFingerprint.id))
                .where(condition, PageHashBand.case_id != ctx.case.id)
                .limit(_CANDIDATES)
            )
            for other in _closest(rows, phash, max_distance):
                if other.case_id in seen_cases or (other.case_id, other.document_id) in already:
                    continue
                seen_cases.add(other.case_id)
                reference = _reference(ctx, other.case_id)
                fact = DUPLICATE_IMAGE(
                    page=page,
                    document=document.kind,
                    other_reference=reference,
                    distance=distance(phash, other.phash),
                )
                evidence = Evidence(
                    pages=(PageRef(document.id, page),),
                    cases=(CaseRef(other.case_id, reference),),
                )
                findings.append(Finding(fact, Severity.HIGH, evidence, True))
    return findings


def _closest(
    rows: Iterable[PageFingerprint], phash: str, max_distance: int
) -> list[PageFingerprint]:
    unique = {row.id: row for row in rows}.values()
    near = [row for row in unique if distance(phash, row.phash) <= max_distance]
    return sorted(near, key=lambda row: distance(phash, row.phash))


def _repeats(ctx: ReviewContext, window_days: int) -> list[Finding]:
    findings = []
    when = ctx.case.submitted_at
    window = dt.timedelta(days=window_days)
    checks = (("hkid", "hkid", hkid_key), ("premises", "premises_address", address_key))
    for kind, field, key in checks:
        value = ctx.value(field)
        if not value:
            continue
        row = ctx.session.exec(
            select(CaseKey.case_id, CaseKey.submitted_at)
            .join(Case, col(Case.id) == col(CaseKey.case_id))
            .where(
                CaseKey.kind == kind,
                CaseKey.value == key(value),
                CaseKey.case_id != ctx.case.id,
                col(CaseKey.submitted_at) >= when - window,
                col(CaseKey.submitted_at) <= when + window,
                Case.permit_type == ctx.case.permit_type,
            )
            .order_by(col(CaseKey.submitted_at).desc())
            .limit(1)
        ).first()
        if row is None:
            continue
        other_id, other_when = row
        reference = _reference(ctx, other_id)
        days = abs((_aware(when) - _aware(other_when)).days)
        if kind == "hkid":
            fact = REPEAT_APPLICANT(other_reference=reference, days=days)
        else:
            fact = REPEAT_PREMISES(other_reference=reference, address=value, days=days)
        evidence = ctx.evidence(field) + Evidence(cases=(CaseRef(other_id, reference),))
        findings.append(Finding(fact, Severity.WARNING, evidence))
    return findings


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
