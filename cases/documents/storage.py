"""Content-addressed document store: a file's name is the SHA-256 of its bytes.

Storing the same bytes twice costs nothing and can never overwrite different content. Uploads and
issued letters share it. It lives in the data folder's ``documents`` folder unless
``PERMITS_DOCUMENT_STORE`` names an fsspec URL (``file:///mnt/shared/docs``, ``s3://bucket/prefix``),
so machines that share no disk can share documents. Either way nothing half-written is ever visible:
a file system gets a temporary name renamed into place; an object store (S3 and the like) makes an
object visible only once its upload is whole.

A row that names a stored file holds its path relative to the data folder (``documents/ab/ab12…``,
:func:`stored_path`) whichever store holds the bytes, so a data folder moved or restored elsewhere,
or a store moved to S3, breaks no row; :func:`read_stored` reads what such a path names, and
:func:`resolve_stored_path` refuses one that leads out of the folder.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cases.errors import StorageUnavailable, StoredPathOutsideDataFolder
from cases.settings import get_settings

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

# Its public names are listed once, in cases.documents' __all__.

# Where the bytes sit in the data folder, and so what every row's relative path starts with.
STORE_FOLDER = "documents"
_STORED = re.compile(rf"^{STORE_FOLDER}/[0-9a-f]{{2}}/(?P<sha>[0-9a-f]{{64}})$")

# What the operating system says when the store cannot take a file, as the person must hear it.
_STORAGE_PROBLEMS = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EROFS: "read_only",
    errno.EACCES: "read_only",
    errno.EPERM: "read_only",
    errno.ENAMETOOLONG: "path_too_long",
    errno.ECONNREFUSED: "unreachable",
    errno.EHOSTUNREACH: "unreachable",
    errno.ENETUNREACH: "unreachable",
    errno.ETIMEDOUT: "unreachable",
}
# Backends' own exceptions (botocore, aiohttp), told by name so none of them is imported here.
_PROBLEMS_BY_NAME = {
    "NoCredentialsError": "credentials",
    "PartialCredentialsError": "credentials",
    "CredentialRetrievalError": "credentials",
    "EndpointConnectionError": "unreachable",
    "ConnectTimeoutError": "unreachable",
    "ClientConnectorError": "unreachable",
    "ServerTimeoutError": "unreachable",
}
# Object stores whose upload is atomic: the object appears whole or not at all.
_ATOMIC_PUT = frozenset({"s3", "s3a", "gs", "gcs", "abfs", "az", "memory"})


@dataclass(frozen=True)
class DocumentStore:
    """An fsspec file system and the folder (or bucket prefix) inside it that holds the store."""

    fs: AbstractFileSystem
    root: str
    where: str  # the URL or folder, as an operator names it

    @property
    def atomic_put(self) -> bool:
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        return bool(_ATOMIC_PUT.intersection(protocols))

    def key(self, sha256: str) -> str:
        return f"{self.root}/{sha256[:2]}/{sha256}"

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = self.key(digest)
        if self.atomic_put:
            # One request, no existence check first: the object appears whole or not at all, and
            # the same name only ever holds the same bytes, so writing it again changes nothing.
            self.fs.pipe_file(key, data)
            return digest
        if self.fs.exists(key):
            return digest
        parent = key.rsplit("/", 1)[0]
        incoming = f"{parent}/.incoming-{uuid.uuid4().hex}"
        try:
            self._write_new(incoming, data)
            self.fs.mv(incoming, key)
        except BaseException:
            with contextlib.suppress(OSError):
                self.fs.rm_file(incoming)
            raise
        return digest

    def _write_new(self, path: str, data: bytes) -> None:
        try:
            self.fs.pipe_file(path, data)
        except FileNotFoundError:  # the first file of its folder
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            self.fs.pipe_file(path, data)


def document_store() -> DocumentStore:
    """The store the settings name: ``PERMITS_DOCUMENT_STORE``, else the data folder's own."""
    settings = get_settings()
    if settings.document_store is None:
        return _local_store(str(settings.documents_dir))
    options = json.dumps(settings.document_store_options, sort_keys=True)
    return _fsspec_store(settings.document_store, options)


@lru_cache(maxsize=8)
def _local_store(folder: str) -> DocumentStore:
    from fsspec.implementations.local import LocalFileSystem

    return DocumentStore(LocalFileSystem(), folder, folder)


@lru_cache(maxsize=8)
def _fsspec_store(url: str, options: str) -> DocumentStore:
    from fsspec.core import url_to_fs

    try:
        fs, root = url_to_fs(url, **json.loads(options))
    except (ImportError, ValueError) as exc:
        raise StorageUnavailable("misconfigured", url, detail=str(exc)) from exc
    return DocumentStore(fs, root.rstrip("/"), url)


def _problem(exc: BaseException) -> str | None:
    """What went wrong with the store, as one of ``StorageUnavailable.PROBLEMS``; None: a bug."""
    for kind in type(exc).__mro__:
        if kind.__name__ in _PROBLEMS_BY_NAME:
            return _PROBLEMS_BY_NAME[kind.__name__]
    if isinstance(exc, OSError) and exc.errno in _STORAGE_PROBLEMS:
        return _STORAGE_PROBLEMS[exc.errno]
    if isinstance(exc, PermissionError):
        return "read_only"  # an object store's AccessDenied, which carries no errno
    if isinstance(exc, ConnectionError | TimeoutError):
        return "unreachable"
    return None


def store_bytes(data: bytes) -> str:
    """Store the bytes (once) and return their SHA-256; a full, read-only, unreachable or
    misconfigured store raises ``StorageUnavailable`` (nothing half-written is left behind)."""
    store = document_store()
    try:
        return store.put(data)
    except Exception as exc:
        problem = _problem(exc)
        if problem is None and isinstance(exc, FileNotFoundError) and store.atomic_put:
            problem = "unreachable"  # the bucket does not exist
        if problem is None:
            raise
        raise StorageUnavailable(problem, store.where) from exc


def read_document(sha256: str) -> bytes:
    """The stored bytes; ``FileNotFoundError`` when the store lost them, ``StorageUnavailable``
    when it cannot be reached or refuses this machine."""
    store = document_store()
    try:
        return bytes(store.fs.cat_file(store.key(sha256)))
    except FileNotFoundError:
        raise
    except Exception as exc:
        problem = _problem(exc)
        if problem is None:
            raise
        raise StorageUnavailable(problem, store.where, reading=True) from exc


def store_problem() -> str | None:
    """None when the store can take files now, else what is wrong and what to do (for ``/healthz``
    and an operator): the local folder (or the nearest one that exists) writable by this user, a
    remote store's bucket answering."""
    try:
        store = document_store()
    except StorageUnavailable as exc:
        return exc.what
    try:
        if store.atomic_put:
            if not store.fs.exists(store.root.split("/", 1)[0]):
                return StorageUnavailable("unreachable", store.where).what
            return None
        folder = Path(store.root)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            return StorageUnavailable("read_only", store.where).what
    except Exception as exc:
        problem = _problem(exc)
        if problem is None:
            raise
        return StorageUnavailable(problem, store.where).what
    return None


def document_exists(sha256: str) -> bool:
    store = document_store()
    return bool(store.fs.exists(store.key(sha256)))


def remove_document(sha256: str) -> None:
    """Remove the bytes (retention, once no live case holds them); already gone is fine."""
    store = document_store()
    with contextlib.suppress(FileNotFoundError):
        store.fs.rm_file(store.key(sha256))


def document_path(sha256: str, root: Path | None = None) -> Path:
    """Where the data folder's own store keeps these bytes (meaningful for the local store only;
    everything else goes through :func:`read_document`)."""
    root = root or get_settings().documents_dir
    return root / sha256[:2] / sha256


def stored_path(sha256: str) -> str:
    """What a row records for these bytes: their path relative to the data folder."""
    return f"{STORE_FOLDER}/{sha256[:2]}/{sha256}"


def resolve_stored_path(stored: str) -> Path:
    """The file a row's relative path names, refused when the path leads out of the data folder."""
    root = get_settings().resolved_data_dir
    path = (root / stored).resolve()
    if Path(stored).is_absolute() or not path.is_relative_to(root):
        raise StoredPathOutsideDataFolder(stored, root)
    return path


def read_stored(stored: str) -> bytes:
    """The bytes a row's relative path names, from whichever store holds them."""
    path = resolve_stored_path(stored)
    found = _STORED.match(stored)
    return read_document(found["sha"]) if found else path.read_bytes()


def stored_location(stored: str) -> str:
    """Where a person finds the file a row names: a local path, or the store's URL for it."""
    found = _STORED.match(stored)
    if found is None or get_settings().document_store is None:
        return str(resolve_stored_path(stored))
    store = document_store()
    return str(store.fs.unstrip_protocol(store.key(found["sha"])))
