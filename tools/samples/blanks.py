"""Draw the shipped permit types' blank forms once, as the PDFs the catalogue registers scans to.

An office brings its own blank form (its printed PDF, or a scan of the blank); the three sample
permit types have none, so their blanks are drawn from ``form.yaml`` by the sample generator, the
same drawing the sample scans are made from, and committed beside ``form.yaml`` with their SHA-256.
The product only ever reads the committed PDF: it never imports this module.

    python -m tools.samples.blanks            # rewrite rules/*/form.pdf and their hashes
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from cases.catalogue import PermitType, load_catalogue
from tools.samples.applications import blank_form

__all__ = ["write_blank_pdf"]

BLANK_NAME = "form.pdf"
DPI = 300  # a crisp bilevel page, as a good scan of a printed blank is


def blank_pdf_bytes(permit_type: PermitType) -> bytes:
    labels = {spec.name: spec.label.en for spec in permit_type.permit.fields}
    image = blank_form(permit_type.form, labels, dpi=DPI).convert("1")
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=DPI, title=permit_type.form.title)
    return buffer.getvalue()


def _set_key(text: str, key: str, value: str) -> str:
    """Set a top-level key of form.yaml, keeping the admin's comments and layout."""
    line = f"{key}: {value}"
    if re.search(rf"^{key}:.*$", text, flags=re.MULTILINE):
        return re.sub(rf"^{key}:.*$", line, text, count=1, flags=re.MULTILINE)
    return re.sub(r"^fields:", f"{line}\nfields:", text, count=1, flags=re.MULTILINE)


def write_blank_pdf(permit_type: PermitType) -> Path:
    """Write the blank form beside form.yaml and name it there with its hash."""
    pdf = blank_pdf_bytes(permit_type)
    path = permit_type.folder / BLANK_NAME
    path.write_bytes(pdf)
    form_yaml = permit_type.folder / "form.yaml"
    text = _set_key(form_yaml.read_text(encoding="utf-8"), "blank_pdf", BLANK_NAME)
    text = _set_key(text, "blank_sha256", hashlib.sha256(pdf).hexdigest())
    form_yaml.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    for permit_type in load_catalogue().values():
        print(f"wrote {write_blank_pdf(permit_type)}")
