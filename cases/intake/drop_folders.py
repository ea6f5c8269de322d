"""The scanner drop box's folders, and which of what lies in them is complete enough to read.

``<drop>/<permit-type>/incoming/`` receives scans; each entry in it is one application:

- a **file** (a multi-page PDF, or a single scan) is complete once it has not changed for
  ``dropbox_settle_s``: a scanner or a copy still writing it keeps touching it, so a half-copied
  file is never read;
- a **sub-folder** of files is complete when it holds a marker file named ``READY`` (any case,
  any extension: ``READY``, ``ready.txt``), or when nothing in it has changed for
  ``dropbox_folder_settle_s``; either way every file in it must have settled too. The marker is
  the sure way (a scanner pausing between two documents does not split an application); the
  settle time catches a folder copied in whole by someone who does not know about it.

Names a copy or an editor uses while writing (``.part``, ``.tmp``, ``.crdownload``, ``~$name``)
are never read, and a sub-folder holding one waits, so a copy that renames its file once done is
read only under its final name. Hidden files and what Windows Explorer leaves (``Thumbs.db``,
``desktop.ini``) are no documents: ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "INCOMING",
    "PROCESSED",
    "REJECTED",
    "DropItem",
    "Survey",
    "ensure_drop_folders",
    "is_marker",
    "survey_drop_box",
]

INCOMING, PROCESSED, REJECTED = "incoming", "processed", "rejected"
_TEMPORARY_SUFFIXES = {".part", ".partial", ".tmp", ".crdownload", ".filepart", ".download"}
_SYSTEM_FILES = {"thumbs.db", "desktop.ini"}  # what Windows Explorer leaves in a folder it shows


def is_marker(path: Path) -> bool:
    """The file that says a sub-folder is complete: ``READY``, in any case, any extension."""
    return path.stem.upper() == "READY" or path.name.upper() == "READY"


def _in_progress(path: Path) -> bool:
    """A name a copy or an editor writes under until it is done."""
    return path.name.startswith("~") or path.suffix.lower() in _TEMPORARY_SUFFIXES


def _is_temporary(path: Path) -> bool:
    """Being written, hidden, or no document at all: never read, never moved on its own."""
    return _in_progress(path) or path.name.startswith(".") or path.name.lower() in _SYSTEM_FILES


@dataclass(frozen=True)
class DropItem:
    """One complete application in ``incoming/``: a file, or a sub-folder of files."""

    permit_type: str
    path: Path
    files: tuple[Path, ...]  # the documents, by name (the marker left out)
    is_folder: bool  # as found: once moved, its path no longer says

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Survey:
    """What the drop box holds: applications ready to read, entries still being written, and
    folders that name no permit type of the catalogue."""

    ready: list[DropItem] = field(default_factory=list)
    settling: list[Path] = field(default_factory=list)
    unknown_permit_types: list[str] = field(default_factory=list)


def ensure_drop_folders(root: Path, permit_types: Collection[str]) -> None:
    """Create ``incoming/``, ``processed/`` and ``rejected/`` for every permit type."""
    for permit_type in permit_types:
        for name in (INCOMING, PROCESSED, REJECTED):
            (root / permit_type / name).mkdir(parents=True, exist_ok=True)


def _age_s(path: Path, now: dt.datetime) -> float:
    return now.timestamp() - path.stat().st_mtime


def _folder_entry(
    permit_type: str, folder: Path, now: dt.datetime, settle_s: float, folder_settle_s: float
) -> DropItem | None:
    """The sub-folder as an application once complete, else None (still being filled)."""
    everything = [p for p in sorted(folder.rglob("*")) if p.is_file() and not _is_temporary(p)]
    if any(_in_progress(p) for p in folder.rglob("*") if p.is_file()):
        return None  # a copy is still writing into it
    documents = tuple(p for p in everything if not is_marker(p))
    if any(_age_s(p, now) < settle_s for p in everything):
        return None
    marked = any(is_marker(p) for p in everything)
    newest = min([_age_s(folder, now), *(_age_s(p, now) for p in everything)])
    if not marked and newest < folder_settle_s:
        return None
    return DropItem(permit_type, folder, documents, is_folder=True)


def survey_drop_box(
    root: Path,
    permit_types: Collection[str],
    *,
    now: dt.datetime,
    settle_s: float,
    folder_settle_s: float,
) -> Survey:
    """Look once through every permit type's ``incoming/`` (names in order)."""
    survey = Survey()
    if not root.is_dir():
        return survey
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not _is_temporary(p)):
        if folder.name not in permit_types:
            survey.unknown_permit_types.append(folder.name)
            continue
        incoming = folder / INCOMING
        if not incoming.is_dir():
            continue
        for entry in sorted(incoming.iterdir()):
            if _is_temporary(entry):
                continue
            if entry.is_dir():
                item = _folder_entry(folder.name, entry, now, settle_s, folder_settle_s)
            elif entry.is_file() and _age_s(entry, now) >= settle_s:
                item = DropItem(folder.name, entry, (entry,), is_folder=False)
            else:
                item = None
            if item is None:
                survey.settling.append(entry)
            else:
                survey.ready.append(item)
    return survey
