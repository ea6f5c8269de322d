"""Migration 0016 (reviewers as plug-ins) on a database holding reviews of the old shape: their
findings (evidence as a list of field names) still show on the case page and in the API, with a
score of 0; the identity card numbers and addresses already read become keys, so a new
application by the same person is a repeat at once."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from cases.db import alembic_config, get_engine, session_scope
from cases.models import CaseKey
from cases.queries import case_file, case_summary
from cases.review import review_record
from tests.test_letter_versions_migration import _insert, old_field

pytestmark = pytest.mark.usefixtures("db")

OLD_FINDINGS = {
    "findings": [
        {
            "fact": {
                "code": "name_mismatch",
                "form_name": "CHAN Tai Man",
                "card_name": "LEE Siu Ming",
                "similarity": 40,
            },
            "severity": "high",
            "evidence": ["applicant_name", "id_card_name"],
        }
    ]
}


@pytest.fixture
def old_case(db: str) -> int:
    config = alembic_config(db)
    command.downgrade(config, "0012")
    try:
        with get_engine(db).begin() as connection:
            case_id = _insert(
                connection,
                "case",
                reference="OLD-1",
                permit_type="food-business-licence",
                status="reviewed",
                submitted_at="2026-11-01 09:00:00",
                updated_at="2026-11-01 09:00:00",
            )
            address = "G/F, 1 Nathan Road, Tsim Sha Tsui"
            for name, value in (("hkid", "A123456(3)"), ("premises_address", address)):
                old_field(connection, case_id, name, value)
            connection.execute(
                text(
                    "INSERT INTO review (case_id, reviewer, reviewer_version, inputs_hash, risk, "
                    "findings, created_at) VALUES (:case_id, 'cross-document-consistency', '1.0', "
                    ":hash, 'high', :findings, '2026-11-01 09:05:00')"
                ),
                {"case_id": case_id, "hash": "0" * 64, "findings": json.dumps(OLD_FINDINGS)},
            )
    finally:
        command.upgrade(config, "head")
    return case_id


def test_an_old_review_still_shows_its_findings_with_a_score_of_nought(old_case: int) -> None:
    with session_scope() as session:
        record = review_record(session, old_case)
        summary = case_summary(old_case, session=session)
        file = case_file(old_case, session=session)
    assert record is not None
    assert record.review.risk_score == 0
    assert record.score is None
    (marked,) = record.findings
    assert marked.finding.evidence.field_names == ["applicant_name", "id_card_name"]
    assert summary.review is not None
    assert summary.review.findings[0].text.startswith("The form names 'CHAN Tai Man'")
    assert file.review_record is not None
    assert record.runs == []


def test_keys_of_old_cases_are_filled_in(old_case: int) -> None:
    with session_scope() as session:
        keys = {(k.kind, k.value) for k in session.exec(select(CaseKey))}
    assert keys == {("hkid", "A123456(3)"), ("premises", "G F 1 NATHAN ROAD TSIM SHA TSUI")}
