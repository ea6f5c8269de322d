"""The keyed audit trail: someone with write access to the database but not the audit key cannot
rewrite it unseen, checkpoints in the anchor file catch events removed from the end, an unkeyed
trail of an earlier version is keyed once (and recorded), and personal values blanked outside a
retention purge are found."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import JSON, bindparam, text
from sqlmodel import col, select

from cases.audit import (
    ChainReport,
    anchor_chain,
    append_event,
    read_anchors,
    rehash,
    verify_chain,
)
from cases.db import session_scope
from cases.errors import AuditChainBroken, AuditKeyMismatch
from cases.models import AuditChainHead, AuditEvent, AuditPersonal
from cases.settings import get_settings
from tests.conftest import Invoke

pytestmark = pytest.mark.usefixtures("db")


def _append(count: int, start: int = 1) -> None:
    with session_scope() as session:
        for i in range(start, start + count):
            append_event(session, actor="tester", action=f"test.event{i}", payload={"n": i})


def _verify() -> ChainReport:
    with session_scope() as session:
        return verify_chain(session)


def _rows() -> list[AuditEvent]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all())


def _rewrite_unkeyed(rows: list[AuditEvent], edits: dict[int, dict[str, Any]]) -> None:
    """What an attacker with SQL access does: edit an event, then recompute its hash, every hash
    after it and the head with the chain's published (unkeyed) scheme."""
    first = min(edits, default=1)
    prev = rows[first - 1].prev_hash
    with session_scope() as session:
        statement = text(
            "UPDATE auditevent SET payload = :payload, prev_hash = :prev, hash = :hash "
            "WHERE seq = :seq"
        ).bindparams(bindparam("payload", type_=JSON))
        for event in rows[first - 1 :]:
            event.payload = edits.get(event.seq, event.payload)  # a detached copy
            unkeyed = rehash(event, None, prev)
            values = {"payload": event.payload, "prev": prev, "hash": unkeyed, "seq": event.seq}
            session.execute(statement, values)
            prev = unkeyed
        session.execute(
            text("UPDATE auditchainhead SET last_hash = :h, seq = :s"),
            {"h": prev, "s": rows[-1].seq},
        )


def _words(output: str) -> str:
    return " ".join(output.split())


def test_a_rewrite_with_recomputed_hashes_is_found_and_the_event_named(cli: Invoke) -> None:
    _append(5)
    rows = _rows()
    _rewrite_unkeyed(rows, {3: {"n": 300}})
    report = _verify()
    assert not report.ok
    assert report.first_broken_seq == 3
    assert report.problem is not None
    assert "event 3 (test.event3) was altered" in report.problem

    result = cli("audit", "verify")
    assert result.exit_code == 1
    words = _words(result.output)
    assert "audit trail broken at event 3" in words
    assert "What to do:" in words
    assert "Traceback" not in result.output


def test_events_deleted_from_the_end_are_found_against_the_anchor_file(cli: Invoke) -> None:
    _append(5)
    result = cli("audit", "anchor")
    assert result.exit_code == 0, result.output
    assert "anchored event 5" in _words(result.output)
    [anchor] = read_anchors()
    assert (anchor.seq, anchor.signed) == (5, True)
    line = json.loads(get_settings().resolved_audit_anchor_file.read_text())
    assert set(line) == {"seq", "head", "at", "key_id", "hmac"}

    # Deleting the last two events and moving the head back fools the database alone ...
    fourth = _rows()[2]
    with session_scope() as session:
        session.execute(text("DELETE FROM auditevent WHERE seq > 3"))
        session.execute(
            text("UPDATE auditchainhead SET seq = 3, last_hash = :h"), {"h": fourth.hash}
        )
    report = _verify()
    assert not report.ok
    assert report.problem is not None
    assert "reach event 5" in report.problem
    assert "deleted from the end" in report.problem


def test_an_anchor_line_not_signed_with_the_key_is_refused() -> None:
    _append(2)
    anchor_chain()
    path = get_settings().resolved_audit_anchor_file
    record = json.loads(path.read_text())
    record["seq"] = 1
    path.write_text(json.dumps(record) + "\n")
    report = _verify()
    assert not report.ok
    assert report.problem == (
        "line 1 of the anchor file is not signed with the audit key (altered or forged)"
    )


def test_an_intact_trail_agrees_with_its_checkpoints(cli: Invoke) -> None:
    _append(3)
    anchor_chain()
    _append(2, start=4)
    anchor_chain()
    report = _verify()
    assert report.ok, report.problem
    assert (report.events_checked, report.anchors_checked) == (5, 2)
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "5 events checked, 2 checkpoints" in _words(result.output)


def _make_unkeyed() -> str:
    """Turn the trail into the unkeyed chain an earlier version wrote; returns its head hash."""
    rows = _rows()
    _rewrite_unkeyed(rows, {})
    with session_scope() as session:
        session.execute(text("UPDATE auditchainhead SET key_id = NULL"))
        head = session.exec(select(AuditChainHead)).one()
        return head.last_hash


def test_an_unkeyed_trail_is_keyed_once_on_the_next_append_and_says_so() -> None:
    _append(4)
    unkeyed_head = _make_unkeyed()
    before = _verify()
    assert before.ok
    assert not before.keyed

    _append(1, start=5)
    rows = _rows()
    assert [e.action for e in rows[-2:]] == ["audit.rekeyed", "test.event5"]
    assert rows[-2].payload["events"] == 4
    assert rows[-2].payload["unkeyed_head"] == unkeyed_head
    after = _verify()
    assert after.ok, after.problem
    assert after.keyed
    assert after.events_checked == 6


def test_a_broken_unkeyed_trail_is_not_keyed() -> None:
    _append(3)
    _make_unkeyed()
    with session_scope() as session:
        session.execute(text("UPDATE auditevent SET actor = 'someone' WHERE seq = 2"))
    with pytest.raises(AuditChainBroken, match=r"event 2 .* was altered"):
        _append(1, start=4)
    assert len(_rows()) == 3  # nothing written


def test_an_unkeyed_trail_with_keyed_checkpoints_was_rewritten() -> None:
    _append(3)
    anchor_chain()
    _make_unkeyed()
    report = _verify()
    assert not report.ok
    assert report.problem is not None
    assert "re-hashed without the key" in report.problem


def test_personal_values_stay_beside_the_event_and_their_blanking_is_found() -> None:
    with session_scope() as session:
        event = append_event(
            session,
            actor="tester",
            action="test.personal",
            payload={"request_id": 7},
            personal={"note": "my HKID is A123456(3)"},
        )
    stored = _rows()[0]
    assert "A123456" not in json.dumps(stored.payload)
    assert stored.payload["personal"]["keys"] == ["note"]
    assert _verify().ok

    with session_scope() as session:
        row = session.exec(select(AuditPersonal).where(AuditPersonal.event_id == event.id)).one()
        row.values, row.salt = {"note": "nothing to see"}, row.salt
        session.add(row)
    report = _verify()
    assert report.problem == "the personal values kept beside event 1 (test.personal) were altered"

    with session_scope() as session:
        row = session.exec(select(AuditPersonal)).one()
        row.values, row.salt = {}, None
        session.add(row)
    report = _verify()
    assert report.problem is not None
    assert "blanked, but the trail records no retention purge" in report.problem


def test_the_key_lives_outside_the_database_and_another_key_is_told_apart(
    monkeypatch: pytest.MonkeyPatch, cli: Invoke
) -> None:
    _append(2)
    key_file = get_settings().resolved_data_dir / "audit-key"
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0  # only its owner can read it
    with session_scope() as session:
        [head] = session.exec(select(AuditChainHead)).all()
    stored = json.dumps([e.model_dump(mode="json") for e in _rows()] + [head.model_dump()])
    assert key_file.read_text().strip() not in stored

    monkeypatch.setenv("PERMITS_AUDIT_KEY", "another key, not the one the trail was written with")
    get_settings.cache_clear()
    report = _verify()
    assert not report.ok
    assert report.problem is not None
    assert "not the key at hand" in report.problem
    assert report.advice is not None
    assert "PERMITS_AUDIT_KEY" in report.advice
    with pytest.raises(AuditKeyMismatch):
        _append(1, start=3)
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "restore the data folder's audit-key file" in _words(result.output)
