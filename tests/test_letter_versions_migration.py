"""Migration 0010 gives letters versions: every letter issued before it becomes version 1,
issued by the letter stage, current; a reissue can then add version 2 beside it. Downgrading
keeps each case's current letters and drops the superseded ones (the old shape has room for one
letter per outcome and language)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import col, select

from cases.db import alembic_config, get_engine, session_scope
from cases.letters import issue_letters, reissue_letter
from cases.models import Letter
from tests.factories import CASEWORKER, decided_case

pytestmark = pytest.mark.usefixtures("db")


def _insert(connection: Any, table: str, **values: Any) -> int:
    """The row's new id (left to the database, so PostgreSQL's sequences stay in step)."""
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join(f":{name}" for name in values)
    statement = text(f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) RETURNING id')
    return int(connection.execute(statement, values).scalar_one())


def old_case(connection: Any, reference: str, **values: Any) -> int:
    """A food licence case row written as an older schema holds it; returns its id."""
    return _insert(
        connection,
        "case",
        reference=reference,
        permit_type="food-business-licence",
        ruleset_version="2026.1",
        submitted_at="2026-11-01 09:00:00",
        updated_at="2026-11-01 09:00:00",
        **values,
    )


def old_field(connection: Any, case_id: int, name: str, value: str) -> int:
    """An extracted field row, accepted as read, written as an older schema holds it."""
    return _insert(
        connection,
        "extractedfield",
        case_id=case_id,
        name=name,
        value=value,
        raw_text=value,
        confidence=0.9,
        page=1,
        bbox="[]",
        engine="test",
        status="accepted",
    )


def _old_letter(connection: Any, case_id: int, language: str) -> int:
    return _insert(
        connection,
        "letter",
        case_id=case_id,
        outcome="approve",
        language=language,
        template=f"food-business-licence/approve.{language}.html.j2",
        template_sha256="0" * 64,
        html_path=f"documents/aa/{'a' * 64}",
        html_sha256="a" * 64,
        pdf_path=f"documents/bb/{'b' * 64}",
        pdf_sha256="b" * 64,
        created_at="2026-11-01 10:00:00",
    )


@pytest.fixture
def upgraded(db: str) -> list[Letter]:
    """Two letters of the old shape (English and Chinese) of one case, upgraded."""
    config = alembic_config(db)
    command.downgrade(config, "0008")
    try:
        with get_engine(db).begin() as connection:
            case_id = old_case(
                connection, "OLD-1", status="letter_issued", decided_outcome="approve"
            )
            _old_letter(connection, case_id, "en")
            _old_letter(connection, case_id, "zh-Hant")
    finally:
        command.upgrade(config, "head")
    with session_scope() as session:
        return list(session.exec(select(Letter).order_by(col(Letter.id))))


def test_old_letters_become_current_version_one_issued_by_the_letter_stage(
    upgraded: list[Letter],
) -> None:
    assert [letter.language for letter in upgraded] == ["en", "zh-Hant"]
    for letter in upgraded:
        assert letter.version == 1
        assert letter.issued_by == "system:letters"
        assert letter.superseded_at is None
        assert letter.superseded_by is None
        assert letter.reissue_reason is None
        assert letter.pdf_sha256 == "b" * 64


def test_an_old_letter_can_be_reissued_after_the_upgrade(upgraded: list[Letter]) -> None:
    english = upgraded[0]
    reissued = reissue_letter(
        english.case_id, "en", "Reprinted after the upgrade.", actor=CASEWORKER
    )

    assert reissued.version == 2
    with session_scope() as session:
        old = session.get(Letter, english.id)
        assert old is not None
        assert old.superseded_by == reissued.id


def test_downgrade_keeps_the_current_letters_and_drops_superseded_ones(db: str) -> None:
    case_id = decided_case()
    issue_letters(case_id)
    current = reissue_letter(case_id, "en", "Corrected.", actor=CASEWORKER)
    config = alembic_config(db)
    command.downgrade(config, "0008")
    try:
        with get_engine(db).connect() as connection:
            rows = connection.execute(text("SELECT id, language FROM letter")).all()
    finally:
        command.upgrade(config, "head")
    assert [tuple(row) for row in rows] == [(current.id, "en")]
