"""The product's words (decision, outcome, risk, severity) are enums end to end: a stored row reads
back as the enum, a word no enum has stops the read with a clear error, and text from a form or
the API becomes an enum only through a parser that says which words it takes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlmodel import select

from cases.db import get_engine, session_scope
from cases.errors import InvalidInput, UnknownStoredValue
from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, Case, Review, Role, TaskKind
from cases.review import Finding
from cases.vocabulary import Decision, Outcome, Risk, Severity, parse_decision, parse_word
from tests.factories import FOOD


def _stored_case(db: str, **columns: str | None) -> int:
    """A case row written with plain SQL, as a version before the enums (or a person) wrote it."""
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    with get_engine(db).begin() as connection:
        connection.execute(
            text(
                'INSERT INTO "case" (reference, permit_type, status, submitted_at, updated_at, '
                f"{names}) VALUES ('OLD-1', :permit, 'decided', CURRENT_TIMESTAMP, "
                f"CURRENT_TIMESTAMP, {values})"
            ),
            {"permit": FOOD, **columns},
        )
        case_id = connection.execute(text("SELECT id FROM \"case\" WHERE reference = 'OLD-1'"))
        return int(case_id.scalar_one())


def test_a_row_written_as_text_reads_back_as_the_enum(db: str) -> None:
    case_id = _stored_case(db, proposed_outcome="refer", decided_outcome="refuse")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.proposed_outcome is Outcome.REFER
        assert case.decided_outcome is Decision.REFUSE
        # ... and a query compares with the enum as it compared with the text
        found = session.exec(select(Case).where(Case.decided_outcome == Decision.REFUSE)).one()
        assert found.id == case_id


def test_an_enum_is_stored_as_its_plain_text(db: str) -> None:
    case_id = _stored_case(db, proposed_outcome=None, decided_outcome=None)
    with session_scope() as session:
        session.add(
            Review(
                case_id=case_id,
                reviewer="t",
                reviewer_version="1",
                inputs_hash="x",
                risk=Risk.MEDIUM,
            )
        )
        task = ApprovalTask(case_id=case_id, kind=TaskKind.DECIDE, required_role=Role.CASEWORKER)
        task.decision, task.first_decision = Decision.APPROVE, Decision.APPROVE
        session.add(task)
    with get_engine(db).connect() as connection:
        risk = connection.execute(text("SELECT risk FROM review")).scalar_one()
        decision = connection.execute(text("SELECT decision FROM approvaltask")).scalar_one()
    assert (type(risk), risk, type(decision), decision) == (str, "medium", str, "approve")


def test_an_unknown_stored_word_stops_the_read_and_says_what_and_where(db: str) -> None:
    case_id = _stored_case(db, proposed_outcome="approve", decided_outcome="maybe")
    with session_scope() as session, pytest.raises(UnknownStoredValue) as raised:
        session.get(Case, case_id)
    message = str(raised.value)
    assert "'maybe'" in message
    assert "Decision" in message
    assert "approve, refuse" in message
    assert raised.value.http_status == 500


def test_an_unknown_word_is_not_written(db: str) -> None:
    with pytest.raises(StatementError, match="'maybe' is not a Decision"), session_scope() as s:
        s.add(
            Case(
                reference="NEW-1",
                permit_type=FOOD,
                status=CaseStatus.DECIDED,
                decided_outcome="maybe",  # type: ignore[arg-type]
            )
        )


@pytest.mark.parametrize("word", ["approve", "refuse"])
def test_parse_decision_takes_the_decisions(word: str) -> None:
    assert parse_decision(word) is Decision(word)


@pytest.mark.parametrize("text_in", ["refer", "Approve", "", None, 1])
def test_parse_decision_refuses_anything_else_with_the_words_it_takes(text_in: object) -> None:
    with pytest.raises(InvalidInput, match="decision must be one of approve, refuse") as raised:
        parse_decision(text_in)
    assert raised.value.http_status == 422


def test_parse_word_names_what_it_parses() -> None:
    assert parse_word(Risk, "high", what="risk") is Risk.HIGH
    with pytest.raises(InvalidInput, match="risk must be one of low, medium, high, not 'bad'"):
        parse_word(Risk, "bad", what="risk")


def test_a_stored_findings_severity_reads_back_as_the_enum() -> None:
    """A review's findings are a JSON document; their severity is read back the same way."""
    stored = {"fact": {"code": "name_mismatch"}, "severity": "warning", "evidence": ["hkid"]}
    finding = Finding.from_json(stored)
    assert finding.severity is Severity.WARNING
    assert finding.evidence.field_names == ["hkid"]  # stored before 0016: a list of names
    assert Finding.from_json(finding.as_json()) == finding
    with pytest.raises(UnknownStoredValue, match="'urgent' as a Severity"):
        Finding.from_json({**stored, "severity": "urgent"})
