"""retention and a keyed audit trail

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-06 00:00:00.000000

- ``case.closed_at``: when a case reached a final status (its retention period runs from then),
  filled for cases already closed from the time their last status change was recorded (else
  their last update); ``case.purged_at``: when retention removed its personal data.
- ``auditchainhead.key_id``: which audit key the chain is HMAC-ed with; None for the unkeyed
  chain of earlier versions, which the application re-keys on its first append with a key (the
  key is never in the database, so this migration cannot).
- ``auditpersonal``: personal values audit events refer to, kept beside them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLOSED = "('letter_issued', 'closed', 'withdrawn')"


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("purged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.create_index("ix_case_closed_at", ["closed_at"])
    op.execute(
        'UPDATE "case" SET closed_at = (SELECT max(e.at) FROM auditevent e '
        "WHERE e.case_id = \"case\".id AND e.action = 'case.status_changed') "
        f"WHERE status IN {_CLOSED}"
    )
    op.execute(f'UPDATE "case" SET closed_at = updated_at WHERE closed_at IS NULL AND status IN {_CLOSED}')
    with op.batch_alter_table("auditchainhead") as batch:
        batch.add_column(
            sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
    op.create_table(
        "auditpersonal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("purged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["auditevent.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_auditpersonal_case_id", "auditpersonal", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_auditpersonal_case_id", table_name="auditpersonal")
    op.drop_table("auditpersonal")
    with op.batch_alter_table("auditchainhead") as batch:
        batch.drop_column("key_id")
    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_closed_at")
        batch.drop_column("purged_at")
        batch.drop_column("closed_at")
