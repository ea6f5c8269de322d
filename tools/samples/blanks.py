"""Draw the shipped permit types' blank forms once, as the PDFs the catalogue registers scans to.

An office brings its own blank form (its printed PDF, or a scan of the blank); the three sample
permit types have none, so their blanks are drawn from ``form.yaml`` by the sample generator, the
same drawing the sample scans are made from, and committed beside ``form.yaml`` with their SHA-256.
The product only ever reads the committed PDF: it never imports this module.

    python -m tools.samples.blanks            # rewrite rules/*/form.pdf and their hashes

Drawn at 150 dpi in grey and stored losslessly, so rendered at 150 dpi it is the drawing the
sample scans start from; the PDF holds no dates, so drawing it again gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from pathlib import Path

from PIL import Image

from cases.catalogue import PermitType, load_catalogue
from tools.samples.applications import blank_form

__all__ = ["write_blank_pdf"]

BLANK_NAME = "form.pdf"
#: The resolution the blank is drawn and stored at: the one registration renders it at
#: (``cases.ocr.register``), so the reference is the drawing itself, pixel for pixel.
DPI = 150


def blank_pdf_bytes(permit_type: PermitType) -> bytes:
    labels = {spec.name: spec.label.en for spec in permit_type.permit.fields}
    image = blank_form(permit_type.form, labels, dpi=DPI)
    return _image_pdf(image.convert("L"), DPI, permit_type.form.title)


def _image_pdf(image: Image.Image, dpi: int, title: str) -> bytes:
    """A one-page PDF holding a grey image losslessly (Pillow's own PDF writer stores grey as
    JPEG, whose ringing around thin lines shifts the registration). Deterministic: no dates."""
    width, height = image.size
    pixels = zlib.compress(image.tobytes(), 9)
    page_w, page_h = width * 72 / dpi, height * 72 / dpi
    drawing = f"q {page_w:.2f} 0 0 {page_h:.2f} 0 0 cm /Im0 Do Q".encode()
    image_dict = (
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace "
        f"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length {len(pixels)} >>"
    )
    title_text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w:.2f} {page_h:.2f}] /Resources "
        f"<< /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".encode(),
        image_dict.encode() + b"\nstream\n" + pixels + b"\nendstream",
        f"<< /Length {len(drawing)} >>".encode() + b"\nstream\n" + drawing + b"\nendstream",
        f"<< /Title ({title_text}) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


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
