"""caseworkers' verdicts on findings survive the review being made again

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 03:00:00.000000

A verdict now keeps its finding (``finding``, as the review stored it) and the finding's key
(code and evidence: ``cases.review.base.Finding.key``), and may belong to no review
(``review_id`` NULL) while the review is made again: the new review takes it back when the same
finding comes back; otherwise it is shown as resolved. Verdicts given before this revision get
their finding and key from their review's stored findings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("findingverdict") as batch:
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column("finding_key", _STR(length=64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("finding", sa.JSON(), nullable=True))
    _backfill()


def _backfill() -> None:
    """Each verdict's finding and key, from the findings its review stored."""
    from cases.review.base import Finding  # the key is the product's, computed the same way

    connection = op.get_bind()
    verdict, review = sa.table(
        "findingverdict",
        sa.column("id", sa.Integer()),
        sa.column("review_id", sa.Integer()),
        sa.column("finding_index", sa.Integer()),
        sa.column("finding_key", _STR()),
        sa.column("finding", sa.JSON()),
    ), sa.table("review", sa.column("id", sa.Integer()), sa.column("findings", sa.JSON()))
    rows = connection.execute(
        sa.select(verdict.c.id, verdict.c.finding_index, review.c.findings).join(
            review, review.c.id == verdict.c.review_id
        )
    ).all()
    for verdict_id, index, findings in rows:
        stored = (findings or {}).get("findings", [])
        if not 0 <= index < len(stored):
            continue
        connection.execute(
            verdict.update()
            .where(verdict.c.id == verdict_id)
            .values(finding=stored[index], finding_key=Finding.from_json(stored[index]).key)
        )


def downgrade() -> None:
    op.execute("DELETE FROM findingverdict WHERE review_id IS NULL")
    with op.batch_alter_table("findingverdict") as batch:
        batch.drop_column("finding")
        batch.drop_column("finding_key")
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=False)
