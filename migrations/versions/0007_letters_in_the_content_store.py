"""letters in the content store: paths relative to the data folder, and the HTML's sha256

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 08:30:00.000000

Letters were written to ``<data>/letters/<reference>/<outcome>.<lang>.{html,pdf}`` and their rows
held those absolute paths, so a data folder moved or restored elsewhere broke every letter. They
now live in the content-addressed store beside the uploads (``cases.documents``, used here so the
files land exactly where the product reads them), and a row holds each file's path relative to
the data folder and its sha256 (``html_sha256`` is new).

Each letter's files are COPIED into the store: should the upgrade's transaction fail, the old rows
still name files that exist. Once it has committed, ``<data>/letters/`` is no longer read and may
be deleted. A file is looked for where its row said, then under today's data folder (the folder
was moved). A file found nowhere keeps its recorded sha256 (the HTML had none) and is named where
today's data folder would hold it, ``letters/<reference>/<name>``, so putting the old folder back
makes it downloadable again.
"""

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from cases.documents import store_bytes, stored_path
from cases.settings import get_settings

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_log = logging.getLogger("alembic.runtime.migration")
_LETTERS = sa.text(
    'SELECT l.id, l.html_path, l.pdf_path, l.pdf_sha256, c.reference '
    'FROM letter l JOIN "case" c ON c.id = l.case_id'
)


def _old_file(recorded: str, reference: str, data_dir: Path) -> Path | None:
    """Where an old letter file is now: where its row said, else under today's data folder."""
    for candidate in (data_dir / recorded, data_dir / "letters" / reference / Path(recorded).name):
        if candidate.is_file():
            return candidate
    return None


def _into_store(recorded: str, reference: str, data_dir: Path) -> tuple[str, str | None]:
    """The relative path and sha256 of one old letter file, copied into the content store."""
    found = _old_file(recorded, reference, data_dir)
    if found is None:
        _log.warning("letter file %s of %s is missing; its row names where it belongs",
                     recorded, reference)
        return f"letters/{reference}/{Path(recorded).name}", None
    digest = store_bytes(found.read_bytes())
    return stored_path(digest), digest


def _convert(row: Any, data_dir: Path) -> dict[str, Any]:
    html_path, html_sha256 = _into_store(row["html_path"], row["reference"], data_dir)
    pdf_path, pdf_sha256 = _into_store(row["pdf_path"], row["reference"], data_dir)
    if pdf_sha256 is not None and pdf_sha256 != row["pdf_sha256"]:
        _log.warning("letter %s of %s: its PDF's sha256 is not the one recorded when it was "
                     "issued (the audit trail's letter.issued keeps that one)",
                     row["id"], row["reference"])
    return {
        "id": row["id"],
        "html_path": html_path,
        "html_sha256": html_sha256,
        "pdf_path": pdf_path,
        "pdf_sha256": pdf_sha256 or row["pdf_sha256"],
    }


def upgrade() -> None:
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html_sha256', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
    bind = op.get_bind()
    data_dir = get_settings().resolved_data_dir
    for row in bind.execute(_LETTERS).mappings().all():
        bind.execute(
            sa.text('UPDATE letter SET html_path = :html_path, html_sha256 = :html_sha256, '
                    'pdf_path = :pdf_path, pdf_sha256 = :pdf_sha256 WHERE id = :id'),
            _convert(row, data_dir),
        )


def _copied_out(stored: str, reference: str, name: str, data_dir: Path) -> str:
    """A letter file copied back to where the old code kept it; its absolute path."""
    target = data_dir / "letters" / reference / name
    source = data_dir / stored
    if source.is_file() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return str(target)


def downgrade() -> None:
    """Back to absolute paths under ``<data>/letters/`` (the store keeps its copies)."""
    bind = op.get_bind()
    data_dir = get_settings().resolved_data_dir
    rows = bind.execute(sa.text(
        'SELECT l.id, l.outcome, l.language, l.html_path, l.pdf_path, c.reference '
        'FROM letter l JOIN "case" c ON c.id = l.case_id'
    )).mappings().all()
    for row in rows:
        name = f"{row['outcome']}.{row['language']}"
        bind.execute(
            sa.text('UPDATE letter SET html_path = :html, pdf_path = :pdf WHERE id = :id'),
            {
                "id": row["id"],
                "html": _copied_out(row["html_path"], row["reference"], f"{name}.html", data_dir),
                "pdf": _copied_out(row["pdf_path"], row["reference"], f"{name}.pdf", data_dir),
            },
        )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('html_sha256')
