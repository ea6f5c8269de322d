"""HTTP routes, one module per area; each parses input, calls ``cases`` and renders."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData

__all__ = ["read_form"]


async def read_form(request: Request) -> FormData:
    """The submitted form, for routes whose field names depend on the data (one per field)."""
    return await request.form()
