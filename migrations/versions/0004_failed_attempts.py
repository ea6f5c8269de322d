"""failed attempts: log-in and status look-up limits shared by every web process

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 01:10:00.000000

The limits were counted in each web process's memory, so N processes behind a load balancer gave
an attacker N times the guesses. The count now lives in the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'failedattempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('failedattempt', schema=None) as batch_op:
        batch_op.create_index('ix_failedattempt_scope_key_at', ['scope', 'key', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('failedattempt', schema=None) as batch_op:
        batch_op.drop_index('ix_failedattempt_scope_key_at')
    op.drop_table('failedattempt')
