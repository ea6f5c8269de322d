"""Domain exceptions, mapped once to HTTP responses (web) and CLI messages (cli).

Each carries a message written for the person who has to act on it: what is wrong, where, and what
to do next. Nothing here is allowed to leak a traceback to a caseworker or an applicant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PermitsError(Exception):
    """Base of every error the product reports to a person."""

    http_status = 400


@dataclass(frozen=True)
class CatalogueProblem:
    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.field}: {self.message}"


@dataclass
class CatalogueError(PermitsError):
    """A catalogue file (rules, form, template) is invalid; lists every problem found."""

    problems: list[CatalogueProblem] = field(default_factory=list)
    http_status = 422

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class InvalidDocument(PermitsError):
    """An uploaded file cannot be accepted (empty, not an image or PDF, too large, corrupt)."""

    http_status = 422

    def __init__(self, filename: str, reason: str, fact: dict[str, Any] | None = None) -> None:
        self.filename = filename
        self.reason = reason
        # the reason as a code and its values (``cases.intake.DOCUMENT_PROBLEMS``), so a page can
        # say it in the reader's language
        self.fact = fact
        super().__init__(f"{filename}: {reason}")


class InvalidInput(PermitsError):
    """What a person submitted cannot be used (a field that does not validate, a refusal without
    a reason); the message says which value and why. When it rests on values (which fields, what
    was typed) the ``fact`` (``cases.facts``) lets a page say it in the reader's language."""

    http_status = 422

    def __init__(self, message: str, fact: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.fact = fact


class TransitionNotAllowed(PermitsError):
    http_status = 409


class NotFound(PermitsError):
    http_status = 404


class PermissionDenied(PermitsError):
    http_status = 403


class AlreadyDecided(PermitsError):
    """A task was completed already (double click, second tab): the first decision stands."""

    http_status = 409


class DatabaseNotMigrated(PermitsError):
    http_status = 503


class StoredPathOutsideDataFolder(PermitsError):
    """A row names a stored file by a path that leads out of the data folder (``..``, an absolute
    path, a link pointing elsewhere): the product never writes one, so the row was edited or
    predates ``permits db upgrade``; the file is not served."""

    http_status = 500

    def __init__(self, stored: str, data_dir: Path) -> None:
        self.stored = stored
        self.data_dir = data_dir
        super().__init__(
            f"the stored path {stored!r} leads outside the data folder {data_dir}; files are only "
            "served from inside it. Run `permits db upgrade` if this database predates relative "
            "paths, otherwise ask an administrator to check the row."
        )


class UnknownStoredValue(PermitsError):
    """A column that holds one of the product's words (``cases.vocabulary``) holds another: the
    row was edited by hand or written by another version. Reading it as text would let the word
    slip past every comparison, so the read stops and says which word and where."""

    http_status = 500

    def __init__(self, column: str, value: object, allowed: list[str]) -> None:
        self.column = column
        self.value = value
        super().__init__(
            f"the database holds {value!r} as a {column}, which is not one of "
            f"{', '.join(allowed)}; ask an administrator to check the row (edited by hand, or "
            "written by another version of the application?)"
        )


class ModelFileRejected(PermitsError):
    """A model's weights are not loaded: missing, without their card, or not the file the card
    describes. Reading forms with weights nobody measured would go unnoticed; this does not."""

    http_status = 503

    def __init__(self, weights: Path, problem: str, retrain: str) -> None:
        self.weights = weights
        super().__init__(
            f"the model file {weights} {problem}. Restore it and its card from the release "
            f"(reinstall the application), or train both again with `{retrain}`."
        )


class AuditKeyMismatch(PermitsError):
    """The audit key at hand is not the one the chain was written with: writing on would mix
    two keys in one chain, and verifying would call every event altered."""

    http_status = 503

    def __init__(self, chain_key_id: str, key_id: str) -> None:
        super().__init__(
            f"the audit trail is keyed with the key whose id is {chain_key_id}, but the key in "
            f"use has id {key_id}; restore the data folder's audit-key file from its backup or "
            "set PERMITS_AUDIT_KEY to the key the trail was written with"
        )


class AuditChainBroken(PermitsError):
    """Re-keying refused: the unkeyed chain of an earlier version does not verify, and keying it
    would make a rewritten trail look intact."""

    http_status = 503


class RemovedByRetention(PermitsError):
    """The case's retention period has ended and retention removed what was asked for."""

    http_status = 410

    def __init__(self, reference: str, purged_on: str, what: str) -> None:
        super().__init__(
            f"case {reference}'s retention period has ended: its documents, letters and personal "
            f"data were removed on {purged_on}, so {what}; its decision record is kept on the "
            "case page"
        )


class StorageUnavailable(PermitsError):
    """The document store cannot take (or give back) a file: a disk full, read-only or not ours to
    write, a path too long for its file system, a remote store that does not answer, credentials
    missing or refused, a store URL that names no usable backend. ``problem`` is one of
    ``PROBLEMS``, so a page can say it in the reader's language."""

    http_status = 503
    PROBLEMS = ("full", "read_only", "path_too_long", "unreachable", "credentials", "misconfigured")

    def __init__(
        self, problem: str, folder: Path | str, *, detail: str = "", reading: bool = False
    ) -> None:
        self.problem = problem
        self.folder = folder
        what = {
            "full": f"the disk holding {folder} is full (no space left); free some space",
            "read_only": f"{folder} cannot be written (read-only, or not writable by this user "
            "or these credentials); make it writable for the user running the service",
            "path_too_long": f"the path {folder} is too long for its file system; set "
            "PERMITS_DATA_DIR to a shorter folder",
            "unreachable": f"the document store {folder} cannot be reached (its service is down, "
            "its address is wrong or its bucket does not exist); check PERMITS_DOCUMENT_STORE "
            "and the network",
            "credentials": f"the document store {folder} has no credentials for this machine; set "
            "them in PERMITS_DOCUMENT_STORE_OPTIONS or the backend's own environment (e.g. "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
            "misconfigured": f"PERMITS_DOCUMENT_STORE={folder} cannot be used ({detail}); install "
            "its backend (e.g. pip install s3fs) or correct the URL",
        }[problem]
        self.what = what  # the problem and its cure, without the outcome (for a health check)
        outcome = "Nothing was read." if reading else "Nothing was saved."
        super().__init__(f"{what}, then try again. {outcome}")
