"""the scanner drop box's ledger of applications received, by content

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 16:30:00.000000

``dropboxreceipt`` holds one row per application the drop box turned into a case, keyed by the
SHA-256 of its content (unique), so the same file dropped twice is not processed twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dropboxreceipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("permit_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("dropped_as", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dropboxreceipt_sha256", "dropboxreceipt", ["sha256"], unique=True)
    op.create_index("ix_dropboxreceipt_case_id", "dropboxreceipt", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_dropboxreceipt_case_id", table_name="dropboxreceipt")
    op.drop_index("ix_dropboxreceipt_sha256", table_name="dropboxreceipt")
    op.drop_table("dropboxreceipt")
