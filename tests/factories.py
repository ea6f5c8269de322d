"""Plain factory functions for tests: synthetic scanned applications, cases at a stage, staff.

The builders' vocabulary: ``stored_case`` (a case row, no documents), ``read_field`` (a field as
extraction stores it), ``store_extraction`` (a submitted case's fields read and the case moved on
to extracting), ``checked_case`` (fields read and the real rules evaluated), ``decided_case``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from cases.access import Actor
from cases.audit import append_event
from cases.catalogue import get_permit_type, glossary_for
from cases.db import session_scope
from cases.documents import read_stored, store_bytes
from cases.eligibility import check_case_eligibility, eligibility_result, evaluate_ruleset
from cases.facts import Fact, render
from cases.intake import Upload, submit_application
from cases.letters import issue_letters
from cases.lifecycle import CaseStatus
from cases.models import (
    Applicant,
    Case,
    Document,
    ExtractedField,
    FieldStatus,
    InformationRequest,
    Letter,
    Role,
    utcnow,
)
from cases.notifications import send_due_messages
from cases.repository import get_case, transition
from cases.vocabulary import Language
from tools.samples.applications import SampleApplication, generate_application

FOOD = "food-business-licence"
CASEWORKER = Actor("test.caseworker", Role.CASEWORKER)
# Works every task, the senior queue's too (a second case sent the same files is referred there).
SENIOR = Actor("test.senior", Role.SENIOR_CASEWORKER)

# Values that pass every rule of the 2026 rule set, for every field the permit defines.
GOOD_FIELDS = {
    "applicant_name": "CHAN Tai Man",
    "hkid": "A123456(3)",
    "phone": "91234567",
    "business_name": "Golden Noodle House",
    "premises_address": "Shop 1, G/F, 1 Nathan Road, Tsim Sha Tsui",
    "business_type": "Restaurant",
    "floor_area_m2": "60",
    "seating_capacity": "40",
    "hygiene_staff": "1",
    "fire_certificate_no": "FSD-2026-01234",
    "application_date": "2026-03-02",
    "id_card_name": "CHAN Tai Man",
    "id_card_number": "A123456(3)",
    "has_fire_certificate": "yes",
    "agrees_to_inspection": "yes",
}
_REFERENCES = itertools.count(1)
APPLICATION_DATE = dt.date(2026, 3, 2)


def stored_case(
    session: Session,
    *,
    reference: str | None = None,
    permit_type: str = FOOD,
    status: CaseStatus = CaseStatus.CHECKING,
    **columns: Any,
) -> int:
    """A case row stored directly, with no documents (reference ``TEST-nnnnnn`` unless given);
    ``columns`` are any other of its columns. Returns its id."""
    case = Case(
        reference=reference or f"TEST-{next(_REFERENCES):06d}",
        permit_type=permit_type,
        status=status,
        **columns,
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    return case.id


def read_field(case_id: int, name: str, value: str, **columns: Any) -> ExtractedField:
    """A field as extraction stores it: read as written, confidence 0.95, accepted, unless
    ``columns`` say otherwise."""
    read: dict[str, Any] = {
        "raw_text": value,
        "confidence": 0.95,
        "engine": "test",
        "status": FieldStatus.ACCEPTED,
    }
    return ExtractedField(case_id=case_id, name=name, value=value, **read | columns)


def store_extraction(
    session: Session,
    case_id: int,
    fields: Mapping[str, str],
    columns: Callable[[str], Mapping[str, Any]] = lambda _name: {},
) -> Case:
    """Store a submitted case's ``fields`` as extraction would (``columns(name)``: a field's
    other columns) and move the case on to extracting; returns the case, locked."""
    for name, value in fields.items():
        session.add(read_field(case_id, name, value, **columns(name)))
    case = get_case(session, case_id, for_update=True)
    case.application_date = APPLICATION_DATE
    transition(session, case, CaseStatus.EXTRACTING, actor="test", why="test setup")
    return case


def checked_case(
    fields: Mapping[str, str] | None = None,
    *,
    base: Mapping[str, str] = GOOD_FIELDS,
    reference: str | None = None,
) -> int:
    """A case (no documents) with these fields over ``base``, its rules evaluated by the real
    eligibility stage. Returns its id."""
    with session_scope() as session:
        case_id = stored_case(session, reference=reference, application_date=APPLICATION_DATE)
        for name, value in {**base, **(fields or {})}.items():
            session.add(read_field(case_id, name, value))
    check_case_eligibility(case_id)
    return case_id


def sample_application(
    seed: int,
    *,
    overrides: Mapping[str, str] | None = None,
    blur_fields: frozenset[str] = frozenset(),
) -> SampleApplication:
    permit_type = get_permit_type(FOOD)
    labels = {f.name: f.label.en for f in permit_type.permit.fields}
    return generate_application(
        permit_type.form, seed, overrides=overrides, blur_fields=blur_fields, labels=labels
    )


def said(fact: Fact | None, permit_type: str = FOOD) -> str:
    """A stored fact as the audit trail says it: in English, with the permit's labels."""
    return render(fact, glossary_for(get_permit_type(permit_type)))


def uploads_for(sample: SampleApplication) -> list[Upload]:
    return [Upload("form.png", sample.form_png), Upload("id-card.png", sample.id_card_png)]


def submit_sample(sample: SampleApplication) -> Case:
    return submit_application(
        uploads_for(sample), permit_type_id=FOOD, actor="test", channel="test"
    )


def propose_from_checking(case_id: int) -> int:
    """Run the real eligibility, review and proposal stages; return the decide task's id."""
    from cases.eligibility import check_case_eligibility
    from cases.review import review_case
    from cases.stages import propose

    check_case_eligibility(case_id)
    review_case(case_id)
    task = propose(case_id)
    assert task is not None
    assert task.id is not None
    return task.id


def decided_case(
    outcome: str = "approve",
    reason: str = "",
    *,
    permit_type: str = FOOD,
    language: Language | None = None,
    values: Mapping[str, object] | None = None,
) -> int:
    """A case a caseworker has just decided, stored directly (no OCR): where the letter stage
    starts. With ``language`` it has an applicant who reads that language; with ``values`` its
    rules were evaluated on them (so a refusal has failed rules to cite). Returns its id."""
    ruleset = get_permit_type(permit_type).ruleset_for(APPLICATION_DATE)
    with session_scope() as session:
        applicant = None
        if language is not None:
            applicant = Applicant(name="Chan Tai Man", preferred_language=language)
            session.add(applicant)
            session.flush()
        case_id = stored_case(
            session,
            permit_type=permit_type,
            status=CaseStatus.DECIDED,
            application_date=APPLICATION_DATE,
            ruleset_version=ruleset.version,
            decided_outcome=outcome,
            decision_reason=reason or None,
            applicant_id=applicant.id if applicant else None,
        )
        if values is not None:
            evaluation = evaluate_ruleset(ruleset, dict(values))
            session.add(eligibility_result(case_id, ruleset, evaluation))
        return case_id


def letter_pdf(letter: Letter) -> bytes:
    """The issued letter's PDF, read from where its row says it is stored."""
    return read_stored(letter.pdf_path)


SHARED_SCAN = b"%PDF-1.4 the same fire certificate, sent by two applicants"
# A restaurant of 8 m2 with 40 seats: refused (FBL-1) and referred (FBL-4).
SMALL_RESTAURANT = {
    "floor_area_m2": 8,
    "business_type": "Restaurant",
    "hygiene_staff": 1,
    "seating_capacity": 40,
    "fire_certificate_no": "FSD-2026-01234",
}
FIELDS = {"applicant_name": "CHAN Tai Man", "hkid": "A123456(3)", "floor_area_m2": "8"}


def closed_case(unique: bytes, *, years_ago: int) -> int:
    """A refused food business case with an applicant, fields, two documents (one of them the
    shared scan), a request, a letter and a message sent, closed ``years_ago`` years ago."""
    case_id = decided_case(
        "refuse", "Mr CHAN's premises are too small", language=Language.EN, values=SMALL_RESTAURANT
    )
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        applicant = session.get(Applicant, case.applicant_id)
        assert applicant is not None
        applicant.hkid, applicant.email, applicant.phone = (
            "A123456(3)",
            "chan@example.hk",
            "91234567",
        )
        for content in (unique, SHARED_SCAN):
            digest = store_bytes(content)
            session.add(
                Document(
                    case_id=case_id, kind="fire_certificate", filename="chan-tai-man.pdf",
                    sha256=digest, media_type="application/pdf", size_bytes=len(content),
                )
            )  # fmt: skip
        for name, value in FIELDS.items():
            session.add(ExtractedField(case_id=case_id, name=name, value=value, raw_text=value))
        request = InformationRequest(
            case_id=case_id, what="Mr CHAN, send your tenancy", due_on=dt.date(2026, 4, 1),
            requested_by="test.caseworker", answer_note="I am CHAN Tai Man, A123456(3)",
        )  # fmt: skip
        session.add(request)
        append_event(
            session, actor="test", action="test.noted", case_id=case_id,
            payload={"request": 1}, personal={"note": "I am CHAN Tai Man, A123456(3)"},
        )  # fmt: skip
    issue_letters(case_id)
    send_due_messages(limit=50)
    with session_scope() as session:
        session.execute(
            text('UPDATE "case" SET closed_at = :at WHERE id = :id'),
            {"at": utcnow() - dt.timedelta(days=365 * years_ago + 2), "id": case_id},
        )
    return case_id
