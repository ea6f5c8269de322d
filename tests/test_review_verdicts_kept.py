"""A caseworker's verdict on a finding survives the review being made again (after the applicant
answers a request for information): the same finding (same code, same evidence) comes back
with its verdict; a finding no longer found keeps its verdict in the record, shown as resolved;
both are audited with the review."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import select

from cases.access import Actor
from cases.db import session_scope
from cases.eligibility import check_case_eligibility
from cases.extraction import extract_case
from cases.intake import Upload, answer_request
from cases.models import AuditEvent, FindingVerdict, Role
from cases.queries import case_summary
from cases.review import Finding, ReviewContext, finding_stats, mark_finding, review_case
from cases.review import service as review_service
from cases.review.record import review_record
from cases.vocabulary import Severity
from tests.test_information_requests import _asked, certificate_reader
from tests.web.test_web import png

pytestmark = pytest.mark.usefixtures("db")

CASEWORKER = Actor("casey", Role.CASEWORKER)


@dataclass
class _Scripted:
    """A reviewer that finds what the test says: one missing-evidence finding per field named."""

    fields: list[str] = field(default_factory=list)
    name: str = "scripted"
    version: str = "1.0"
    model_name: str | None = None
    weights_hash: str | None = None
    on_by_default: bool = False

    def review(self, ctx: ReviewContext) -> list[Finding]:
        return [
            Finding({"code": "missing_evidence", "field": name}, Severity.INFO, ctx.evidence(name))
            for name in self.fields
        ]


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> _Scripted:
    reviewer = _Scripted(["phone", "business_name"])
    chosen = review_service.reviewers_for
    monkeypatch.setattr(review_service, "reviewers_for", lambda p: [*chosen(p), reviewer])
    return reviewer


def _index(case_id: int, field_name: str) -> int:
    with session_scope() as session:
        record = review_record(session, case_id)
    assert record is not None
    (index,) = [
        m.index
        for m in record.findings
        if m.finding.reviewer == "scripted" and m.finding.fact["field"] == field_name
    ]
    return index


def _reviewed_again(case_id: int, reference: str, code: str, monkeypatch: Any) -> None:
    """The applicant answers; the case is read, checked and reviewed again."""
    answer_request(reference, code, [Upload("cert.png", png(), kind="fire_certificate")], "")
    monkeypatch.setattr("cases.extraction.service.read_documents", certificate_reader([]))
    extract_case(case_id)
    check_case_eligibility(case_id)
    review_case(case_id)


def test_verdicts_follow_their_findings_through_a_new_review(
    scripted: _Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, reference, code = _asked()
    mark_finding(case_id, _index(case_id, "phone"), "confirmed", "", actor=CASEWORKER)
    mark_finding(
        case_id, _index(case_id, "business_name"), "dismissed", "on the shop sign", actor=CASEWORKER
    )
    scripted.fields = ["business_name"]  # the phone is no longer missing; the business name is
    _reviewed_again(case_id, reference, code, monkeypatch)

    with session_scope() as session:
        record = review_record(session, case_id)
        summary = case_summary(case_id, session=session)
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.case_id == case_id, AuditEvent.action == "review.completed")
            .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
        ).first()
        stats = {s.code: s for s in finding_stats(session)}
    assert record is not None
    (kept,) = [m for m in record.findings if m.finding.reviewer == "scripted"]
    assert kept.verdict is not None
    assert (kept.verdict.verdict, kept.verdict.reason) == ("dismissed", "on the shop sign")
    assert kept.index == _index(case_id, "business_name")
    (resolved,) = record.resolved
    assert resolved.finding.fact == {"code": "missing_evidence", "field": "phone"}
    assert (resolved.verdict.verdict, resolved.verdict.decided_by) == ("confirmed", "casey")
    assert summary.review is not None
    assert [f.fact["field"] for f in summary.review.resolved] == ["phone"]
    assert summary.review.resolved[0].verdict == "confirmed"
    assert event is not None
    assert event.payload["verdicts"] == {
        "kept": ["missing_evidence"],
        "resolved": ["missing_evidence"],
    }
    # what the reviewers learn from still counts both
    assert (stats["missing_evidence"].confirmed, stats["missing_evidence"].dismissed) == (1, 1)


def test_a_resolved_finding_that_comes_back_takes_its_verdict_back(
    scripted: _Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, reference, code = _asked()
    mark_finding(case_id, _index(case_id, "phone"), "dismissed", "called back", actor=CASEWORKER)
    with session_scope() as session:
        (verdict,) = session.exec(
            select(FindingVerdict).where(FindingVerdict.case_id == case_id)
        ).all()
    scripted.fields = ["phone", "applicant_name"]  # same finding, and one nobody marked yet
    _reviewed_again(case_id, reference, code, monkeypatch)
    with session_scope() as session:
        record = review_record(session, case_id)
        again = session.get(FindingVerdict, verdict.id)
    assert record is not None
    assert record.resolved == []
    marked = {m.finding.fact["field"]: m.verdict for m in record.findings if m.verdict}
    assert list(marked) == ["phone"]
    assert again is not None
    assert again.review_id == record.review.id  # the same row, not a copy
