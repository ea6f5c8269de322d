"""Migration 0006 turns the sentences stored before facts into facts, and says them the same way.

A database at revision 0005 is filled with rows of the old shape (flag reasons, task reasons and
review findings written as English sentences), then upgraded: each becomes a fact whose English
rendering is the sentence it was, and a sentence of no known shape is kept whole.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from cases.db import alembic_config, get_engine, session_scope
from cases.facts import render
from cases.models import ApprovalTask, ExtractedField, Review
from tests.factories import said

pytestmark = pytest.mark.usefixtures("db")

OLD_FLAGS = {
    "applicant_name": "required field is empty or could not be read",
    "hkid": "value does not validate: check digit is wrong: expected 3, read 5",
    "business_name": "the handwriting reads two ways: 'TADE CAFE' or 'JADE CAFE'; check which "
    "is written",
    "floor_area_m2": "4200 is outside the usual 5 to 500; check it against the document (a "
    "decimal point is easily lost)",
    "phone": "OCR confidence 0.25 is below this field's threshold 0.60",
    "premises_address": "quality sample: 100% of cases are checked by a person at random",
    "seating_capacity": "a reason of a shape nobody wrote down",
    "fire_certificate_document_type": "uploaded as Fire services certificate (FS 251) but its "
    "text reads as Tenancy agreement for the premises (keywords found: tenancy, landlord); check "
    "that the right document was uploaded",
}
PROPOSAL = (
    "Rule set 2026.1: 9 passed, 2 not applicable, 2 failed (FBL-7 refer, FBL-9 request info); "
    "review risk high."
)
FOUR_EYES = (
    "Four-eyes: ann.lee decided 'refuse': too few exits. A second senior caseworker confirms it "
    "or decides otherwise."
)
OLD_FINDINGS = [
    {
        "code": "name_mismatch",
        "severity": "high",
        "message": "The form names 'CHAN TAI MAN' but the identity card shows 'CHAN SIU MING' "
        "(similarity 61%).",
        "evidence": ["applicant_name", "id_card_name"],
    },
    {
        "code": "missing_evidence",
        "severity": "warning",
        "message": "'id_card_number' is empty; not cross-checked.",
        "evidence": ["id_card_number"],
    },
]


def _insert(connection: Any, table: str, **values: Any) -> None:
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join(f":{name}" for name in values)
    connection.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'), values)


def _task(connection: Any, task_id: int, kind: str, reason: str, step: int = 1) -> None:
    _insert(
        connection,
        "approvaltask",
        id=task_id,
        case_id=1,
        kind=kind,
        status="open",
        reason=reason,
        required_role="caseworker",
        created_at="2026-11-01 10:00:00",
        step=step,
    )


def _old_rows(db: str) -> None:
    with get_engine(db).begin() as connection:
        _insert(
            connection,
            "case",
            id=1,
            reference="FBL-2026-000001",
            permit_type="food-business-licence",
            status="awaiting_decision",
            submitted_at="2026-11-01 09:00:00",
            updated_at="2026-11-01 09:00:00",
        )
        for n, (name, reason) in enumerate([*OLD_FLAGS.items(), ("hygiene_staff", None)]):
            value = "tenancy_agreement" if name.endswith("_document_type") else "x"
            _insert(
                connection,
                "extractedfield",
                id=n + 1,
                case_id=1,
                name=name,
                value=value,
                raw_text=value,
                confidence=0.5,
                page=1,
                bbox="[]",
                engine="test",
                status="flagged" if reason else "accepted",
                flag_reason=reason,
            )
        _task(connection, 1, "verify_fields", "Name of applicant: required field is empty; …")
        _task(connection, 2, "decide", PROPOSAL)
        _task(connection, 3, "decide", FOUR_EYES, step=2)
        _task(connection, 4, "decide", "")
        _insert(
            connection,
            "review",
            case_id=1,
            reviewer="cross-document-consistency",
            reviewer_version="1.0",
            inputs_hash="0" * 64,
            risk="high",
            findings=json.dumps({"findings": OLD_FINDINGS}),
            created_at="2026-11-01 10:00:00",
        )


@pytest.fixture
def upgraded(db: str) -> str:
    config = alembic_config(db)
    command.downgrade(config, "0005")
    try:
        _old_rows(db)
    finally:
        command.upgrade(config, "head")
    return db


@pytest.mark.usefixtures("upgraded")
def test_flag_reasons_become_facts_that_read_as_they_did() -> None:
    with session_scope() as session:
        fields = {f.name: f for f in session.exec(select(ExtractedField))}
    assert fields["hygiene_staff"].flag is None
    assert fields["phone"].flag == {"code": "low_confidence", "confidence": 0.25, "threshold": 0.6}
    assert fields["hkid"].flag == {
        "code": "not_valid",
        "problem": {"code": "hkid_check_digit", "expected": "3", "read": "5"},
    }
    assert fields["fire_certificate_document_type"].flag == {
        "code": "kind_other",
        "uploaded": "fire_certificate",
        "reads_as": "tenancy_agreement",
        "keywords": ["tenancy", "landlord"],
    }
    assert fields["seating_capacity"].flag == {
        "code": "legacy_text",
        "text": "a reason of a shape nobody wrote down",
    }
    assert {name: said(fields[name].flag) for name in OLD_FLAGS} == OLD_FLAGS


@pytest.mark.usefixtures("upgraded")
def test_task_reasons_become_facts_and_a_verification_lists_its_flagged_fields() -> None:
    with session_scope() as session:
        tasks = {t.id: t for t in session.exec(select(ApprovalTask))}
    verification = tasks[1].reason
    assert verification["code"] == "verify_fields"
    assert (verification["flagged"], verification["total"]) == (len(OLD_FLAGS), len(OLD_FLAGS) + 1)
    assert [check["field"] for check in verification["checks"]] == list(OLD_FLAGS)
    assert said(tasks[1].reason).startswith(
        f"{len(OLD_FLAGS)} of {len(OLD_FLAGS) + 1} fields to check: Name of applicant: required"
    )
    assert tasks[2].reason["code"] == "proposal"
    assert render(tasks[2].reason) == PROPOSAL
    assert tasks[3].reason == {
        "code": "four_eyes_note",
        "first_by": "ann.lee",
        "decision": "refuse",
        "role": "senior_caseworker",
        "note": "too few exits",
    }
    assert render(tasks[3].reason) == FOUR_EYES
    assert tasks[4].reason == {"code": "legacy_text", "text": ""}


@pytest.mark.usefixtures("upgraded")
def test_review_findings_become_facts_with_their_evidence() -> None:
    with session_scope() as session:
        review = session.exec(select(Review)).one()
    findings = review.findings["findings"]
    assert [f["evidence"] for f in findings] == [f["evidence"] for f in OLD_FINDINGS]
    assert [f["severity"] for f in findings] == ["high", "warning"]
    assert findings[0]["fact"] == {
        "code": "name_mismatch",
        "form_name": "CHAN TAI MAN",
        "card_name": "CHAN SIU MING",
        "similarity": 61,
    }
    assert render(findings[0]["fact"]) == OLD_FINDINGS[0]["message"]
    assert said(findings[1]["fact"]) == "Number on identity card is empty; not cross-checked."
