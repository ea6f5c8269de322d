"""Migration 0022 on a database holding verdicts given before it: each verdict gets its finding and
the finding's key from its review, so when the case is reviewed again the verdict follows the
same finding; the case page's record still shows it on its finding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from sqlmodel import select

from cases.db import alembic_config, get_engine, session_scope
from cases.models import FindingVerdict
from cases.review import Finding
from cases.review.record import review_record
from tests.test_letter_versions_migration import _insert, old_case

FINDINGS = [
    {
        "fact": {"code": "name_mismatch", "form_name": "A", "card_name": "B", "similarity": 20},
        "severity": "high",
        "evidence": {"fields": [{"name": "applicant_name", "document_id": None, "page": 1}]},
        "proposes_referral": False,
        "reviewer": "consistency",
    },
    # as reviews before 0016 stored evidence: a list of field names
    {"fact": {"code": "missing_evidence", "field": "hkid"}, "severity": "warning",
     "evidence": ["hkid"]},
]  # fmt: skip


def _old_verdict(connection: Any) -> int:
    case_id = old_case(connection, "OLD-V1", status="awaiting_decision")
    review_id = _insert(
        connection,
        "review",
        case_id=case_id,
        reviewer="consistency",
        reviewer_version="2.0",
        inputs_hash="x" * 64,
        risk="high",
        findings=json.dumps({"findings": FINDINGS}),
        created_at="2026-11-02 09:00:00",
    )
    _insert(
        connection,
        "findingverdict",
        review_id=review_id,
        case_id=case_id,
        finding_index=1,
        code="missing_evidence",
        verdict="dismissed",
        reason="on the second page",
        decided_by="casey",
        decided_at="2026-11-03 09:00:00",
    )
    return case_id


@pytest.fixture
def old_verdict(db: str) -> int:
    config = alembic_config(db)
    command.downgrade(config, "0021")
    try:
        with get_engine(db).begin() as connection:
            case_id = _old_verdict(connection)
    finally:
        command.upgrade(config, "head")
    return case_id


def test_a_verdict_given_before_the_migration_keeps_its_finding_and_key(old_verdict: int) -> None:
    with session_scope() as session:
        (verdict,) = session.exec(select(FindingVerdict)).all()
        record = review_record(session, old_verdict)
    assert verdict.finding == FINDINGS[1]
    assert verdict.finding_key == Finding.from_json(FINDINGS[1]).key
    assert verdict.finding_key != Finding.from_json(FINDINGS[0]).key
    assert record is not None
    assert record.findings[1].verdict is not None
    assert record.findings[1].verdict.reason == "on the second page"
    assert record.resolved == []
