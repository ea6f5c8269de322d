"""Building a reviewer's read-only view of a case, and the hash of everything in it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from PIL import Image
from pydantic import BaseModel
from sqlmodel import Session, col, select

from cases.catalogue import get_permit_type
from cases.documents import document_pages, read_document
from cases.models import Case, Document, EligibilityResult, ExtractedField, FieldStatus
from cases.review.base import (
    CaseSnapshot,
    DocumentView,
    EligibilitySnapshot,
    FieldReading,
    ReadOnlySession,
    ReviewContext,
)
from cases.settings import get_settings

__all__ = ["build_context", "inputs_hash"]


def _page_loader(document: Document) -> Callable[[], Sequence[Image.Image | None]]:
    sha, media_type = document.sha256, document.media_type

    @lru_cache(maxsize=1)
    def pages() -> tuple[Image.Image | None, ...]:
        data = read_document(sha)
        dpi = get_settings().pdf_render_dpi
        return tuple(page.image for page in document_pages(data, media_type, dpi=dpi))

    return pages


def _document_view(document: Document) -> DocumentView:
    assert document.id is not None
    return DocumentView(
        id=document.id,
        kind=document.kind,
        filename=document.filename,
        sha256=document.sha256,
        media_type=document.media_type,
        page_count=document.page_count,
        _pages=_page_loader(document),
    )


def build_context(session: Session, case: Case) -> ReviewContext:
    """Snapshots of the case, its fields, documents and eligibility result (nothing a reviewer
    could write back through), and a session that only reads."""
    assert case.id is not None
    fields = session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id))
    readings = {
        f.name: FieldReading(
            f.name,
            f.value,
            f.document_id,
            f.page,
            tuple(f.bbox or ()),
            f.confidence,
            f.status == FieldStatus.VERIFIED,
        )
        for f in fields
    }
    documents = session.exec(
        select(Document).where(Document.case_id == case.id).order_by(col(Document.id))
    )
    eligibility = session.exec(
        select(EligibilityResult).where(EligibilityResult.case_id == case.id)
    ).first()
    return ReviewContext(
        case=CaseSnapshot(
            case.id,
            case.reference,
            case.permit_type,
            str(case.status),
            case.applicant_id,
            case.submitted_at,
            case.application_date,
        ),
        permit_type=get_permit_type(case.permit_type),
        fields=MappingProxyType(readings),
        documents=tuple(_document_view(d) for d in documents),
        eligibility=EligibilitySnapshot(
            eligibility.ruleset_version,
            eligibility.outcome,
            MappingProxyType(json.loads(json.dumps(eligibility.trace, default=str))),
        )
        if eligibility
        else None,
        proposal=eligibility.outcome if eligibility else case.proposed_outcome,
        session=ReadOnlySession(session),
    )


def inputs_hash(ctx: ReviewContext, settings: BaseModel | None) -> str:
    """sha256 of everything the reviewer was given: the case, every field with where it was
    read, every document's content hash, the rules' outcome and trace, and its settings."""
    full: dict[str, Any] = {
        "case": [ctx.case.reference, ctx.case.permit_type, str(ctx.case.application_date)],
        "fields": {
            n: [r.value, r.document_id, r.page, list(r.box), r.verified]
            for n, r in sorted(ctx.fields.items())
        },
        "documents": [[d.kind, d.sha256, d.page_count] for d in ctx.documents],
        "eligibility": [
            ctx.eligibility.ruleset_version,
            str(ctx.eligibility.outcome),
            dict(ctx.eligibility.trace),
        ]
        if ctx.eligibility
        else None,
        "proposal": str(ctx.proposal) if ctx.proposal else None,
        "settings": settings.model_dump(mode="json") if settings else None,
        "earlier_findings": [f.as_json() for f in ctx.earlier_findings],
    }
    encoded = json.dumps(full, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()
