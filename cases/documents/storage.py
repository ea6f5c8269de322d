"""Content-addressed document store: a file's name is the SHA-256 of its bytes.

Storing the same bytes twice costs nothing and can never overwrite different content. Writes go to a
temporary file first and are renamed into place, so a crash never leaves a half-written document.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from cases.settings import get_settings

__all__ = ["document_path", "read_document", "store_bytes"]


def document_path(sha256: str, root: Path | None = None) -> Path:
    root = root or get_settings().documents_dir
    return root / sha256[:2] / sha256


def store_bytes(data: bytes, root: Path | None = None) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = document_path(digest, root)
    if path.exists():
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def read_document(sha256: str, root: Path | None = None) -> bytes:
    return document_path(sha256, root).read_bytes()
