"""revocable sessions: a user's session generation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 16:40:00.000000

The signed session cookie now carries the user's session generation; logging out, deactivation
and a password change move it on, so a copied cookie stops working on the server. Every existing
user starts at generation 0 (their open sessions end once, at the upgrade: the old cookies carry
no generation).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("session_generation")
