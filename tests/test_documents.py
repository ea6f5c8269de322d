"""Documents in every shape they arrive: typed PDF, scanned PDF, multi-page TIFF, phone photo.

Each is accepted or refused at intake with a reason a person can act on, and read at extraction by
the cheapest means that is right: a PDF's text layer needs no OCR at all.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import cache

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlmodel import select

from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.documents import document_pages, document_path
from cases.errors import InvalidDocument
from cases.extraction import extract_case
from cases.intake import Upload, inspect_upload, submit_application
from cases.models import ApprovalTask, Case, Document, ExtractedField, FieldStatus
from cases.ocr.forms import TEXT_LAYER_ENGINE, read_form_page
from cases.settings import get_settings
from tests.factories import FOOD, said, sample_application
from tools.samples.applications import SampleApplication, random_truth, typed_form_pdf

pytest_plugins = ["tests.ocr_fixtures"]

FORM_FIELDS = [f.field for f in get_permit_type(FOOD).form.fields]


@cache
def _labels() -> dict[str, str]:
    return {spec.name: spec.label.en for spec in get_permit_type(FOOD).permit.fields}


@cache
def _typed_pdf(seed: int) -> bytes:
    return typed_form_pdf(get_permit_type(FOOD).form, random_truth(seed), _labels())


@cache
def _sample(seed: int) -> SampleApplication:
    return sample_application(seed)


def _scanned_pdf(png: bytes, pages: int = 1) -> bytes:
    """A scanner's PDF: each page an image at 150 dpi, no text layer."""
    with Image.open(io.BytesIO(png)) as scan:
        image = scan.convert("L")
        buffer = io.BytesIO()
        image.save(
            buffer, format="PDF", resolution=150, save_all=True, append_images=[image] * (pages - 1)
        )
    return buffer.getvalue()


def _tiff(*pages: Image.Image) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=list(pages[1:]))
    return buffer.getvalue()


def _blank_pdf(pages: int) -> bytes:
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    return buffer.getvalue()


def _encrypted_pdf() -> bytes:
    """A PDF under the standard security handler whose user password is not empty."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + b"11" * 32
        + b"> /U <"
        + b"22" * 32
        + b"> /P -4 >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    file_id = b"ab" * 16
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1,
        file_id,
        file_id,
    )
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


@pytest.fixture
def few_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("PERMITS_MAX_DOCUMENT_PAGES", "3")
    get_settings.cache_clear()
    yield 3
    get_settings.cache_clear()


# --- Reading pages -------------------------------------------------------------------------------


def test_a_typed_pdf_is_read_from_its_text_layer_without_ocr() -> None:
    pages = list(document_pages(_typed_pdf(3), "application/pdf"))
    assert [(p.number, p.image) for p in pages] == [(1, None)]
    readings = read_form_page(pages[0], get_permit_type(FOOD).form, _labels())
    truth = random_truth(3)
    assert {r.name: r.text for r in readings} == {name: truth[name] for name in FORM_FIELDS}
    assert {(r.engine, r.confidence) for r in readings} == {(TEXT_LAYER_ENGINE, 1.0)}


def test_a_scanned_pdf_is_rasterised_at_the_requested_resolution() -> None:
    pages = list(
        document_pages(_scanned_pdf(_sample(11).form_png, pages=2), "application/pdf", dpi=100)
    )
    assert [p.number for p in pages] == [1, 2]
    assert all(p.lines is None and p.image is not None for p in pages)
    assert pages[0].image is not None
    assert pages[0].image.size == pytest.approx((827, 1169), abs=1)  # A4 at 100 dpi


def test_every_page_of_a_tiff_is_read_upright() -> None:
    portrait, landscape = Image.new("L", (60, 80), 255), Image.new("L", (90, 40), 255)
    pages = list(document_pages(_tiff(portrait, landscape), "image/tiff"))
    assert [(p.number, p.image.size if p.image else None) for p in pages] == [
        (1, (60, 80)),
        (2, (90, 40)),
    ]


def test_a_phone_photo_is_turned_upright_by_its_exif_orientation() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 8  # taken with the phone turned: stored sideways
    Image.new("RGB", (80, 50), "white").save(buffer, format="JPEG", exif=exif)
    (page,) = document_pages(buffer.getvalue(), "image/jpeg")
    assert page.image is not None
    assert page.image.size == (50, 80)


# --- Intake limits -------------------------------------------------------------------------------


@pytest.mark.usefixtures("db")
def test_an_encrypted_pdf_is_refused_asking_for_a_copy_without_password() -> None:
    with pytest.raises(InvalidDocument) as caught:
        submit_application(
            [Upload("form.pdf", _encrypted_pdf())], permit_type_id=FOOD, actor="t", channel="t"
        )
    assert str(caught.value) == (
        "form.pdf: the PDF cannot be opened: it is password-protected; "
        "upload a copy without a password"
    )
    with session_scope() as session:
        assert session.exec(select(Case)).first() is None


@pytest.mark.usefixtures("few_pages")
@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("bundle.pdf", _blank_pdf(4)),
        ("bundle.tiff", _tiff(*[Image.new("L", (30, 40), 255)] * 4)),
    ],
)
def test_a_document_over_the_page_limit_is_refused(filename: str, data: bytes) -> None:
    with pytest.raises(InvalidDocument) as caught:
        inspect_upload(Upload(filename, data))
    assert str(caught.value) == (
        f"{filename}: the document has 4 pages, more than the 3 accepted; upload the application "
        "form and each supporting document as separate files"
    )


@pytest.mark.usefixtures("few_pages")
def test_documents_within_the_page_limit_are_described() -> None:
    pdf = inspect_upload(Upload("bundle.pdf", _blank_pdf(3)))
    tiff = inspect_upload(Upload("scan.tif", _tiff(*[Image.new("L", (30, 40), 255)] * 2)))
    assert (pdf.media_type, pdf.page_count) == ("application/pdf", 3)
    assert (tiff.media_type, tiff.page_count, tiff.width_px, tiff.height_px) == (
        "image/tiff",
        2,
        30,
        40,
    )


def test_a_tiff_page_over_the_pixel_limit_is_refused_naming_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PERMITS_MAX_IMAGE_PIXELS", "10000")
    get_settings.cache_clear()
    try:
        data = _tiff(Image.new("L", (50, 50), 255), Image.new("L", (200, 100), 255))
        with pytest.raises(InvalidDocument) as caught:
            inspect_upload(Upload("scan.tif", data))
    finally:
        get_settings.cache_clear()
    assert "scan.tif: page 2 of the image is 200x100 pixels" in str(caught.value)


# --- Extraction ----------------------------------------------------------------------------------


def _extract_form_only(filename: str, data: bytes) -> dict[str, ExtractedField]:
    case = submit_application([Upload(filename, data)], permit_type_id=FOOD, actor="t", channel="t")
    assert case.id is not None
    extract_case(case.id)
    with session_scope() as session:
        rows = session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id))
        return {row.name: row for row in rows}


@pytest.mark.usefixtures("db")
def test_a_typed_pdf_application_is_extracted_exactly() -> None:
    fields = _extract_form_only("form.pdf", _typed_pdf(5))
    truth = random_truth(5)
    for name in FORM_FIELDS:
        assert fields[name].raw_text == truth[name], name
        assert fields[name].engine == TEXT_LAYER_ENGINE
    assert fields["application_date"].status == FieldStatus.ACCEPTED


@pytest.mark.usefixtures("db", "ocr_reader")
def test_a_scanned_form_in_a_multipage_tiff_is_found_on_its_page() -> None:
    sample = _sample(12)
    with Image.open(io.BytesIO(sample.form_png)) as scan:
        form = scan.convert("L")
    cover = Image.new("L", form.size, 236)
    fields = _extract_form_only("scan.tif", _tiff(cover, form))
    for name in FORM_FIELDS:
        assert (fields[name].raw_text, fields[name].page) == (sample.truth[name], 2), name


@pytest.mark.usefixtures("db", "ocr_reader")
def test_a_scanned_pdf_form_is_read_zonally() -> None:
    sample = _sample(13)
    fields = _extract_form_only("scan.pdf", _scanned_pdf(sample.form_png))
    assert {name: fields[name].raw_text for name in FORM_FIELDS} == {
        name: sample.truth[name] for name in FORM_FIELDS
    }


@pytest.mark.usefixtures("db")
def test_a_document_damaged_in_storage_leaves_the_case_for_a_person() -> None:
    data = _typed_pdf(6)
    case = submit_application(
        [Upload("form.pdf", data)], permit_type_id=FOOD, actor="t", channel="t"
    )
    assert case.id is not None
    with session_scope() as session:
        document = session.exec(select(Document).where(Document.case_id == case.id)).one()
    path = document_path(document.sha256)
    path.write_bytes(b"%PDF-1.4 damaged")
    extract_case(case.id)
    with session_scope() as session:
        stored = session.get(Case, case.id)
        fields = session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id)).all()
        task = session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case.id)).one()
    assert stored is not None
    assert stored.status == "awaiting_verification"
    name = next(f for f in fields if f.name == "applicant_name")
    assert name.status == FieldStatus.FLAGGED
    assert name.flag is not None
    assert said(name.flag).startswith("the document 'form.pdf' could not be read (")
    assert "ask the applicant for a new copy" in said(task.reason)
