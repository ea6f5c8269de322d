"""Printing a letter fetches nothing but the letters' own assets.

An admin's template is data, and a PDF carries what WeasyPrint fetches: an attachment link to a
local file would put that file inside the letter sent to an applicant, an image or stylesheet
from the web would make the print depend on (and tell) another server. Only files under the
templates' ``_assets`` folder are fetched.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from cases.letters import print_pdf, render_letter_html

SECRET = "root:x:0:0:secret-marker"


def _template(root: Path, body: str) -> str:
    (root / "probe.html.j2").write_text(
        f"<!DOCTYPE html><html><body><p>Letter</p>{body}</body></html>", encoding="utf-8"
    )
    return render_letter_html("probe.html.j2", {}, root)


def _annotation_files(page: pdfium.PdfPage) -> int:
    count = 0
    for index in range(pdfium.raw.FPDFPage_GetAnnotCount(page.raw)):
        annotation = pdfium.raw.FPDFPage_GetAnnot(page.raw, index)
        if pdfium.raw.FPDFAnnot_GetSubtype(annotation) == pdfium.raw.FPDF_ANNOT_FILEATTACHMENT:
            count += 1
        pdfium.raw.FPDFPage_CloseAnnot(annotation)
    return count


def _embedded(pdf: bytes) -> tuple[int, int]:
    """(files attached to the document or to a link on a page, images) in the PDF."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = list(document)
        images = sum(
            1
            for page in pages
            for obj in page.get_objects()
            if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
        )
        files = document.count_attachments() + sum(_annotation_files(page) for page in pages)
        return files, images
    finally:
        document.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A templates folder with its own assets, beside a secret file that must stay outside."""
    folder = tmp_path / "letters"
    (folder / "_assets").mkdir(parents=True)
    Image.new("RGB", (20, 20), "navy").save(folder / "_assets" / "seal.png")
    (folder / "_assets" / "notes.txt").write_text("office notes", encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    Image.new("RGB", (20, 20), "red").save(tmp_path / "outside.png")
    return folder


def test_the_letters_own_assets_are_embedded(root: Path) -> None:
    html = _template(
        root,
        '<img src="_assets/seal.png" alt="seal">'
        '<a rel="attachment" href="_assets/notes.txt">notes</a>',
    )

    assert _embedded(print_pdf(html, "probe", root)) == (1, 1)


@pytest.mark.parametrize(
    "body",
    [
        '<a rel="attachment" href="file:///etc/passwd">terms</a>',
        '<img src="file:///etc/passwd" alt="x">',
        '<link rel="attachment" href="file:///etc/passwd">',
        '<link rel="stylesheet" href="file:///etc/passwd">',
        '<a rel="attachment" href="../secret.txt">terms</a>',
        '<a rel="attachment" href="_assets/../../secret.txt">terms</a>',
        '<img src="../outside.png" alt="x">',
        '<img src="http://127.0.0.1:9/tracker.png" alt="x">',
        '<div style="background: url(https://example.com/x.png)">x</div>',
    ],
    ids=[
        "attachment",
        "image",
        "link-attachment",
        "stylesheet",
        "relative-out",
        "through-assets",
        "image-out",
        "http",
        "css-url",
    ],
)
def test_anything_else_a_template_names_is_refused_not_embedded(
    root: Path, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    html = _template(root, body)

    with caplog.at_level(logging.WARNING, logger="cases.letters.rendering"):
        pdf = print_pdf(html, "probe", root)

    assert _embedded(pdf) == (0, 0)
    assert any("refused to fetch" in record.getMessage() for record in caplog.records)


def test_the_check_would_see_a_file_that_weasyprint_alone_embeds(root: Path) -> None:
    """Printed without the project's fetcher, the same link puts the file in the PDF."""
    from weasyprint import HTML

    html = _template(root, '<a rel="attachment" href="../secret.txt">terms</a>')

    pdf = HTML(string=html, base_url=f"{root.as_uri()}/").write_pdf()

    assert _embedded(pdf) == (1, 0)
