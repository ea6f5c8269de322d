"""reviewers as plug-ins: each reviewer's run, caseworkers' verdicts on findings, the keys and
page fingerprints that find repeats and duplicates, and the review's risk score

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-06 00:10:00.000000

``review.risk_score`` is 0 for reviews made before (their findings JSON still displays: evidence
stored as a list of field names is read as such). ``casekey`` is filled from the identity card
numbers and premises addresses already read, so repeats of earlier cases are found at once.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("review") as batch:
        batch.add_column(sa.Column("risk_score", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "reviewrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", _STR(length=64), nullable=False),
        sa.Column("version", _STR(length=32), nullable=False),
        sa.Column("model_name", _STR(length=200), nullable=True),
        sa.Column("weights_hash", _STR(length=64), nullable=True),
        sa.Column("inputs_hash", _STR(length=64), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("error", _STR(), nullable=True),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reviewrun_review_id", "reviewrun", ["review_id"])
    op.create_index("ix_reviewrun_case_id", "reviewrun", ["case_id"])
    op.create_table(
        "findingverdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("finding_index", sa.Integer(), nullable=False),
        sa.Column("code", _STR(length=64), nullable=False),
        sa.Column("verdict", _STR(length=16), nullable=False),
        sa.Column("reason", _STR(), nullable=False),
        sa.Column("decided_by", _STR(length=64), nullable=False),
        sa.Column("decided_at", _WHEN(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "finding_index"),
    )
    op.create_index("ix_findingverdict_case_id", "findingverdict", ["case_id"])
    op.create_index("ix_findingverdict_code", "findingverdict", ["code"])
    op.create_table(
        "casekey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", _STR(length=16), nullable=False),
        sa.Column("value", _STR(length=300), nullable=False),
        sa.Column("submitted_at", _WHEN(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_casekey_case_id", "casekey", ["case_id"])
    op.create_index("ix_casekey_kind_value_submitted", "casekey", ["kind", "value", "submitted_at"])
    op.create_table(
        "pagefingerprint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("phash", _STR(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pagefingerprint_case_id", "pagefingerprint", ["case_id"])
    op.create_table(
        "pagehashband",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["fingerprint_id"], ["pagefingerprint.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pagehashband_fingerprint_id", "pagehashband", ["fingerprint_id"])
    op.create_index("ix_pagehashband_band_value", "pagehashband", ["band", "value"])
    _backfill_case_keys()


def _backfill_case_keys() -> None:
    """Keys of the cases already read (values are stored normalised by extraction): identity
    card number as written, premises address as words (as ``cases.review.keys`` keys them)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT f.case_id, f.name, f.value, c.submitted_at FROM extractedfield f "
            "JOIN \"case\" c ON c.id = f.case_id "
            "WHERE f.name IN ('hkid', 'premises_address') AND f.value <> ''"
        )
    ).all()
    keys = [
        {
            "case_id": case_id,
            "kind": "hkid" if name == "hkid" else "premises",
            "value": (
                value.upper().strip()
                if name == "hkid"
                else " ".join(re.sub(r"[^\w]+", " ", value.upper()).split())
            )[:300],
            "submitted_at": submitted_at,
        }
        for case_id, name, value, submitted_at in rows
    ]
    table = sa.table(
        "casekey",
        sa.column("case_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("value", sa.String()),
        sa.column("submitted_at"),
    )
    for start in range(0, len(keys), 5000):
        op.bulk_insert(table, keys[start : start + 5000])


def downgrade() -> None:
    op.drop_table("pagehashband")
    op.drop_table("pagefingerprint")
    op.drop_table("casekey")
    op.drop_table("findingverdict")
    op.drop_table("reviewrun")
    with op.batch_alter_table("review") as batch:
        batch.drop_column("risk_score")
