"""The admin box editor's side in the domain: a layout drawn in the browser becomes ``form.yaml``.

A flat form (no AcroForm widgets to import) or a scanned blank has its boxes drawn once by an
admin. The editor posts the whole layout; :func:`save_form_layout` checks it with the same box
checks as ``permits catalogue check`` (:func:`layout_problems`) and writes nothing unless every
box can be read: the new file is written beside the old one and moved over it in one step, so a
reader never meets half a file. Each save is an audit event carrying the new file's sha256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlmodel import Session

from cases.audit import append_event
from cases.authoring.form_check import BOX_INVALID, BoxProblem, layout_problems
from cases.catalogue import FormField, FormLayout, PermitType, dump_form_layout, load_catalogue
from cases.errors import PermitsError

__all__ = [
    "FORM_SAVED",
    "LayoutRejected",
    "SavedForm",
    "form_yaml_header",
    "parse_boxes",
    "save_form_layout",
    "write_atomically",
]

FORM_SAVED = "catalogue.form_saved"
_EDITOR_NOTE = re.compile(r"^(Boxes saved|Blank .* uploaded) in the admin box editor")


class LayoutRejected(PermitsError):
    """The posted layout has boxes OCR could not read as meant; nothing was written."""

    http_status = 422

    def __init__(self, problems: Sequence[BoxProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.english() for p in self.problems))


class LayoutChanged(PermitsError):
    """Someone saved ``form.yaml`` after this editor loaded it; saving would undo their boxes."""

    http_status = 409

    def __init__(self, loaded: str, current: str) -> None:
        self.loaded = loaded
        self.current = current
        super().__init__(
            f"form.yaml changed since the editor loaded it (sha256 {loaded[:12]} then, "
            f"{current[:12]} now): reload the page to see the other save"
        )


def layout_file_sha256(permit_type: PermitType) -> str:
    """The sha256 of ``form.yaml`` as it is on disk now ("" when the type has none yet)."""
    path = permit_type.folder / "form.yaml"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


@dataclass(frozen=True)
class SavedForm:
    sha256: str  # of the form.yaml written
    boxes: int
    warnings: list[BoxProblem]  # what the admin still has to do (required fields not placed)


def _box(index: int, raw: Any) -> FormField | BoxProblem:
    """One posted box as a form field: what the editor changes, with what it does not show
    (label, allowlist, lines) carried through unchanged."""
    if not isinstance(raw, dict):
        return BoxProblem(index, "", BOX_INVALID(box=index, detail="not a box"))
    data = {k: v for k, v in raw.items() if k == "field" or (v is not None and v != "")}
    if data.get("kind") != "comb":
        data.pop("cells", None)
    if data.get("kind") != "multiline":
        data.pop("lines", None)
    try:
        return FormField.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors()
        )
        return BoxProblem(index, str(raw.get("field") or ""), BOX_INVALID(box=index, detail=detail))


def parse_boxes(raw_boxes: Any) -> tuple[list[FormField], list[BoxProblem]]:
    """The posted list of boxes as form fields, and the boxes that are not boxes at all."""
    if not isinstance(raw_boxes, list):
        return [], [BoxProblem(None, "", BOX_INVALID(box="", detail="send a list of boxes"))]
    parsed = [_box(i, raw) for i, raw in enumerate(raw_boxes)]
    fields = [p for p in parsed if isinstance(p, FormField)]
    invalid = [p for p in parsed if isinstance(p, BoxProblem)]
    return fields, invalid


def form_yaml_header(path: Path, note: str) -> list[str]:
    """The comment lines at the top of ``path`` (without their ``# ``), an older editor note
    replaced by ``note``: a saved file keeps the header its author wrote."""
    header: list[str] = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            text = line[1:].removeprefix(" ")
            if not _EDITOR_NOTE.match(text):
                header.append(text)
    return [*header, note]


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path`` and move it over ``path``: all of it or none of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _renumbered(problems: list[BoxProblem], kept: list[int]) -> list[BoxProblem]:
    """Problems found among the valid boxes, numbered as the admin posted the boxes."""

    def posted(number: Any) -> Any:
        return kept[number] if isinstance(number, int) else number

    return [
        BoxProblem(
            posted(p.box),
            p.field,
            {k: posted(v) if k in ("box", "other_box") else v for k, v in p.fact.items()},
            p.blocking,
        )
        for p in problems
    ]


def save_form_layout(
    session: Session,
    permit_type: PermitType,
    raw_boxes: Any,
    *,
    actor: str,
    based_on: str | None = None,
) -> SavedForm:
    """Check the posted boxes and, if OCR can read every one, write them as ``form.yaml``.

    Raises :class:`LayoutRejected` listing every problem (by box and field) and writes nothing
    otherwise. ``based_on`` is the sha256 of the file the editor loaded: if another save came
    in between, :class:`LayoutChanged` is raised and nothing is written (two admins in the same
    form never silently undo each other). The caller's transaction holds the audit event; the
    file is replaced last.
    """
    if based_on is not None:
        current = layout_file_sha256(permit_type)
        if current != based_on:
            raise LayoutChanged(based_on, current)
    fields, invalid = parse_boxes(raw_boxes)
    posted = len(raw_boxes) if isinstance(raw_boxes, list) else 0
    kept = [i for i in range(posted) if i not in {p.box for p in invalid}]
    form = permit_type.form
    layout = form.model_copy(update={"fields": fields})
    problems = invalid + _renumbered(layout_problems(layout, permit_type.permit), kept)
    blocking = [p for p in problems if p.blocking]
    if blocking:
        raise LayoutRejected(sorted(blocking, key=lambda p: (p.box is None, p.box or 0)))
    path = permit_type.folder / "form.yaml"
    note = f"Boxes saved in the admin box editor on {dt.date.today().isoformat()}."
    text = dump_form_layout(layout, header=form_yaml_header(path, note))
    FormLayout.model_validate(yaml.safe_load(text))  # what is written loads back
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    append_event(
        session,
        actor=actor,
        action=FORM_SAVED,
        payload={
            "permit_type": permit_type.id,
            "file": "form.yaml",
            "sha256": digest,
            "boxes": len(fields),
            "replaced_sha256": layout_file_sha256(permit_type),
        },
    )
    write_atomically(path, data)
    load_catalogue.cache_clear()  # type: ignore[attr-defined]  # set by loading.py
    return SavedForm(digest, len(fields), [p for p in problems if not p.blocking])
