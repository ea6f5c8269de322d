"""The pages of a case's documents as the case page shows them: every page, upright, with the
boxes of the fields read on it, and what page identification said about it.

How a scanned form page was turned to be read, and whether it is no page of the form, is in the
``form.pages_identified`` audit event extraction wrote for its document (the one record of it):
the page image is served turned the same way, so the boxes, in the upright page's pixels, land
on the fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from cases.audit import readable_payload
from cases.catalogue import Text
from cases.extraction.service import PAGES_IDENTIFIED
from cases.facts import Fact, is_fact
from cases.models import AuditEvent, AuditPersonal, Document, ExtractedField, FieldStatus
from cases.settings import get_settings

__all__ = ["FieldBox", "IdentifiedPage", "PageView", "page_anchor", "page_turn", "page_views"]


@dataclass(frozen=True)
class FieldBox:
    """Where OCR read a field, in the page image's pixels: [x0, y0, x1, y1]."""

    name: str
    label: Text
    bbox: tuple[int, int, int, int]
    flagged: bool


@dataclass(frozen=True)
class IdentifiedPage:
    """What identification found a scanned page to be."""

    form_page: int | None = None
    turn: int = 0  # degrees clockwise it was turned to stand upright
    flag: Fact | None = None  # e.g. not_a_form_page


@dataclass(frozen=True)
class PageView:
    """One page of a document, upright, with the boxes of the fields read from it.

    The size is worked out from the upload's first page; the page's script corrects it from the
    image itself (an EXIF-rotated photo, a page of another size).
    """

    document: Document
    number: int
    count: int  # pages in the document
    width: int
    height: int
    boxes: list[FieldBox]
    identified: IdentifiedPage = field(default_factory=IdentifiedPage)

    @property
    def anchor(self) -> str:
        return page_anchor(self.document.id or 0, self.number)


def page_anchor(document_id: int, page: int) -> str:
    """The id of a page's figure on the case page, which a flagged field's link points at."""
    return f"page-{document_id}-{page}"


def _identified(
    events: Iterable[AuditEvent], personal: Mapping[int, AuditPersonal]
) -> dict[tuple[int, int], IdentifiedPage]:
    """(document id, scan page) -> what identification found, the latest event winning."""
    found: dict[tuple[int, int], IdentifiedPage] = {}
    for event in events:
        if event.action != PAGES_IDENTIFIED:
            continue
        # the flags are kept beside the event (older events carry them in it)
        payload: dict[str, Any] = readable_payload(event, personal.get(event.id or 0))
        kept = payload.get("flags")
        flags: dict[str, Any] = kept if isinstance(kept, dict) else {}
        for record in payload.get("pages", []):
            page = int(record["scan_page"])
            flag = flags.get(str(page))
            form_page = record.get("form_page")
            # a page was turned to be read only when it was placed; a left-out page's "turn" is
            # only the best guess recorded with its score
            turn = int(record.get("turn", 0)) if form_page is not None else 0
            found[(int(payload["document"]), page)] = IdentifiedPage(
                form_page, turn, flag if is_fact(flag) else None
            )
    return found


def page_views(
    documents: Sequence[Document],
    fields: Sequence[tuple[ExtractedField, Text]],
    events: Iterable[AuditEvent],
    personal: Mapping[int, AuditPersonal] | None = None,
) -> list[PageView]:
    """Every page of every document, in order, with its boxes (``fields``: each with its label);
    ``personal``: the values kept beside ``events``, by event id."""
    identified = _identified(events, personal or {})
    dpi = get_settings().pdf_render_dpi
    views: list[PageView] = []
    for document in documents:
        # Boxes are in the pixels of the page as extraction rasterised it (PDFs at this dpi).
        scale = dpi / 72 if document.media_type == "application/pdf" else 1
        width = round((document.width_px or 1000) * scale)
        height = round((document.height_px or 1400) * scale)
        count = max(1, document.page_count)
        for number in range(1, count + 1):
            seen = identified.get((document.id or 0, number), IdentifiedPage())
            size = (height, width) if seen.turn % 180 else (width, height)
            boxes = [
                FieldBox(f.name, label, (f.bbox[0], f.bbox[1], f.bbox[2], f.bbox[3]), _flagged(f))
                for f, label in fields
                if f.document_id == document.id and f.page == number and len(f.bbox) == 4
            ]
            views.append(PageView(document, number, count, *size, boxes, seen))
    return views


def _flagged(field: ExtractedField) -> bool:
    return field.status == FieldStatus.FLAGGED


def page_turn(case_id: int, document_id: int, page: int, *, session: Session) -> int:
    """Degrees clockwise a document's page was turned to be read (0 unless identification
    turned it)."""
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.case_id == case_id, AuditEvent.action == PAGES_IDENTIFIED)
        .order_by(col(AuditEvent.seq))
    )
    return _identified(events, {}).get((document_id, page), IdentifiedPage()).turn
