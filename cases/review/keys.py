"""What identifies an application for repeats and duplicates: its applicant's identity card
number, its premises' normalised address, and each scanned page's perceptual hash. Written once
per review (by the service, never by a reviewer) and looked up through indexes only.

The perceptual hash is 256 bits (``phash`` at 16x16): at 64 bits, two different filled-in copies
of the same form often hash alike (distance 0-6), while at 256 bits they differ by 10 bits or more
and the same image saved again (resized, recompressed, brighter) by 0-8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import imagehash
from PIL import Image
from sqlmodel import Session, col, delete

from cases.models import CaseKey, PageFingerprint, PageHashBand
from cases.review.base import DocumentView, ReviewContext
from cases.values import normalise_hkid
from cases.values.addresses import normalise_address

__all__ = [
    "address_key",
    "bands",
    "distance",
    "hkid_key",
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


BANDS = 16  # 16-bit bands of the 256-bit hash


def _image_hash(image: Image.Image) -> str:
    return str(imagehash.phash(image.convert("L"), hash_size=16))


_HASHES: dict[str, tuple[str | None, ...]] = {}  # by content hash: the reviewer, then the service


def page_hashes(document: DocumentView) -> tuple[str | None, ...]:
    """Each page's 256-bit perceptual hash as 64 hex digits (None: a page with a text layer)."""
    hashes = _HASHES.get(document.sha256)
    if hashes is None:
        images = document.page_images()
        hashes = tuple(_image_hash(img) if img is not None else None for img in images)
        if len(_HASHES) > 1024:
            _HASHES.clear()
        _HASHES[document.sha256] = hashes
    return hashes


def bands(phash: str) -> list[int]:
    """The hash's sixteen 16-bit bands (the indexed values a near-duplicate is found by)."""
    return [int(phash[i : i + 4], 16) for i in range(0, 64, 4)]


def distance(first: str, second: str) -> int:
    return (int(first, 16) ^ int(second, 16)).bit_count()


def _keys(ctx: ReviewContext) -> Iterable[tuple[str, str]]:
    for name in HKID_FIELDS[:1]:
        if ctx.value(name):
            yield "hkid", hkid_key(ctx.value(name))
    if ctx.value(PREMISES_FIELD):
        yield "premises", address_key(ctx.value(PREMISES_FIELD))


def record_case_keys(session: Session, ctx: ReviewContext) -> None:
    """Store the case's keys and its pages' fingerprints (replacing a previous review's)."""
    case_id = ctx.case.id
    for table in (CaseKey, PageHashBand, PageFingerprint):
        session.exec(delete(table).where(col(table.case_id) == case_id))
    for kind, value in _keys(ctx):
        session.add(
            CaseKey(case_id=case_id, kind=kind, value=value, submitted_at=ctx.case.submitted_at)
        )
    for document in ctx.documents:
        for page, phash in enumerate(page_hashes(document), start=1):
            if phash is None:
                continue
            fingerprint = PageFingerprint(
                case_id=case_id, document_id=document.id, page=page, phash=phash
            )
            session.add(fingerprint)
            session.flush()
            assert fingerprint.id is not None
            session.add_all(
                PageHashBand(fingerprint_id=fingerprint.id, case_id=case_id, band=i, value=v)
                for i, v in enumerate(bands(phash))
            )
