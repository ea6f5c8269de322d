"""inbox indexes: one covering index for the open-task queues, review risk, recent cases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:30:00.000000

Measured with ``permits bench inbox`` (100,000 cases, 30,000 open tasks): the queue counts and
the filtered totals read every open task; with only ``(status, due_at, id)`` each of those rows
was fetched from the table. The new index carries what the inbox filters and counts on, so they
are answered from the index alone; it replaces ``ix_approvaltask_status_due_at`` (its prefix).
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_QUEUE = ['status', 'due_at', 'id', 'required_role', 'kind', 'claimed_by', 'case_id']


def upgrade() -> None:
    with op.batch_alter_table('approvaltask', schema=None) as batch_op:
        batch_op.drop_index('ix_approvaltask_status_due_at')
        batch_op.create_index('ix_approvaltask_open_queue', _OPEN_QUEUE, unique=False)

    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index('ix_review_case_id_risk', ['case_id', 'risk'], unique=False)

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_submitted_at_id', ['submitted_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_submitted_at_id')

    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index('ix_review_case_id_risk')

    with op.batch_alter_table('approvaltask', schema=None) as batch_op:
        batch_op.drop_index('ix_approvaltask_open_queue')
        batch_op.create_index('ix_approvaltask_status_due_at', ['status', 'due_at', 'id'], unique=False)
