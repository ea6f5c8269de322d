"""HTTP routes, one module per area; each parses input, calls ``cases`` and renders."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from cases.catalogue import DocumentRequirement
from cases.errors import InvalidDocument
from cases.intake import DOCUMENT_PROBLEMS, Upload
from web.i18n import gettext_

__all__ = ["DOCUMENT_PREFIX", "read_form", "refusal_reason", "slot_uploads", "stored_file"]

# A form's file field for a kind of document is named ``document_<kind>`` (staff upload, applying
# online, answering a request), so a file's kind is its slot's, never its place in the list.
DOCUMENT_PREFIX = "document_"


async def read_form(request: Request) -> FormData:
    """The submitted form, for routes whose field names depend on the data (one per field)."""
    return await request.form()


def slot_uploads(
    form: FormData, requirements: Iterable[DocumentRequirement]
) -> tuple[list[Upload], list[DocumentRequirement]]:
    """One upload per document slot filled, its kind the slot's; and the required slots left
    empty (the caller says so, at once or with everything else that is missing)."""
    uploads: list[Upload] = []
    empty: list[DocumentRequirement] = []
    for requirement in requirements:
        item = form.get(DOCUMENT_PREFIX + requirement.kind)
        if isinstance(item, UploadFile) and item.filename:
            uploads.append(Upload(item.filename, item.file.read(), kind=requirement.kind))
        elif requirement.required:
            empty.append(requirement)
    return uploads, empty


def refusal_reason(refused: InvalidDocument) -> str:
    """Why intake refused a file, in the page's language: from the fact the refusal carries
    (a code and its values) where it has one, else its reason as a message of the catalogue."""
    fact = dict(refused.fact or {})
    template = DOCUMENT_PROBLEMS.get(str(fact.pop("code", "")))
    return gettext_(template) % fact if template else gettext_(refused.reason)


def stored_file(data: bytes, media_type: str, filename: str, *, inline: bool = True) -> Response:
    """A file read from the document store (local or remote, so never a path to stream), named
    for the browser the way Starlette's ``FileResponse`` names one."""
    kind = "inline" if inline else "attachment"
    quoted = quote(filename)
    named = f"filename*=utf-8''{quoted}" if quoted != filename else f'filename="{filename}"'
    disposition = f"{kind}; {named}"
    return Response(data, media_type=media_type, headers={"content-disposition": disposition})
