"""On the embedded SQLite database, a flow asking which stage a case needs next (a read) does not
queue behind another process's write: a burst's flow runs all ask, all the time. A session that
may write still takes the write lock first."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy.exc

from cases.db import session_scope, set_busy_timeout, upgrade_database
from cases.lifecycle import CaseStatus, Stage
from cases.models import Case
from cases.settings import get_settings
from cases.stages import next_stage


@pytest.fixture
def sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "busy.db"
    upgrade_database(f"sqlite:///{path}")
    monkeypatch.setenv("PERMITS_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_the_next_stage_is_read_while_another_process_writes(sqlite_file: Path) -> None:
    with session_scope() as session:
        case = Case(reference="FBL-2026-00001", permit_type="x", status=CaseStatus.CHECKING)
        session.add(case)
        session.flush()
        case_id = case.id
    assert case_id is not None
    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for as long as it likes
    set_busy_timeout(0.2)
    try:
        stage = next_stage(case_id)
        with (
            pytest.raises(sqlalchemy.exc.OperationalError, match="locked"),
            session_scope() as session,
        ):
            session.get(Case, case_id)
    finally:
        set_busy_timeout(30)
        holder.execute("ROLLBACK")
        holder.close()
    assert stage == Stage.ELIGIBILITY
