"""licence conditions stored as codes; a request's answer time kept once

Revision ID: 0020
Revises: 0012
Create Date: 2026-12-06 00:10:00.000000

Decision tables now give a licence condition as a code of the permit's ``conditions:`` (the letter
prints it in its own language), so each stored eligibility result's condition sentences (in its
matched rows and its result) become the codes the catalogue gave them. A sentence that is not one
of the catalogue's is left as it is (shown as stored).

``informationrequest.answered_at`` repeated ``resolved_at`` (an answer resolves the request): an
answered request keeps its time in ``resolved_at`` (copied where only ``answered_at`` had it, the
resolution set to ``answered``) and the column goes.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The condition sentences the catalogue's tables gave before they gave codes, and their codes.
_CODES = {
    "Keep a crowd management plan on the premises.": "crowd_management_plan",
    "Roster a certified hygiene manager on every shift.": "hygiene_manager_every_shift",
    "Keep records of every consignment for FEHD's quarterly inspection.": "consignment_records",
    "Display the licensed number of seats at the entrance.": "seats_displayed",
    "No live or amplified music after midnight.": "no_music_after_midnight",
    "Keep doors and windows closed after 11 pm.": "doors_closed_after_11pm",
    "No one under 18 may be served or employed on the premises.": "no_one_under_18",
    "Every food stall must hold a temporary food factory licence.": "food_stalls_licensed",
    "Post a steward at every exit, one for each 250 people present.": "stewards_at_exits",
    "Amplified sound must stop by 11 pm.": "amplified_sound_until_11pm",
}
_SENTENCES = {code: sentence for sentence, code in _CODES.items()}

_results = sa.table(
    "eligibilityresult", sa.column("id", sa.Integer()), sa.column("trace", sa.JSON())
)


def _swap(row: Any, mapping: dict[str, str]) -> Any:
    if isinstance(row, dict) and isinstance(row.get("condition"), str):
        return {**row, "condition": mapping.get(row["condition"], row["condition"])}
    return row


def _table(table: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    result = table.get("result")
    return {
        **table,
        "matched_rows": [
            {**matched, "then": _swap(matched.get("then"), mapping)}
            for matched in table.get("matched_rows") or []
        ],
        "result": [_swap(r, mapping) for r in result]
        if isinstance(result, list)
        else _swap(result, mapping),
    }


def _rewrite_conditions(mapping: dict[str, str]) -> None:
    connection = op.get_bind()
    for row_id, trace in connection.execute(sa.select(_results.c.id, _results.c.trace)).all():
        if not isinstance(trace, dict) or not trace.get("tables"):
            continue
        rewritten = {**trace, "tables": [_table(t, mapping) for t in trace["tables"]]}
        if rewritten != trace:
            connection.execute(
                _results.update().where(_results.c.id == row_id).values(trace=rewritten)
            )


def upgrade() -> None:
    _rewrite_conditions(_CODES)
    op.execute(
        "UPDATE informationrequest SET resolved_at = answered_at, "
        "resolution = COALESCE(resolution, 'answered') "
        "WHERE answered_at IS NOT NULL AND resolved_at IS NULL"
    )
    with op.batch_alter_table("informationrequest") as batch:
        batch.drop_column("answered_at")


def downgrade() -> None:
    with op.batch_alter_table("informationrequest") as batch:
        batch.add_column(sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE informationrequest SET answered_at = resolved_at WHERE resolution = 'answered'"
    )
    _rewrite_conditions(_SENTENCES)
