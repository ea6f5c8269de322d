"""What identifies an application for repeats and duplicates: its applicant's identity card
number, its premises' normalised address, and each scanned page's perceptual hash. Written once
per review (by the service, never by a reviewer) and looked up through indexes only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import imagehash
from PIL import Image
from sqlmodel import Session, col, delete

from cases.models import CaseKey, PageFingerprint
from cases.review.base import DocumentView, ReviewContext
from cases.values import normalise_hkid
from cases.values.addresses import normalise_address

__all__ = [
    "address_key",
    "bands",
    "hkid_key",
    "neighbours",
    "page_hashes",
    "record_case_keys",
]

HKID_FIELDS = ("hkid", "id_card_number")
PREMISES_FIELD = "premises_address"


def hkid_key(value: str) -> str:
    return (normalise_hkid(value) or value).upper().strip()


def address_key(value: str) -> str:
    """An address as words of letters and digits: commas, case and spacing set aside."""
    canonical = normalise_address(value)[0] or value
    return " ".join(re.sub(r"[^\w]+", " ", canonical.upper()).split())[:300]


def _image_hash(image: Image.Image) -> str:
    return str(imagehash.phash(image.convert("L")))


_HASHES: dict[str, tuple[str | None, ...]] = {}  # by content hash: the reviewer, then the service


def page_hashes(document: DocumentView) -> tuple[str | None, ...]:
    """Each page's 64-bit perceptual hash as 16 hex digits (None: a page with a text layer)."""
    hashes = _HASHES.get(document.sha256)
    if hashes is None:
        images = document.page_images()
        hashes = tuple(_image_hash(img) if img is not None else None for img in images)
        if len(_HASHES) > 1024:
            _HASHES.clear()
        _HASHES[document.sha256] = hashes
    return hashes


def bands(phash: str) -> tuple[int, int, int, int]:
    """The hash's four 16-bit bands, the indexed columns a near-duplicate is looked up by."""
    value = int(phash, 16)
    return (value >> 48 & 0xFFFF, value >> 32 & 0xFFFF, value >> 16 & 0xFFFF, value & 0xFFFF)


def neighbours(band: int) -> list[int]:
    """The band and every value one bit away: two hashes within distance 7 share a band within
    distance 1 (pigeonhole over four bands)."""
    return [band, *(band ^ (1 << bit) for bit in range(16))]


def _keys(ctx: ReviewContext) -> Iterable[tuple[str, str]]:
    for name in HKID_FIELDS[:1]:
        if ctx.value(name):
            yield "hkid", hkid_key(ctx.value(name))
    if ctx.value(PREMISES_FIELD):
        yield "premises", address_key(ctx.value(PREMISES_FIELD))


def record_case_keys(session: Session, ctx: ReviewContext) -> None:
    """Store the case's keys and its pages' fingerprints (replacing a previous review's)."""
    case_id = ctx.case.id
    session.exec(delete(CaseKey).where(col(CaseKey.case_id) == case_id))
    session.exec(delete(PageFingerprint).where(col(PageFingerprint.case_id) == case_id))
    for kind, value in _keys(ctx):
        session.add(
            CaseKey(case_id=case_id, kind=kind, value=value, submitted_at=ctx.case.submitted_at)
        )
    for document in ctx.documents:
        for page, phash in enumerate(page_hashes(document), start=1):
            if phash is None:
                continue
            b0, b1, b2, b3 = bands(phash)
            session.add(
                PageFingerprint(
                    case_id=case_id,
                    document_id=document.id,
                    page=page,
                    phash=phash,
                    band0=b0,
                    band1=b1,
                    band2=b2,
                    band3=b3,
                )
            )
