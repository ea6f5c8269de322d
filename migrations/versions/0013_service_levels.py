"""service levels: due dates on cases, a paused clock, reminders, escalation, closure days

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:10:00.000000

``case.due_at`` is the case's service-level due date and ``case.clock_paused_at`` the moment its
clock stopped (waiting for the applicant). Existing cases take the due date their tasks already
carry (the earliest; those were submission plus the service level); a case with no task gets
its due date in working days from the catalogue at the next service-level sweep, which audits it.
``approvaltask`` records its one reminder and one escalation; ``staffnotice`` holds what the
system tells a member of staff in the app; ``closureday`` the office's closure days.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("clock_paused_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.create_index("ix_case_due_at", ["due_at"])
    op.execute(
        'UPDATE "case" SET due_at = (SELECT MIN(t.due_at) FROM approvaltask t '
        'WHERE t.case_id = "case".id) WHERE due_at IS NULL'
    )
    op.execute(
        "UPDATE \"case\" SET clock_paused_at = updated_at WHERE status = 'awaiting_applicant'"
    )
    with op.batch_alter_table("approvaltask") as batch:
        batch.add_column(sa.Column("reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("escalated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("escalated_from", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    op.create_table(
        "staffnotice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("notice", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["approvaltask.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staffnotice_username", "staffnotice", ["username"])
    op.create_index("ix_staffnotice_case_id", "staffnotice", ["case_id"])
    op.create_table(
        "closureday",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_closureday_day", "closureday", ["day"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_closureday_day", table_name="closureday")
    op.drop_table("closureday")
    op.drop_index("ix_staffnotice_case_id", table_name="staffnotice")
    op.drop_index("ix_staffnotice_username", table_name="staffnotice")
    op.drop_table("staffnotice")
    with op.batch_alter_table("approvaltask") as batch:
        for column in ("escalated_from", "escalated_at", "reminded_at"):
            batch.drop_column(column)
    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_due_at")
        batch.drop_column("clock_paused_at")
        batch.drop_column("due_at")
