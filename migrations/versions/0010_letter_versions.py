"""letter versions: a reissued letter keeps the old one, superseded, beside the new

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:00:00.000000

A case had at most one letter per (outcome, language), so once a letter existed no other could
be issued: not a second language, not a corrected letter. Letters now have a version; a reissue
marks the old one superseded (when, by which letter) and records who reissued it and why. Every
existing letter becomes version 1, issued by the letter stage, current.

Downgrading removes the rows of superseded versions (the old shape holds one letter per outcome
and language); their files stay in the content store and the audit trail names them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_COLUMNS = ["case_id", "outcome", "language"]
_NEW_UNIQUE = "uq_letter_case_outcome_language_version"
_SUPERSEDED_FK = "fk_letter_superseded_by_letter"
# SQLite keeps the old constraint unnamed; batch mode finds it by this convention's name.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _old_unique_name() -> str:
    for unique in sa.inspect(op.get_bind()).get_unique_constraints("letter"):
        if unique["column_names"] == _OLD_COLUMNS and unique["name"]:
            return str(unique["name"])
    return "uq_letter_case_id_outcome_language"


def upgrade() -> None:
    old_unique = _old_unique_name()
    with op.batch_alter_table("letter", naming_convention=_CONVENTION) as batch:
        batch.drop_constraint(old_unique, type_="unique")
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column(
                "issued_by",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="system:letters",
            )
        )
        batch.add_column(
            sa.Column("reissue_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch.add_column(
            sa.Column("superseded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(_SUPERSEDED_FK, "letter", ["superseded_by"], ["id"])
        batch.create_unique_constraint(_NEW_UNIQUE, [*_OLD_COLUMNS, "version"])


def downgrade() -> None:
    op.execute("UPDATE letter SET superseded_by = NULL")
    op.execute("DELETE FROM letter WHERE superseded_at IS NOT NULL")
    with op.batch_alter_table("letter", naming_convention=_CONVENTION) as batch:
        batch.drop_constraint(_NEW_UNIQUE, type_="unique")
        batch.drop_constraint(_SUPERSEDED_FK, type_="foreignkey")
        batch.drop_column("superseded_by")
        batch.drop_column("superseded_at")
        batch.drop_column("reissue_reason")
        batch.drop_column("issued_by")
        batch.drop_column("version")
        batch.create_unique_constraint("uq_letter_case_id_outcome_language", _OLD_COLUMNS)
