"""Intake with the applicant's details and a kind per file: details checked and stored, each
file's kind one the permit lists, the acknowledgement queued with the case, or nothing at all."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import SQLModel, func, select

from cases.db import session_scope
from cases.errors import InvalidDocument
from cases.intake import (
    ApplicantDetails,
    InvalidApplicant,
    Upload,
    check_applicant,
    submit,
)
from cases.models import (
    Applicant,
    AuditEvent,
    Case,
    DeliveryStatus,
    Document,
    MessageKind,
    OutboxMessage,
)
from cases.notifications import case_messages
from cases.vocabulary import Language
from tests.factories import FOOD

LIQUOR = "liquor-licence"
CHAN = ApplicantDetails("CHAN Tai Man", "chan@example.org", "91234567", Language.ZH_HANT)


def _png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (64, 48), color=shade).save(buffer, format="PNG")
    return buffer.getvalue()


def _row_counts() -> dict[str, int]:
    tables: list[type[SQLModel]] = [Case, Document, Applicant, AuditEvent, OutboxMessage]
    with session_scope() as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in tables
        }


NOTHING = {"Case": 0, "Document": 0, "Applicant": 0, "AuditEvent": 0, "OutboxMessage": 0}


# --- the details, checked (no database) ----------------------------------------------------------


def test_details_are_tidied_and_a_hong_kong_phone_normalised() -> None:
    details = check_applicant(
        name="  CHAN   Tai Man ",
        email=" chan@example.org ",
        phone="+852 9123-4567",
        preferred_language="zh-Hant",
    )
    assert details == ApplicantDetails(
        "CHAN Tai Man", "chan@example.org", "91234567", Language.ZH_HANT
    )


def test_an_overseas_phone_keeps_its_country_code_and_a_blank_one_is_none() -> None:
    assert check_applicant(name="Ann", email="a@b.co", phone="0044 20 7946 0958").phone == (
        "+442079460958"
    )
    assert check_applicant(name="Ann", email="a@b.co", phone=" ").phone is None


def test_every_wrong_detail_is_named_at_once() -> None:
    with pytest.raises(InvalidApplicant) as caught:
        check_applicant(name="", email="chan-at-example.org", phone="12", preferred_language="fr")
    assert caught.value.problems == {
        "name": "name_missing",
        "email": "email_shape",
        "phone": "phone_shape",
        "preferred_language": "language_unknown",
    }
    assert "email: This does not look like an e-mail address" in str(caught.value)
    assert caught.value.http_status == 422


@pytest.mark.parametrize(
    ("email", "problem"),
    [("", "email_missing"), ("a@b", "email_shape"), ("a b@c.org", "email_shape")],
)
def test_an_e_mail_needs_its_shape(email: str, problem: str) -> None:
    with pytest.raises(InvalidApplicant) as caught:
        check_applicant(name="Ann", email=email)
    assert caught.value.problems == {"email": problem}


def test_a_name_with_control_characters_is_refused() -> None:
    with pytest.raises(InvalidApplicant) as caught:
        check_applicant(name="Ann\u202eevil", email="a@b.co")
    assert caught.value.problems == {"name": "name_control"}


# --- submission with details and kinds ------------------------------------------------------------

pytest_db = pytest.mark.usefixtures("db")


@pytest_db
def test_details_are_stored_and_the_acknowledgement_queued_with_the_case() -> None:
    submission = submit(
        [
            Upload("id.png", _png(10), kind="id_card"),
            Upload("form.png", _png(20), kind="application_form"),
        ],
        permit_type_id=FOOD,
        actor="applicant",
        channel="online",
        applicant=CHAN,
    )
    with session_scope() as session:
        case = session.get(Case, submission.case.id)
        assert case is not None
        applicant = session.get(Applicant, case.applicant_id)
        assert applicant is not None
        assert (applicant.name, applicant.email, applicant.phone) == (
            "CHAN Tai Man",
            "chan@example.org",
            "91234567",
        )
        assert applicant.preferred_language == Language.ZH_HANT
        documents = session.exec(select(Document).where(Document.case_id == case.id)).all()
        messages = case_messages(session, case.id or 0)
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)
        ).all()
        recorded = session.exec(
            select(AuditEvent).where(AuditEvent.action == "applicant.recorded")
        ).one()
    # the kind each file was given, not the order they came in
    assert sorted((d.filename, d.kind) for d in documents) == [
        ("form.png", "application_form"),
        ("id.png", "id_card"),
    ]
    assert [(m.kind, m.language, m.recipient, m.status) for m in messages] == [
        (MessageKind.ACKNOWLEDGEMENT, Language.ZH_HANT, "chan@example.org", DeliveryStatus.PENDING)
    ]
    assert messages[0].facts["reference"] == submission.case.reference
    assert actions[:2] == ["case.submitted", "applicant.recorded"]
    assert actions[-1] == "message.queued"
    assert "chan@example.org" not in str(recorded.payload)  # the audit says which, not what


@pytest_db
def test_a_kind_the_permit_does_not_list_is_refused_naming_the_file() -> None:
    with pytest.raises(InvalidDocument) as caught:
        submit(
            [
                Upload("form.png", _png(30), kind="application_form"),
                Upload("id.png", _png(31), kind="id_card"),
                Upload("fire.png", _png(32), kind="fire_certificate"),  # a food licence's
            ],
            permit_type_id=LIQUOR,
            actor="applicant",
            channel="online",
            applicant=CHAN,
        )
    assert caught.value.filename == "fire.png"
    assert "does not take a document of kind 'fire_certificate'" in str(caught.value)
    assert "application_form, id_card" in str(caught.value)
    assert _row_counts() == NOTHING


@pytest_db
def test_a_missing_required_kind_is_refused_and_nothing_stored() -> None:
    with pytest.raises(InvalidDocument) as caught:
        submit(
            [Upload("form.png", _png(40), kind="application_form")],
            permit_type_id=FOOD,
            actor="applicant",
            channel="online",
            applicant=CHAN,
            require_complete=True,
        )
    assert "Copy of the applicant's Hong Kong identity card" in str(caught.value)
    assert "is required" in str(caught.value)
    assert _row_counts() == NOTHING


@pytest_db
def test_a_bad_file_with_details_stores_no_applicant_and_queues_nothing() -> None:
    with pytest.raises(InvalidDocument) as caught:
        submit(
            [
                Upload("form.png", _png(50), kind="application_form"),
                Upload("id.png", b"", kind="id_card"),
            ],
            permit_type_id=FOOD,
            actor="applicant",
            channel="online",
            applicant=CHAN,
        )
    assert str(caught.value).startswith("id.png: the file is empty")
    assert _row_counts() == NOTHING


@pytest_db
def test_without_details_the_applicant_is_empty_and_nothing_is_queued() -> None:
    submission = submit(
        [Upload("form.png", _png(60)), Upload("id.png", _png(61))],
        permit_type_id=FOOD,
        actor="counter",
        channel="test",
    )
    with session_scope() as session:
        assert case_messages(session, submission.case.id or 0) == []
        kinds = session.exec(select(Document.kind).order_by(Document.id)).all()
    assert kinds == ["application_form", "id_card"]


@pytest_db
def test_a_partial_set_of_kinds_is_taken_when_completeness_is_not_asked() -> None:
    """Staff and tests may add one document of a named kind; only the applicant's own channels
    (online, the API) must bring every required one."""
    submission = submit(
        [Upload("fs251.png", _png(70), kind="fire_certificate")],
        permit_type_id=FOOD,
        actor="counter",
        channel="test",
    )
    with session_scope() as session:
        kinds = session.exec(
            select(Document.kind).where(Document.case_id == submission.case.id)
        ).all()
    assert kinds == ["fire_certificate"]
