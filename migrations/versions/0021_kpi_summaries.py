"""KPI summaries: a row per case and the sums per permit type and day or month

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-06 03:00:00.000000

``casekpi`` holds what each case adds to the dashboard's figures and ``kpisum`` their sums, so
``/kpi`` reads a few thousand rows instead of every case, task, field and audit event
(cases.kpi_summaries keeps both in step with the cases from now on). Every case stored
before this revision gets its summary here, worked out from its rows as a later change would.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0021'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "casekpi",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("permit_type", _STR(length=64), nullable=False),
        sa.Column("status", _STR(length=32), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("turnaround_days", sa.Integer(), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "kpisum",
        sa.Column("figure", sa.String(length=24), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("permit_type", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("figure", "grain", "day", "permit_type", "key"),
        sqlite_with_rowid=False,
    )
    # The backfill is the same code that keeps the summaries afterwards.
    from cases.kpi_summaries import refresh_all_case_kpis

    refresh_all_case_kpis(op.get_bind())


def downgrade() -> None:
    op.drop_table("kpisum")
    op.drop_table("casekpi")
