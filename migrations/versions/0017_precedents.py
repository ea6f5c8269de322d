"""precedents: each decided case's summary embedding, outcome and key values

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 00:10:00.000000

``precedent`` holds one row per decided case (its summary's sentence embedding as float32 bytes,
with the model's name and weights hash), so a review can find the most similar decided cases and
the usual range of a value. Cases decided before this revision get theirs from
``permits review embed-precedents``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "precedent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("permit_type", _STR(length=64), nullable=False),
        sa.Column("outcome", _STR(length=32), nullable=False),
        sa.Column("model_name", _STR(length=200), nullable=False),
        sa.Column("weights_hash", _STR(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("key_values", sa.JSON(), nullable=False),
        sa.Column("summary", _STR(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index("ix_precedent_permit_type_id", "precedent", ["permit_type", "id"])


def downgrade() -> None:
    op.drop_index("ix_precedent_permit_type_id", table_name="precedent")
    op.drop_table("precedent")
