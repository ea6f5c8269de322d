"""Retention: a case closed longer ago than its permit type's ``retention_years`` loses its files
and personal data and keeps its decision record; a document another case still holds stays until
that case goes too; the audit chain still verifies; a dry run changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import select

from cases.audit import readable_payload, values_beside, verify_chain
from cases.db import session_scope
from cases.documents import document_path, resolve_stored_path
from cases.letters import issue_letters
from cases.models import (
    Applicant,
    AuditEvent,
    Case,
    CaseKey,
    Document,
    EligibilityResult,
    ExtractedField,
    FindingVerdict,
    InformationRequest,
    Letter,
    OutboxMessage,
    Review,
    ReviewRun,
    utcnow,
)
from cases.retention import TOMBSTONE, run_retention
from cases.settings import get_settings
from cases.vocabulary import Risk
from tests.conftest import Invoke
from tests.factories import closed_case, decided_case

pytestmark = pytest.mark.usefixtures("db")


def _files(case_id: int) -> list[str]:
    with session_scope() as session:
        documents = session.exec(select(Document).where(Document.case_id == case_id)).all()
        letters = session.exec(select(Letter).where(Letter.case_id == case_id)).all()
        return [d.sha256 for d in documents] + [letter.pdf_path for letter in letters]


def _exists(stored: str) -> bool:
    path = document_path(stored) if "/" not in stored else resolve_stored_path(stored)
    return path.exists()


def _eml_files(case_id: int) -> list[str]:
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        reference = case.reference
    return [p.name for p in get_settings().outbox_dir.glob(f"{reference}-*.eml")]


def test_a_purge_keeps_the_decision_record_and_removes_files_and_personal_data() -> None:
    first = closed_case(b"first applicant's own scan", years_ago=8)
    second = closed_case(b"second applicant's own scan", years_ago=1)
    unique, shared, letter = _files(first)
    assert _eml_files(first)
    with session_scope() as session:
        before = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == first)
        ).one()
        failed_before = [r["rule_id"] for r in before.trace["rules"] if r["status"] == "failed"]

    report = run_retention()

    assert [c.case_id for c in report.cases] == [first]  # the second is within its 7 years
    [purge] = report.cases
    # its own scan and its letter (PDF and HTML) go; the scan the second case also sent stays
    assert (purge.documents, purge.files_removed, purge.files_shared) == (2, 3, 1)
    assert not _exists(unique)
    assert not _exists(letter)
    assert _exists(shared)  # the second case still holds the same scan
    assert _eml_files(first) == []
    with session_scope() as session:
        case = session.get(Case, first)
        assert case is not None
        assert case.purged_at is not None
        assert (case.status, case.decided_outcome) == ("letter_issued", "refuse")
        assert case.ruleset_version is not None
        assert case.decision_reason == TOMBSTONE
        applicant = session.get(Applicant, case.applicant_id)
        assert applicant is not None
        assert (applicant.name, applicant.hkid, applicant.email, applicant.phone) == (
            TOMBSTONE, None, None, None,
        )  # fmt: skip
        result = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == first)
        ).one()
        assert (result.outcome, result.fee) == (before.outcome, before.fee)
        assert [r["rule_id"] for r in result.trace["rules"] if r["status"] == "failed"] == (
            failed_before
        )
        fields = {
            f.name: f.value
            for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == first))
        }
        # the floor area is no one's personal data; a name and an identity card number are
        assert fields == {"applicant_name": TOMBSTONE, "hkid": TOMBSTONE, "floor_area_m2": "8"}
        request = session.exec(
            select(InformationRequest).where(InformationRequest.case_id == first)
        ).one()
        assert (request.what, request.answer_note) == (TOMBSTONE, TOMBSTONE)
        message = session.exec(select(OutboxMessage).where(OutboxMessage.case_id == first)).one()
        assert (message.recipient, message.facts) == (None, {})
        document = session.exec(select(Document).where(Document.case_id == first)).first()
        assert document is not None
        assert document.filename == TOMBSTONE
        # nothing of the person is left in the audit trail's values either
        events = session.exec(select(AuditEvent).where(AuditEvent.case_id == first)).all()
        kept = values_beside(session, events)
        shown = json.dumps([readable_payload(e, kept.get(e.id or 0)) for e in events])
        assert "CHAN" not in shown
        assert "A123456" not in shown
        assert verify_chain(session).ok
    [purged] = [e for e in events if e.action == "case.purged"]
    assert purged.actor == "system:retention"
    assert purged.payload["files_removed"] == 3
    assert purged.payload["files_shared"] == 1
    assert purged.payload["fields_blanked"] == 2
    assert report.anchor is not None
    assert report.anchor.seq == purged.seq  # the head after the purge is anchored outside

    # A year on, the second case's period has not ended either; years later it has, and the
    # shared scan goes with it.
    assert run_retention().cases == []
    later = utcnow() + dt.timedelta(days=365 * 7)
    [second_purge] = run_retention(later).cases
    assert second_purge.case_id == second
    assert not _exists(shared)
    with session_scope() as session:
        assert verify_chain(session).ok


def test_a_dry_run_lists_what_would_go_and_writes_nothing(cli: Invoke) -> None:
    case_id = closed_case(b"a scan nobody else sent", years_ago=8)
    files = _files(case_id)
    with session_scope() as session:
        events = len(session.exec(select(AuditEvent)).all())

    result = cli("retention", "run", "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    [listed] = report["cases"]
    assert listed["case_id"] == case_id
    assert (listed["documents"], listed["letters"], listed["files_removed"]) == (2, 1, 4)
    assert listed["requests"] == 1
    assert all(_exists(f) for f in files)
    assert not get_settings().resolved_audit_anchor_file.exists()
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.purged_at is None
        assert len(session.exec(select(AuditEvent)).all()) == events


def test_the_command_purges_and_says_what_went(cli: Invoke) -> None:
    closed_case(b"one more scan", years_ago=8)
    result = cli("retention", "run")
    assert result.exit_code == 0, result.output
    words = " ".join(result.stdout.split())
    assert "1 cases purged; audit chain anchored at event" in words
    again = cli("retention", "run")
    assert "no closed case has passed its retention period" in again.stdout
    assert cli("audit", "verify").exit_code == 0


def test_a_case_closes_when_its_letter_is_issued_and_only_then() -> None:
    case_id = decided_case("approve")
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.closed_at is None  # decided, letter not yet out: still open
    issue_letters(case_id)
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status == "letter_issued"
        assert case.closed_at is not None
        assert case.closed_at == case.updated_at
    # closed today: seven years from now it is due, not before
    assert run_retention(dry_run=True).cases == []
    later = utcnow() + dt.timedelta(days=365 * 7 + 2)
    assert [c.case_id for c in run_retention(later, dry_run=True).cases] == [case_id]


def test_a_purge_takes_the_review_s_names_and_what_made_the_case_findable_as_a_repeat() -> None:
    case_id = closed_case(b"an applicant reviewed before", years_ago=8)
    mismatch = {
        "fact": {"code": "name_mismatch", "form_name": "CHAN Tai Man", "card_name": "CHEN Tai"},
        "severity": "high",
        "evidence": [{"field": "applicant_name"}],
    }
    with session_scope() as session:
        review = Review(
            case_id=case_id, reviewer="all", reviewer_version="1", inputs_hash="0" * 64,
            risk=Risk.HIGH, findings={"findings": [mismatch]},
        )  # fmt: skip
        session.add(review)
        session.flush()
        assert review.id is not None
        session.add(
            ReviewRun(
                review_id=review.id, case_id=case_id, reviewer="consistency", version="1",
                inputs_hash="0" * 64, findings=[mismatch],
            )
        )  # fmt: skip
        session.add(
            FindingVerdict(
                review_id=review.id, case_id=case_id, finding_index=0, code="name_mismatch",
                verdict="confirmed", reason="CHAN is CHEN on his card", decided_by="casey",
            )
        )  # fmt: skip
        session.add(CaseKey(case_id=case_id, kind="hkid", value="A1234563", submitted_at=utcnow()))

    [purge] = run_retention().cases

    assert purge.case_id == case_id
    with session_scope() as session:
        stored = [
            *session.exec(select(Review.findings).where(Review.case_id == case_id)),
            *session.exec(select(ReviewRun.findings).where(ReviewRun.case_id == case_id)),
            *session.exec(select(FindingVerdict.reason).where(FindingVerdict.case_id == case_id)),
        ]
        shown = json.dumps(stored)
        assert "CHAN" not in shown
        assert "CHEN" not in shown
        assert "name_mismatch" in shown  # what kind of finding it was stays
        # a later application by the same person is no longer matched with a purged case
        assert session.exec(select(CaseKey).where(CaseKey.case_id == case_id)).all() == []
        assert verify_chain(session).ok
