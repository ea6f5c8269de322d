"""Four cases whose KPIs are worked out by hand in tests/test_kpi.py (and used by the web tests).

  C1 food, submitted Mon 2026-03-02 09:00, closed, approved: fields verified (waited 2 h, worked
     2 h), decided unclaimed after 48 h on 03-05 09:00: turnaround 3 days.
  C2 food, submitted 03-02 09:00, letter issued, refused: decision task claimed after 192 h,
     worked 48 h, completed 03-12 10:00 after its due time 03-09: turnaround 10 days, a breach;
     a request for information answered in 24 h.
  C3 temporary event, submitted Mon 03-09 09:00, awaiting decision: first approval after 2 h,
     the second step open since 03-09 12:00 and overdue (due 03-19).
  C4 temporary event, submitted Mon 01-05 09:00, awaiting verification, task open since 10:00.
Now is 2026-03-20 12:00 UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Session

from cases.audit import append_event
from cases.lifecycle import CaseStatus
from cases.models import (
    Applicant,
    ApprovalTask,
    EligibilityResult,
    FieldStatus,
    FindingVerdict,
    InformationRequest,
    RequestResolution,
    Review,
    Role,
    TaskKind,
    TaskStatus,
)
from cases.vocabulary import Decision, Outcome, Risk
from tests.factories import read_field, stored_case

FOOD, EVENT = "food-business-licence", "temporary-event-permit"
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


def at(month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=dt.UTC)


def _case(
    session: Session,
    n: int,
    permit: str,
    status: CaseStatus,
    submitted: dt.datetime,
    decided: Decision | None = None,
) -> int:
    applicant = Applicant(
        name=f"CHAN Tai Man {n}", hkid="A123456(3)", phone="91234567", email=f"chan{n}@example.com"
    )
    session.add(applicant)
    session.flush()
    return stored_case(
        session,
        reference=f"KPI-2026-{n:04d}",
        permit_type=permit,
        status=status,
        applicant_id=applicant.id,
        submitted_at=submitted,
        decided_outcome=decided,
        ruleset_version="2026" if status != CaseStatus.AWAITING_VERIFICATION else None,
    )


def _task(
    session: Session,
    case_id: int,
    kind: TaskKind,
    created: dt.datetime,
    due: dt.datetime,
    **columns: object,
) -> None:
    session.add(
        ApprovalTask(
            case_id=case_id,
            kind=kind,
            created_at=created,
            due_at=due,
            required_role=Role.CASEWORKER,
            **columns,
        )
    )


def _evaluated(session: Session, case_id: int, permit: str, failed: list[str]) -> None:
    outcome = Outcome.REFER if failed else Outcome.APPROVE
    session.add(
        EligibilityResult(
            case_id=case_id,
            ruleset_version="2026",
            outcome=outcome,
            fee=Decimal("1200.00"),
            trace={"rules": [{"rule_id": r, "passed": False} for r in failed]},
        )
    )
    append_event(
        session,
        actor="system:eligibility",
        action="eligibility.evaluated",
        case_id=case_id,
        payload={"ruleset": f"{permit}/2026", "failed_rules": failed},
    )


def _field(
    session: Session,
    case_id: int,
    name: str,
    value: str,
    status: FieldStatus = FieldStatus.ACCEPTED,
    original: str | None = None,
) -> None:
    session.add(
        read_field(case_id, name, value, status=status, original_value=original, confidence=0.9)
    )


def _review(session: Session, case_id: int, codes: list[str], verdict: str | None = None) -> None:
    """A review finding ``codes``; ``verdict`` is a caseworker's word on its first finding."""
    findings = [{"fact": {"code": c}, "severity": "warning", "evidence": []} for c in codes]
    review = Review(
        case_id=case_id,
        reviewer="consistency",
        reviewer_version="1",
        inputs_hash="0" * 64,
        risk=Risk.MEDIUM,
        findings={"findings": findings},
    )
    session.add(review)
    session.flush()
    if verdict is not None and review.id is not None:
        session.add(
            FindingVerdict(
                review_id=review.id, case_id=case_id, finding_index=0, code=codes[0],
                verdict=verdict, reason="seen on the card", decided_by="casey",
            )
        )  # fmt: skip


def seed_kpi_cases(session: Session) -> dict[str, int]:
    done = TaskStatus.DONE
    c1 = _case(session, 1, FOOD, CaseStatus.CLOSED, at(3, 2, 9), Decision.APPROVE)
    _task(
        session,
        c1,
        TaskKind.VERIFY_FIELDS,
        at(3, 2, 10),
        at(3, 10, 0),
        status=done,
        claimed_by="casey",
        claimed_at=at(3, 2, 12),
        completed_at=at(3, 2, 14),
    )
    _task(
        session,
        c1,
        TaskKind.DECIDE,
        at(3, 3, 9),
        at(3, 10, 0),
        status=done,
        completed_at=at(3, 5, 9),
        decision=Decision.APPROVE,
    )
    _field(session, c1, "applicant_name", "CHAN Tai Man", FieldStatus.VERIFIED, "CHAN TAl MAN")
    _field(session, c1, "business_name", "Golden Noodle House")
    _evaluated(session, c1, FOOD, [])
    _review(session, c1, ["name_mismatch", "missing_evidence"], verdict="dismissed")

    c2 = _case(session, 2, FOOD, CaseStatus.LETTER_ISSUED, at(3, 2, 9), Decision.REFUSE)
    _task(
        session,
        c2,
        TaskKind.DECIDE,
        at(3, 2, 10),
        at(3, 9, 0),
        status=done,
        claimed_by="casey",
        claimed_at=at(3, 10, 10),
        completed_at=at(3, 12, 10),
        decision=Decision.REFUSE,
    )
    _field(session, c2, "applicant_name", "LEE Siu Ming")
    _field(session, c2, "business_name", "Lucky Cafe", FieldStatus.VERIFIED)
    _evaluated(session, c2, FOOD, ["FBL-4", "FBL-10"])
    _review(session, c2, ["name_mismatch"], verdict="confirmed")
    session.add(
        InformationRequest(
            case_id=c2,
            what="A clearer copy",
            due_on=dt.date(2026, 3, 17),
            requested_by="casey",
            requested_at=at(3, 3, 9),
            resolution=RequestResolution.ANSWERED,
            resolved_at=at(3, 4, 9),
        )
    )

    c3 = _case(session, 3, EVENT, CaseStatus.AWAITING_DECISION, at(3, 9, 9))
    _task(
        session,
        c3,
        TaskKind.DECIDE,
        at(3, 9, 10),
        at(3, 20, 0),
        status=done,
        completed_at=at(3, 9, 12),
        decision=Decision.APPROVE,
    )
    _task(
        session,
        c3,
        TaskKind.DECIDE,
        at(3, 9, 12),
        at(3, 19, 0),
        step=2,
        first_decision=Decision.APPROVE,
        first_decision_by="casey",
    )
    _evaluated(session, c3, EVENT, ["TEP-2"])

    c4 = _case(session, 4, EVENT, CaseStatus.AWAITING_VERIFICATION, at(1, 5, 9))
    _task(session, c4, TaskKind.VERIFY_FIELDS, at(1, 5, 10), at(4, 1, 0))
    session.commit()
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4}
