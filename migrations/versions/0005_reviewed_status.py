"""reviewed: the status between the review and the proposed decision

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 18:30:00.000000

The stage table gives each automatic stage its own status. The review and the proposal both ran
while a case was 'reviewing', told apart by whether a review row existed; a reviewed case now
waits for its proposal as 'reviewed'. Cases caught between the two are moved here.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE \"case\" SET status = 'reviewed' WHERE status = 'reviewing' "
        "AND id IN (SELECT case_id FROM review)"
    )


def downgrade() -> None:
    op.execute("UPDATE \"case\" SET status = 'reviewing' WHERE status = 'reviewed'")
