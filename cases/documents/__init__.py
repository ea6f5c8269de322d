"""Documents: the content-addressed store of uploaded files, and their pages as text or images."""

from __future__ import annotations

from cases.documents.pages import (
    PageContent,
    TextLine,
    document_pages,
    load_image,
    pdf_render_scale,
    pdf_text_lines,
    strict_decoding,
)
from cases.documents.storage import (
    document_exists,
    document_path,
    read_document,
    read_stored,
    remove_document,
    resolve_stored_path,
    store_bytes,
    store_problem,
    stored_location,
    stored_path,
)

__all__ = [
    "PageContent",
    "TextLine",
    "document_exists",
    "document_pages",
    "document_path",
    "load_image",
    "pdf_render_scale",
    "pdf_text_lines",
    "read_document",
    "read_stored",
    "remove_document",
    "resolve_stored_path",
    "store_bytes",
    "store_problem",
    "stored_location",
    "stored_path",
    "strict_decoding",
]
