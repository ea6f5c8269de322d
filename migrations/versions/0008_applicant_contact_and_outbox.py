"""applicant contact details and language; the outbox of messages to applicants

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 16:30:00.000000

An applicant now has an e-mail address and a preferred language (English for every existing
applicant: letters so far were English only). ``outboxmessage`` holds messages written in the
same transaction as the event that causes them, for a sender to deliver.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("applicant") as batch:
        batch.add_column(
            sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "preferred_language",
                sa.String(length=8),
                nullable=False,
                server_default="en",
            )
        )
    op.create_table(
        "outboxmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("letter_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outboxmessage_case_id", "outboxmessage", ["case_id"])
    op.create_index(
        "ix_outboxmessage_status_next_attempt_at", "outboxmessage", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_outboxmessage_status_next_attempt_at", table_name="outboxmessage")
    op.drop_index("ix_outboxmessage_case_id", table_name="outboxmessage")
    op.drop_table("outboxmessage")
    with op.batch_alter_table("applicant") as batch:
        batch.drop_column("preferred_language")
        batch.drop_column("email")
