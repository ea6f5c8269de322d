"""The verification screen shows every page of a scanned form, each with the boxes of the fields
read on it, upright as extraction read it, and what page identification said about the page."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
from sqlmodel import select

from cases.audit import append_event
from cases.db import session_scope
from cases.extraction.reasons import LOW_CONFIDENCE, NOT_A_FORM_PAGE
from cases.extraction.service import PAGES_IDENTIFIED
from cases.intake import Upload, submit_application
from cases.models import Document, ExtractedField, FieldStatus
from tests.web.test_web import PERMIT, TestClient, png

SIZE = (320, 200)


def _tiff(pages: int) -> bytes:
    """A scan of ``pages`` pages, each with a black square in its top-left corner."""
    images = []
    for _ in range(pages):
        image = Image.new("RGB", SIZE, "white")
        ImageDraw.Draw(image).rectangle((0, 0, 40, 40), fill="black")
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, format="TIFF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def _three_page_case() -> tuple[int, int]:
    """A case whose form scan has three pages: page 2 was scanned upside down, page 3 is no
    page of the form; a field was read on each of pages 1 and 2 (the second flagged)."""
    case = submit_application(
        [Upload("form.tif", _tiff(3)), Upload("id-card.png", png(200, 120))],
        permit_type_id=PERMIT,
        actor="test",
        channel="test",
    )
    assert case.id is not None
    with session_scope() as session:
        form = session.exec(
            select(Document).where(Document.case_id == case.id, Document.kind == "application_form")
        ).one()
        assert form.id is not None
        assert form.page_count == 3
        for name, page, bbox, flagged in (
            ("business_name", 1, [10, 20, 110, 60], False),
            ("agrees_to_inspection", 2, [30, 40, 60, 70], True),
        ):
            session.add(
                ExtractedField(
                    case_id=case.id,
                    document_id=form.id,
                    name=name,
                    value="x",
                    confidence=0.3 if flagged else 0.95,
                    page=page,
                    bbox=bbox,
                    status=FieldStatus.FLAGGED if flagged else FieldStatus.ACCEPTED,
                    flag=LOW_CONFIDENCE(confidence=0.3, threshold=0.6) if flagged else None,
                )
            )
        stray = NOT_A_FORM_PAGE(page=3, file="form.tif")
        append_event(
            session,
            actor="system:extraction",
            action=PAGES_IDENTIFIED,
            case_id=case.id,
            payload={
                "document": form.id,
                "pages": [
                    {"scan_page": 1, "form_page": 1, "turn": 0, "score": 0.9, "why": "matched"},
                    {"scan_page": 2, "form_page": 2, "turn": 180, "score": 0.8, "why": "matched"},
                    {"scan_page": 3, "form_page": None, "turn": 180, "score": 0.3, "why": "x"},
                ],
                "flags": {"3": stray},
            },
        )
        return case.id, form.id


def test_the_case_page_shows_every_page_with_its_boxes(caseworker: TestClient) -> None:
    case_id, form_id = _three_page_case()
    page = caseworker.get(f"/cases/{case_id}").text
    for number in (1, 2, 3):
        assert f'src="/cases/{case_id}/documents/{form_id}/pages/{number}.png"' in page
        assert f'alt="form.tif, page {number} of 3"' in page
        assert f'id="page-{form_id}-{number}"' in page
    figures = {
        number: page.split(f'id="page-{form_id}-{number}"')[1].split("</figure>")[0]
        for number in (1, 2, 3)
    }
    assert '<rect data-field="business_name" x="10" y="20"' in figures[1]
    assert '<rect data-field="agrees_to_inspection" x="30" y="40"' in figures[2]
    assert 'class="flagged"' in figures[2]
    assert "<rect" not in figures[3]
    assert "turned 180° to stand upright" in figures[2]
    assert "page 3 of &#39;form.tif&#39; is no page of the form" in figures[3]
    # the flagged field links to its box, on the page it was read on
    assert f'href="#page-{form_id}-2" data-field="agrees_to_inspection"' in page
    # the identity card is a document of its own, one page
    assert "id-card.png, page 1 of 1" in page


def test_each_page_is_served_upright_as_it_was_read(caseworker: TestClient) -> None:
    case_id, form_id = _three_page_case()
    pages = {
        number: Image.open(
            io.BytesIO(
                caseworker.get(f"/cases/{case_id}/documents/{form_id}/pages/{number}.png").content
            )
        ).convert("L")
        for number in (1, 2, 3)
    }
    assert pages[1].size == pages[2].size == SIZE
    assert pages[1].getpixel((5, 5)) == 0  # as scanned
    assert pages[2].getpixel((SIZE[0] - 5, SIZE[1] - 5)) == 0  # turned upright
    assert pages[3].getpixel((5, 5)) == 0  # not placed, so not turned: shown as scanned
    assert caseworker.get(f"/cases/{case_id}/documents/{form_id}/pages/4.png").status_code == 404
    assert caseworker.get(f"/cases/{case_id}/documents/{form_id}/pages/0.png").status_code == 404
