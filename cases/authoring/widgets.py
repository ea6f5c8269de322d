"""The fillable fields (AcroForm widgets) of an office's blank PDF, where they sit on the page.

Each widget's rectangle is converted from PDF points (user space, origin bottom-left,
before the page's /Rotate) to millimetres on the page as it is printed and scanned: the crop box's
top-left corner is the origin and the page's rotation is applied, so a landscape or turned page
reads as it looks. Read with pypdfium2, the same library that renders the blank for registration.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from cases.errors import InvalidDocument

__all__ = [
    "BlankForm",
    "PdfFailure",
    "Widget",
    "WidgetKind",
    "printed_size_mm",
    "read_blank_form",
    "why_unopened",
]

MM_PER_POINT = 25.4 / 72
_COMB = 1 << 24  # PDF 32000-1 table 228, text field flag bit 25
_MULTILINE = 1 << 12  # bit 13
_READ_ONLY = 1 << 0
_HIDDEN = pdfium_c.FPDF_ANNOT_FLAG_HIDDEN | pdfium_c.FPDF_ANNOT_FLAG_NOVIEW
# A multi-line text field lower than this holds one written line: many forms set the flag only
# so typed text wraps (measured: one-line boxes 4.2-7.1 mm, real multi-line ones 10 mm and up).
_TWO_LINES_MM = 9.0

WidgetKind = Literal["text", "comb", "multiline", "checkbox", "skipped"]
PdfFailure = Literal["encrypted", "damaged", "no_pages"]

_TEXT_TYPES = {
    pdfium_c.FPDF_FORMFIELD_TEXTFIELD,
    pdfium_c.FPDF_FORMFIELD_COMBOBOX,  # printed as an empty box written in by hand
    pdfium_c.FPDF_FORMFIELD_LISTBOX,
}
_TICK_TYPES = {pdfium_c.FPDF_FORMFIELD_CHECKBOX, pdfium_c.FPDF_FORMFIELD_RADIOBUTTON}


@dataclass(frozen=True)
class Widget:
    """One widget: its unique name in this PDF, 1-based page, box in mm (x, y, w, h, top-left)."""

    name: str
    page: int
    box_mm: tuple[float, float, float, float]
    kind: WidgetKind
    cells: int | None = None
    label: str | None = None
    why_skipped: str | None = None

    def describe(self) -> str:
        """Where it is and what it is, for an admin finding it on the printed page."""
        x, y, _, _ = self.box_mm
        about = f"page {self.page} at {x:.0f}, {y:.0f} mm, {self.why_skipped or self.kind}"
        about += f", {self.cells} cells" if self.cells else ""
        if not self.label:
            return about
        # a long tooltip starts with its section's heading and ends with what the field is
        label = self.label if len(self.label) <= 60 else "…" + self.label[-59:]
        return f"{about}, {json.dumps(label, ensure_ascii=False)}"


@dataclass(frozen=True)
class BlankForm:
    """The blank's pages (width, height in mm, as printed) and its widgets in page order."""

    filename: str
    sha256: str
    page_sizes_mm: list[tuple[float, float]]
    widgets: list[Widget]
    title: str | None


def read_blank_form(data: bytes, filename: str) -> BlankForm:
    """Pages and widgets of a blank PDF; InvalidDocument when it is not one an office can use."""
    document = _open(data, filename)
    try:
        if len(document) == 0:
            raise InvalidDocument(filename, "the PDF has no pages")
        raw: list[_RawWidget] = []
        if document.get_formtype() != pdfium_c.FORMTYPE_NONE:
            with _quiet_pdfium():  # it logs that XFA is unsupported; the AcroForm is read anyway
                document.init_forms()
            raw = list(_raw_widgets(document))
        sizes = [printed_size_mm(document[i]) for i in range(len(document))]
        title = document.get_metadata_value("Title") or None
    finally:
        document.close()
    if not raw:
        raise InvalidDocument(
            filename,
            "the PDF has no fillable fields (no AcroForm): draw the boxes on its pages with the "
            "box editor on the admin pages instead",
        )
    return BlankForm(filename, hashlib.sha256(data).hexdigest(), sizes, _named(raw), title)


def _open(data: bytes, filename: str) -> pdfium.PdfDocument:
    if not data.startswith(b"%PDF-"):
        raise InvalidDocument(filename, "not a PDF file (it does not start with %PDF-)")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = {
            "encrypted": "the PDF is encrypted with a password: ask for an unprotected copy",
            "damaged": "the PDF is damaged and cannot be read",
            "no_pages": "the PDF has no pages (or its list of pages is damaged)",
        }[why_unopened(exc, data)]
        raise InvalidDocument(filename, reason) from exc


def why_unopened(exc: pdfium.PdfiumError, data: bytes) -> PdfFailure:
    """Why pdfium could not open ``data``.

    pdfium refuses a document with an empty page tree without setting its error code, so the
    code may be left from an earlier document: a password error counts only when the file has
    an encryption dictionary (always in the uncompressed trailer).
    """
    if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD and b"/Encrypt" in data:
        return "encrypted"
    if exc.err_code == pdfium_c.FPDF_ERR_FORMAT:
        return "damaged"
    return "no_pages"


@contextmanager
def _quiet_pdfium() -> Iterator[None]:
    logger = logging.getLogger("pypdfium2")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass(frozen=True)
class _RawWidget:
    field_name: str
    export_value: str
    page: int
    box_mm: tuple[float, float, float, float]
    kind: WidgetKind
    cells: int | None
    label: str | None
    why_skipped: str | None


def _raw_widgets(document: pdfium.PdfDocument) -> Iterator[_RawWidget]:
    form = document.formenv.raw
    for index in range(len(document)):
        page = document[index]
        to_mm = _page_transform(page)
        for a in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
            annot = pdfium_c.FPDFPage_GetAnnot(page.raw, a)
            try:
                if pdfium_c.FPDFAnnot_GetSubtype(annot) == pdfium_c.FPDF_ANNOT_WIDGET:
                    yield _raw_widget(form, annot, index + 1, to_mm)
            finally:
                pdfium_c.FPDFPage_CloseAnnot(annot)


def _raw_widget(
    form: Any, annot: Any, page: int, to_mm: Callable[[float, float], tuple[float, float]]
) -> _RawWidget:
    rect = pdfium_c.FS_RECTF()
    pdfium_c.FPDFAnnot_GetRect(annot, rect)
    corners = [to_mm(x, y) for x in (rect.left, rect.right) for y in (rect.bottom, rect.top)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    kind, cells, why = _kind(form, annot, box)
    label = " ".join(_text(pdfium_c.FPDFAnnot_GetFormFieldAlternateName, form, annot).split())
    return _RawWidget(
        field_name=_text(pdfium_c.FPDFAnnot_GetFormFieldName, form, annot),
        export_value=_text(pdfium_c.FPDFAnnot_GetFormFieldExportValue, form, annot),
        page=page,
        box_mm=tuple(round(v, 2) for v in box),  # type: ignore[arg-type]
        kind=kind,
        cells=cells,
        label=label or None,
        why_skipped=why,
    )


def _kind(
    form: Any, annot: Any, box: tuple[float, float, float, float]
) -> tuple[WidgetKind, int | None, str | None]:
    field_type = pdfium_c.FPDFAnnot_GetFormFieldType(form, annot)
    flags = pdfium_c.FPDFAnnot_GetFormFieldFlags(form, annot)
    if pdfium_c.FPDFAnnot_GetFlags(annot) & _HIDDEN:
        return "skipped", None, "hidden, not printed"
    if flags & _READ_ONLY:
        return "skipped", None, "read-only, not filled in by the applicant"
    if box[2] <= 0 or box[3] <= 0:
        return "skipped", None, "no area on the page"
    if field_type in _TICK_TYPES:
        return "checkbox", None, None
    if field_type not in _TEXT_TYPES:
        return "skipped", None, "a button or signature, not a field written in"
    if field_type == pdfium_c.FPDF_FORMFIELD_TEXTFIELD and flags & _COMB:
        cells = _max_length(annot)
        if cells:
            return "comb", cells, None
    if field_type == pdfium_c.FPDF_FORMFIELD_TEXTFIELD and flags & _MULTILINE:
        return ("multiline" if box[3] >= _TWO_LINES_MM else "text"), None, None
    return "text", None, None


def _max_length(annot: Any) -> int | None:
    """MaxLen of the widget's field: on the widget itself, or on its parent field (inherited)."""
    value = ctypes.c_float()
    if pdfium_c.FPDFAnnot_GetNumberValue(annot, b"MaxLen", value):
        return int(value.value) or None
    parent = pdfium_c.FPDFAnnot_GetLinkedAnnot(annot, b"Parent")
    if not parent:
        return None
    try:
        found = pdfium_c.FPDFAnnot_GetNumberValue(parent, b"MaxLen", value)
    finally:
        pdfium_c.FPDFPage_CloseAnnot(parent)
    return int(value.value) or None if found else None


def _text(function: Callable[..., int], *args: Any) -> str:
    """A UTF-16 string from one of pdfium's two-call getters (size first, then the text)."""
    size = function(*args, None, 0)
    if size <= 2:
        return ""
    buffer = (ctypes.c_ushort * (size // 2))()
    function(*args, buffer, size)
    return bytes(buffer)[: size - 2].decode("utf-16-le", errors="replace")


def printed_size_mm(page: pdfium.PdfPage) -> tuple[float, float]:
    """Width and height of the page as printed: its crop box, turned by its /Rotate."""
    left, bottom, right, top = page.get_cropbox()
    width, height = (right - left) * MM_PER_POINT, (top - bottom) * MM_PER_POINT
    turned = page.get_rotation() % 180 == 90
    return (round(height, 2), round(width, 2)) if turned else (round(width, 2), round(height, 2))


def _page_transform(page: pdfium.PdfPage) -> Callable[[float, float], tuple[float, float]]:
    """Point (PDF user space) -> mm on the page as displayed: crop box, rotation, top-left origin.

    /Rotate turns the page clockwise for display; on the unturned page (a, b) from the top-left,
    90 degrees puts it at (H - b, a), 180 at (W - a, H - b), 270 at (b, W - a).
    """
    left, bottom, right, top = page.get_cropbox()
    width, height = (right - left) * MM_PER_POINT, (top - bottom) * MM_PER_POINT
    rotation = page.get_rotation() % 360

    def to_mm(x: float, y: float) -> tuple[float, float]:
        a, b = (x - left) * MM_PER_POINT, (top - y) * MM_PER_POINT
        if rotation == 90:
            return height - b, a
        if rotation == 180:
            return width - a, height - b
        if rotation == 270:
            return b, width - a
        return a, b

    return to_mm


def _named(raw: list[_RawWidget]) -> list[Widget]:
    """Widgets with a name unique in the PDF: the field's name, and for a field with several
    widgets (a radio group, a field repeated on each page) its export value or its number."""
    counts: dict[str, int] = {}
    for item in raw:
        counts[item.field_name] = counts.get(item.field_name, 0) + 1
    exports: dict[str, list[str]] = {}
    for item in raw:
        exports.setdefault(item.field_name, []).append(item.export_value)
    seen: dict[str, int] = {}
    widgets: list[Widget] = []
    for item in raw:
        name = item.field_name
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            values = exports[name]
            unique = item.export_value and values.count(item.export_value) == 1
            name = f"{name}:{item.export_value}" if unique else f"{name}#{seen[name]}"
        widgets.append(
            Widget(
                name, item.page, item.box_mm, item.kind, item.cells, item.label, item.why_skipped
            )
        )
    return widgets
