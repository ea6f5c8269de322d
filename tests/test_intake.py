"""Intake: every bad file is refused with a message naming it, and nothing is half-created."""

from __future__ import annotations

import hashlib
import io
import re
from functools import cache

import pytest
from PIL import Image
from sqlmodel import SQLModel, func, select

from cases.access import applicant_status
from cases.db import session_scope
from cases.documents import document_path
from cases.errors import InvalidDocument, NotFound
from cases.intake import Upload, inspect_upload, submit, submit_application
from cases.models import Applicant, AuditEvent, Case, Document
from cases.settings import get_settings
from tests.factories import FOOD, sample_application, uploads_for
from tools.samples.applications import SampleApplication

pytestmark = pytest.mark.usefixtures("db")


@cache
def _sample() -> SampleApplication:
    return sample_application(11)


def _small_png(shade: int) -> bytes:
    """A small, valid, unique image (so its stored file is not shared with other tests)."""
    buffer = io.BytesIO()
    Image.new("L", (64, 48), color=shade).save(buffer, format="PNG")
    return buffer.getvalue()


def _oversized_png() -> bytes:
    """72 megapixels, more than the 60 accepted, yet about 10 MB in memory and tiny on disk."""
    buffer = io.BytesIO()
    Image.new("1", (12000, 6000)).save(buffer, format="PNG")
    return buffer.getvalue()


def _row_counts() -> dict[str, int]:
    tables: list[type[SQLModel]] = [Case, Document, Applicant, AuditEvent]
    with session_scope() as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in tables
        }


NOTHING = {"Case": 0, "Document": 0, "Applicant": 0, "AuditEvent": 0}


def _submit(uploads: list[Upload]) -> Case:
    return submit_application(uploads, permit_type_id=FOOD, actor="test", channel="test")


def _refused(uploads: list[Upload]) -> InvalidDocument:
    with pytest.raises(InvalidDocument) as caught:
        _submit(uploads)
    assert _row_counts() == NOTHING
    return caught.value


BAD_FILES = {
    "empty": (b"", ["the file is empty (0 bytes)", "upload a PDF, PNG, JPEG or TIFF"]),
    "text renamed .png": (
        b"Dear officer, please find my application attached.\n",
        ["is not a PDF, PNG, JPEG or TIFF", "not a recognised document type"],
    ),
    "corrupt pdf": (b"%PDF-1.4\n garbage", ["the PDF cannot be opened", "damaged"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_naming_it(case: str) -> None:
    data, phrases = BAD_FILES[case]
    error = _refused([Upload("scan-1.png", data)])
    assert error.filename == "scan-1.png"
    assert str(error).startswith("scan-1.png: ")
    for phrase in phrases:
        assert phrase in str(error)


def test_truncated_png_is_refused_as_damaged() -> None:
    form_png = _sample().form_png
    error = _refused([Upload("form.png", form_png[:200])])
    assert str(error).startswith("form.png: ")
    assert "damaged or incomplete" in str(error)


def test_image_over_the_pixel_limit_is_refused_with_advice() -> None:
    assert get_settings().max_image_pixels == 60_000_000
    error = _refused([Upload("huge.png", _oversized_png())])
    message = str(error)
    assert message.startswith("huge.png: ")
    assert "12000x6000 pixels (72 megapixels)" in message
    assert "more than the 60 megapixels accepted" in message
    assert "scan at 300 dpi or less" in message


def test_file_over_the_upload_limit_is_refused() -> None:
    form_png = _sample().form_png
    assert len(form_png) > 2**20
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PERMITS_MAX_UPLOAD_BYTES", str(2**20))
        get_settings.cache_clear()
        try:
            error = _refused([Upload("form.png", form_png)])
        finally:
            get_settings.cache_clear()
    size = f"{len(form_png) / 2**20:.1f} MiB"
    assert str(error).startswith(f"form.png: the file is {size}; the limit is 1.0 MiB")


def test_a_bad_second_file_leaves_nothing_behind() -> None:
    good = _small_png(17)
    error = _refused([Upload("form.png", good), Upload("id-card.png", b"not an image")])
    assert error.filename == "id-card.png"
    assert not document_path(hashlib.sha256(good).hexdigest()).exists()


def test_no_file_at_all_is_refused() -> None:
    error = _refused([])
    assert "needs at least the application form" in str(error)


def test_inspect_upload_describes_a_good_image() -> None:
    info = inspect_upload(Upload("small.png", _small_png(90)))
    assert (info.media_type, info.page_count, info.width_px, info.height_px) == (
        "image/png",
        1,
        64,
        48,
    )


def test_valid_application_creates_the_case_and_stores_the_files() -> None:
    sample = _sample()
    form_png, card_png = sample.form_png, sample.id_card_png
    case = _submit(uploads_for(sample))
    assert re.fullmatch(r"FBL-\d{4}-\d{6}", case.reference)
    assert case.status == "submitted"
    with session_scope() as session:
        stored = session.get(Case, case.id)
        assert stored is not None
        assert stored.reference == case.reference
        assert stored.status == "submitted"
        documents = session.exec(
            select(Document).where(Document.case_id == case.id).order_by(Document.id)
        ).all()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)
        ).all()
    assert [(d.kind, d.filename) for d in documents] == [
        ("application_form", "form.png"),
        ("id_card", "id-card.png"),
    ]
    for document, data in zip(documents, (form_png, card_png), strict=True):
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        path = document_path(document.sha256)
        assert path.is_relative_to(get_settings().documents_dir)
        assert path.read_bytes() == data
        assert document.size_bytes == len(data)
    assert [e.action for e in events] == [
        "case.submitted",
        "service_level.due_set",  # due in working days from submission (cases.service_levels)
        "document.stored",
        "document.stored",
    ]
    assert events[0].payload["reference"] == case.reference
    assert _row_counts() == {"Case": 1, "Document": 2, "Applicant": 1, "AuditEvent": 4}


def test_unknown_permit_type_names_the_known_ones() -> None:
    with pytest.raises(NotFound) as caught:
        submit_application(
            [Upload("form.png", _small_png(30))],
            permit_type_id="fishing-licence",
            actor="test",
            channel="test",
        )
    assert "unknown permit type 'fishing-licence'" in str(caught.value)
    assert "known: food-business-licence" in str(caught.value)
    assert _row_counts() == NOTHING


def test_every_submission_gets_an_access_code_that_opens_its_status() -> None:
    submission = submit(uploads_for(_sample()), permit_type_id=FOOD, actor="test", channel="test")
    with session_scope() as session:
        status = applicant_status(session, submission.case.reference, submission.access_code)
        stored = session.get(Case, submission.case.id)
        assert stored is not None
        assert stored.access_code_hash
        assert submission.access_code not in stored.access_code_hash  # only the hash is kept
    assert status.reference == submission.case.reference


def test_a_phone_photo_on_its_side_is_measured_upright() -> None:
    """The size stored is the page as shown and read (EXIF applied), so OCR boxes line up."""
    photo = Image.new("RGB", (300, 200), "white")
    exif = photo.getexif()
    exif[0x0112] = 6  # the camera was held on its side: turn 90° to view
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", exif=exif)
    info = inspect_upload(Upload("photo.jpg", buffer.getvalue()))
    assert (info.width_px, info.height_px) == (200, 300)
