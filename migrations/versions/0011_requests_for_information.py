"""requests for information both ways: what was asked, the answer, reminders and lapses

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:00:00.000000

A request now names the kinds of document asked for (JSON list, empty for every existing
request), when it was answered (and the applicant's note), reminded, and how it ended. A document
records the request it answers and when extraction read it: documents of cases that already have
fields were read, so they are marked read at their upload time. A letter gains ``serial`` (0 for
decision and lapse letters, the request's id for a request letter), so a case can hold one request
letter per request; the unique constraint on letters (by version since 0010) now includes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0010 named the letter table's unique constraint on both backends.
_OLD_UNIQUE = "uq_letter_case_outcome_language_version"
_OLD_COLUMNS = ["case_id", "outcome", "language", "version"]
_NEW_UNIQUE = "uq_letter_case_outcome_language_serial_version"


def upgrade() -> None:
    with op.batch_alter_table("informationrequest") as batch:
        batch.add_column(sa.Column("document_kinds", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("answer_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("grace_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("resolution", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("information_request_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.create_foreign_key(
            "fk_document_information_request_id",
            "informationrequest",
            ["information_request_id"],
            ["id"],
        )
    op.execute(
        "UPDATE document SET read_at = uploaded_at WHERE case_id IN "
        "(SELECT DISTINCT case_id FROM extractedfield)"
    )
    with op.batch_alter_table("letter") as batch:
        batch.add_column(sa.Column("serial", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint(_OLD_UNIQUE, type_="unique")
        batch.create_unique_constraint(
            _NEW_UNIQUE, ["case_id", "outcome", "language", "serial", "version"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM letter WHERE serial <> 0")  # request letters have no older home
    with op.batch_alter_table("letter") as batch:
        batch.drop_constraint(_NEW_UNIQUE, type_="unique")
        batch.create_unique_constraint(_OLD_UNIQUE, _OLD_COLUMNS)
        batch.drop_column("serial")
    with op.batch_alter_table("document") as batch:
        batch.drop_constraint("fk_document_information_request_id", type_="foreignkey")
        batch.drop_column("read_at")
        batch.drop_column("information_request_id")
    with op.batch_alter_table("informationrequest") as batch:
        for column in (
            "resolved_at",
            "resolution",
            "grace_until",
            "reminded_at",
            "answer_note",
            "answered_at",
            "document_kinds",
        ):
            batch.drop_column(column)
