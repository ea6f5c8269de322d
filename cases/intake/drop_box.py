"""The scanner drop box: each complete application dropped into ``<drop>/<permit-type>/incoming/``
becomes one case (channel ``drop_box``), or is moved aside with a reason a clerk can act on.

- Made a case: the files move to ``processed/`` under a name that begins with the case
  reference, and the case flow is started (``start_flow``, given by the caller: the core knows
  nothing of Prefect). A flow that cannot be started now is started later by the resume flow.
- Refused (a file that is no scan, damaged, too big; a PDF with no page of the form; an empty
  folder): nothing is created; the entry moves to ``rejected/`` with ``<name>.reason.txt`` beside
  it, and a ``dropbox.rejected`` audit event keeps the reason as a fact.
- Dropped before: the ledger (``DropBoxReceipt``, one row per application by the SHA-256 of its
  content, written in the case's own transaction) recognises it; it is not processed again, moves
  to ``rejected/`` with a reason naming the case, and the case's audit trail records the repeat.

Anything else that goes wrong (the database is down, the catalogue is broken) leaves the entry
where it is, to be tried again, and is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cases.audit import append_event
from cases.catalogue import PermitType, get_permit_type, glossary_for, load_catalogue
from cases.db import session_scope
from cases.errors import InvalidDocument
from cases.facts import LEGACY_TEXT, Fact, Glossary, render
from cases.intake.drop_documents import NoFormPage, application_uploads, folder_kinds
from cases.intake.drop_folders import (
    INCOMING,
    PROCESSED,
    REJECTED,
    DropItem,
    ensure_drop_folders,
    survey_drop_box,
)
from cases.intake.drop_reasons import (
    DROP_DUPLICATE,
    DROP_EMPTY_FOLDER,
    DROP_FILE_REFUSED,
    DROP_NO_FORM_PAGE,
)
from cases.intake.inspection import Upload, inspect_upload
from cases.intake.submission import submit
from cases.models import Case, DropBoxReceipt, utcnow
from cases.settings import get_settings

__all__ = [
    "ACTOR",
    "CHANNEL",
    "DropResult",
    "ReasonLanguage",
    "ScanReport",
    "StartFlow",
    "drop_box_root",
    "process_drop",
    "scan_drop_box",
]

ACTOR = "dropbox"
CHANNEL = "drop_box"
StartFlow = Callable[[int], object]
#: How one more language names a permit type's things (its glossary), for the reason notes.
ReasonLanguage = Callable[[str], Glossary]
log = logging.getLogger("permits.dropbox")


@dataclass(frozen=True)
class DropResult:
    """What became of one dropped application."""

    item: str  # <permit-type>/<name>
    outcome: str  # processed, rejected, duplicate, failed (stays to be tried again), taken
    moved_to: Path | None = None
    reference: str | None = None
    case_id: int | None = None
    reason: Fact | None = None


@dataclass
class ScanReport:
    results: list[DropResult] = field(default_factory=list)
    settling: list[Path] = field(default_factory=list)
    unknown_permit_types: list[str] = field(default_factory=list)


def drop_box_root() -> Path:
    """The drop box's folder, with every permit type's three folders created."""
    root = get_settings().resolved_dropbox_dir
    ensure_drop_folders(root, list(load_catalogue()))
    return root


def scan_drop_box(
    *,
    start_flow: StartFlow | None,
    now: dt.datetime | None = None,
    skip: Callable[[DropItem], bool] | None = None,
    languages: Sequence[ReasonLanguage] = (),
) -> ScanReport:
    """Process every complete application in the drop box once (what is still being written
    is left for a later look). ``skip`` leaves out entries the caller already failed on;
    a reason note says it in English, then in each of ``languages``."""
    settings = get_settings()
    root = drop_box_root()
    survey = survey_drop_box(
        root,
        list(load_catalogue()),
        now=now or utcnow(),
        settle_s=settings.dropbox_settle_s,
        folder_settle_s=settings.dropbox_folder_settle_s,
    )
    report = ScanReport(settling=survey.settling, unknown_permit_types=survey.unknown_permit_types)
    for item in survey.ready:
        if skip is None or not skip(item):
            report.results.append(process_drop(item, start_flow=start_flow, languages=languages))
    return report


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content_key(item: DropItem, digests: Sequence[str]) -> str:
    """A file's SHA-256; a folder's is that of its files' digests, sorted."""
    if not item.is_folder:
        return digests[0]
    return _digest("\n".join(sorted(digests)).encode())


def process_drop(
    item: DropItem, *, start_flow: StartFlow | None, languages: Sequence[ReasonLanguage] = ()
) -> DropResult:
    """Make one complete application a case, or set it aside with its reason."""
    label = f"{item.permit_type}/{item.name}"
    try:
        if not item.files:
            return _reject(item, DROP_EMPTY_FOLDER(item=item.name), None, languages)
        contents = [(path, path.read_bytes()) for path in item.files]
        key = _content_key(item, [_digest(data) for _, data in contents])
        duplicate = _duplicate_of(item, key, languages)
        if duplicate is not None:
            return duplicate
        return _submit(item, contents, key, start_flow, languages)
    except Exception:
        if not item.path.exists():  # another watcher on the same folder took it meanwhile
            log.info("drop box: %s was taken by another process", label)
            return DropResult(label, "taken")
        log.exception("drop box: %s could not be processed; it stays in incoming/", label)
        return DropResult(label, "failed")


def _submit(
    item: DropItem,
    contents: Sequence[tuple[Path, bytes]],
    key: str,
    start_flow: StartFlow | None,
    languages: Sequence[ReasonLanguage],
) -> DropResult:
    permit_type = get_permit_type(item.permit_type)
    try:
        uploads = _uploads(item, permit_type, contents)
        submission = submit(
            uploads,
            permit_type_id=permit_type.id,
            actor=ACTOR,
            channel=CHANNEL,
            record=lambda session, case: _record(session, case, item, key, uploads),
        )
    except InvalidDocument as exc:
        refusal = exc.fact or LEGACY_TEXT(text=exc.reason)
        fact = DROP_FILE_REFUSED(file=exc.filename, reason=refusal)
        return _reject(item, fact, key, languages)
    except NoFormPage as exc:
        fact = DROP_NO_FORM_PAGE(
            pages=exc.pages, item=item.name, form=permit_type.permit.required_documents[0].kind
        )
        return _reject(item, fact, key, languages)
    except IntegrityError:
        # Another watcher on the same folder received it at the same moment and moves it.
        log.info("drop box: %s/%s was just received by another process", *_names(item))
        return DropResult(f"{item.permit_type}/{item.name}", "duplicate")
    case = submission.case
    assert case.id is not None
    moved = _move(item, PROCESSED, f"{case.reference}_{item.name}")
    log.info(
        "drop box: %s/%s became case %s (%d document(s)); moved to %s",
        *_names(item),
        case.reference,
        len(uploads),
        moved,
    )
    _start(start_flow, case)
    return DropResult(
        f"{item.permit_type}/{item.name}", "processed", moved, case.reference, case.id
    )


def _names(item: DropItem) -> tuple[str, str]:
    return item.permit_type, item.name


def _uploads(
    item: DropItem, permit_type: PermitType, contents: Sequence[tuple[Path, bytes]]
) -> list[Upload]:
    """The files with their kinds; a single PDF is inspected (a bad one named) before it is taken
    apart by page. A folder's files are inspected once, by ``submit``, before anything is stored."""
    base = item.path if item.is_folder else item.path.parent
    uploads = [Upload(str(path.relative_to(base)), data) for path, data in contents]
    if not item.is_folder:
        inspect_upload(uploads[0])
        return application_uploads(uploads[0], permit_type)
    kinds = folder_kinds(permit_type, [u.filename for u in uploads])
    return [Upload(u.filename, u.data, kind) for u, kind in zip(uploads, kinds, strict=True)]


def _record(
    session: Session, case: Case, item: DropItem, key: str, uploads: Sequence[Upload]
) -> None:
    """The receipt and its audit event, in the case's own transaction."""
    documents: list[dict[str, Any]] = [
        {"name": u.filename, "sha256": _digest(u.data), "kind": u.kind} for u in uploads
    ]
    session.add(
        DropBoxReceipt(
            sha256=key,
            permit_type=item.permit_type,
            dropped_as=item.name[:255],
            files=documents,
            case_id=case.id or 0,
        )
    )
    append_event(
        session,
        actor=ACTOR,
        action="dropbox.received",
        case_id=case.id,
        payload={
            "permit_type": item.permit_type,
            "folder": item.is_folder,
            "sha256": key,
            "documents": documents,
        },
        # file names can name the applicant: kept beside the event (retention blanks them)
        personal={
            "dropped_as": item.name,
            "files": [str(p.relative_to(item.path.parent)) for p in item.files],
        },
    )
    session.flush()  # a second receipt of the same content fails here, before the commit


def _duplicate_of(
    item: DropItem, key: str, languages: Sequence[ReasonLanguage]
) -> DropResult | None:
    """Set the entry aside when its content made a case before, and say so on that case."""
    with session_scope() as session:
        receipt = session.exec(select(DropBoxReceipt).where(DropBoxReceipt.sha256 == key)).first()
        if receipt is None:
            return None
        case = session.get(Case, receipt.case_id)
        reference = case.reference if case else str(receipt.case_id)
        fact = DROP_DUPLICATE(
            item=item.name,
            received=receipt.received_at.strftime("%Y-%m-%d %H:%M UTC"),
            reference=reference,
        )
        append_event(
            session,
            actor=ACTOR,
            action="dropbox.duplicate_skipped",
            case_id=receipt.case_id,
            payload={"permit_type": item.permit_type, "sha256": key},
            personal={"dropped_as": item.name},
        )
    moved = _set_aside(item, fact, languages)
    log.info("drop box: %s/%s is a repeat of case %s; skipped", *_names(item), reference)
    return DropResult(
        f"{item.permit_type}/{item.name}", "duplicate", moved, reference, receipt.case_id, fact
    )


def _reject(
    item: DropItem, fact: Fact, key: str | None, languages: Sequence[ReasonLanguage]
) -> DropResult:
    with session_scope() as session:
        append_event(
            session,
            actor=ACTOR,
            action="dropbox.rejected",
            payload={
                "permit_type": item.permit_type,
                "dropped_as": item.name,
                "sha256": key,
                "reason": fact,
            },
        )
    moved = _set_aside(item, fact, languages)
    log.warning("drop box: %s/%s rejected: %s", *_names(item), _said(item, fact))
    return DropResult(f"{item.permit_type}/{item.name}", "rejected", moved, reason=fact)


def _set_aside(item: DropItem, fact: Fact, languages: Sequence[ReasonLanguage]) -> Path:
    """Move the entry to ``rejected/`` and write its reason beside it (English first)."""
    moved = _move(item, REJECTED, item.name)
    note = moved.with_name(f"{moved.name}.reason.txt")
    said = [_said(item, fact), *(render(fact, lang(item.permit_type)) for lang in languages)]
    note.write_text(
        "\n\n".join(said) + "\n\n"
        f"Dropped as: {item.permit_type}/{INCOMING}/{item.name}\n"
        f"Set aside: {utcnow():%Y-%m-%d %H:%M} UTC\n",
        encoding="utf-8",
    )
    return moved


def _said(item: DropItem, fact: Fact) -> str:
    """The fact in English, with the permit's names for its documents."""
    return render(fact, glossary_for(get_permit_type(item.permit_type)))


def _move(item: DropItem, to: str, name: str) -> Path:
    """Move the entry into the permit type's ``to`` folder under ``name`` (numbered if taken)."""
    folder = item.path.parent.parent / to
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    number = 2
    while target.exists() or target.with_name(f"{target.name}.reason.txt").exists():
        stem, suffix = (name, "") if item.is_folder else (Path(name).stem, Path(name).suffix)
        target = folder / f"{stem} ({number}){suffix}"
        number += 1
    shutil.move(str(item.path), target)
    return target


def _start(start_flow: StartFlow | None, case: Case) -> None:
    if start_flow is None or case.id is None:
        return
    try:
        start_flow(case.id)
    except Exception as exc:
        # The case is stored; the resume flow starts any case whose trigger was lost.
        log.warning(
            "drop box: the flow of case %s could not be started now (%s); the resume flow "
            "starts it once the flow service answers",
            case.reference,
            exc,
        )
