"""The real forms' widgets read with pypdf, independently of the importer (which uses pypdfium2),
and PDFs made from them: turned, cropped, encrypted, empty."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

FORMS = Path(__file__).parent / "fixtures" / "forms"
REAL_FORMS = ["irs_1040_2024.pdf", "uscis_i140.pdf", "cdc_icar_section1.pdf"]
MM = 25.4 / 72
COMB, MULTILINE = 1 << 24, 1 << 12


@dataclass(frozen=True)
class PdfWidget:
    name: str  # fully qualified field name
    page: int
    box_mm: tuple[float, float, float, float]  # on the unturned page, from its crop box's top
    field_type: str  # /Tx, /Btn, /Ch, /Sig
    flags: int
    max_length: int | None


def _inherited(annot: Any, key: str) -> Any:
    node = annot
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return None


def _qualified_name(annot: Any) -> str:
    parts, node = [], annot
    while node is not None:
        if "/T" in node:
            parts.append(str(node["/T"]))
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return ".".join(reversed(parts))


def pdf_widgets(path: Path) -> list[PdfWidget]:
    """Every widget annotation of every page, with its rectangle in mm from the crop box's
    top-left corner (pages here are not turned)."""
    found = []
    for number, page in enumerate(PdfReader(path).pages, start=1):
        crop = page.cropbox
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Widget":
                continue
            x0, y0, x1, y1 = (float(v) for v in RectangleObject(annot["/Rect"]))
            box = (
                (min(x0, x1) - float(crop.left)) * MM,
                (float(crop.top) - max(y0, y1)) * MM,
                abs(x1 - x0) * MM,
                abs(y1 - y0) * MM,
            )
            found.append(
                PdfWidget(
                    _qualified_name(annot),
                    number,
                    box,
                    str(_inherited(annot, "/FT")),
                    int(_inherited(annot, "/Ff") or 0),
                    _inherited(annot, "/MaxLen"),
                )
            )
    return found


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def turned(path: Path, degrees: int) -> bytes:
    """The form with every page turned ``degrees`` clockwise (/Rotate), as landscape forms are."""
    writer = PdfWriter(clone_from=path)
    for page in writer.pages:
        page.rotate(degrees)
    return _written(writer)


def cropped(path: Path, left_pt: float, bottom_pt: float) -> bytes:
    """The form with each page's crop box moved in from the left and the bottom."""
    writer = PdfWriter(clone_from=path)
    for page in writer.pages:
        box = page.mediabox
        page.cropbox = RectangleObject((left_pt, bottom_pt, float(box.right), float(box.top)))
    return _written(writer)


def encrypted(path: Path) -> bytes:
    writer = PdfWriter(clone_from=path)
    writer.encrypt(user_password="office", owner_password="office")
    return _written(writer)


def without_pages() -> bytes:
    return _written(PdfWriter())
