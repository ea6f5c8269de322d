"""Content-addressed document store: a file's name is the SHA-256 of its bytes.

Storing the same bytes twice costs nothing and can never overwrite different content. Writes go to a
temporary file first and are renamed into place, so a crash never leaves a half-written document.
Uploads and issued letters share it. A row that names a stored file holds its path relative to the
data folder (:func:`stored_path`), so a data folder moved or restored elsewhere breaks no row;
:func:`resolve_stored_path` turns it back into a file and refuses one that leads out of the folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from cases.errors import StorageUnavailable, StoredPathOutsideDataFolder
from cases.settings import get_settings

__all__ = ["document_path", "read_document", "resolve_stored_path", "store_bytes", "stored_path"]


def document_path(sha256: str, root: Path | None = None) -> Path:
    root = root or get_settings().documents_dir
    return root / sha256[:2] / sha256


# What the operating system says when the store cannot take a file, as the person must hear it.
_STORAGE_PROBLEMS = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EROFS: "read_only",
    errno.EACCES: "read_only",
    errno.EPERM: "read_only",
    errno.ENAMETOOLONG: "path_too_long",
}


def store_bytes(data: bytes, root: Path | None = None) -> str:
    """Store the bytes (once) and return their SHA-256; a full, read-only or unreachable store
    raises ``StorageUnavailable`` (nothing half-written is left behind)."""
    root = root or get_settings().documents_dir
    try:
        return _write(data, root)
    except OSError as exc:
        problem = _STORAGE_PROBLEMS.get(exc.errno or 0)
        if problem is None:
            raise
        raise StorageUnavailable(problem, root) from exc


def _write(data: bytes, root: Path) -> str:
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


def stored_path(sha256: str) -> str:
    """Where the store keeps these bytes, relative to the data folder: what a row records."""
    return document_path(sha256).relative_to(get_settings().resolved_data_dir).as_posix()


def resolve_stored_path(stored: str) -> Path:
    """The file a row's relative path names, refused when the path leads out of the data folder."""
    root = get_settings().resolved_data_dir
    path = (root / stored).resolve()
    if Path(stored).is_absolute() or not path.is_relative_to(root):
        raise StoredPathOutsideDataFolder(stored, root)
    return path
