"""Human verification for a reason: a random quality sample, and the correction rate per field."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from cases.catalogue import PermitType, get_permit_type
from cases.db import session_scope
from cases.extraction import (
    FieldCorrectionRate,
    correction_rates,
    extract_case,
    flag_reason,
    in_quality_sample,
)
from cases.gates import verify_fields
from cases.intake import Upload, submit_application
from cases.models import ApprovalTask, ExtractedField, FieldStatus
from tests.conftest import Invoke
from tests.factories import CASEWORKER, FOOD, said
from tools.samples.applications import random_truth, typed_form_pdf


def _sampling(percent: float) -> PermitType:
    food = get_permit_type(FOOD)
    permit = food.permit.model_copy(update={"quality_sample_percent": percent})
    return food.model_copy(update={"permit": permit})


def test_the_quality_sample_takes_the_configured_share_and_is_the_same_on_every_run() -> None:
    five = _sampling(5)
    chosen = [case_id for case_id in range(1, 10_001) if in_quality_sample(five, case_id)]
    assert 450 <= len(chosen) <= 550
    assert chosen == [case_id for case_id in range(1, 10_001) if in_quality_sample(five, case_id)]
    assert not any(in_quality_sample(_sampling(0), case_id) for case_id in range(1, 1001))
    assert all(in_quality_sample(_sampling(100), case_id) for case_id in range(1, 1001))


def test_the_food_licence_samples_no_case_unless_an_admin_sets_a_share() -> None:
    assert get_permit_type(FOOD).permit.quality_sample_percent == 0


def _extracted_case(monkeypatch: pytest.MonkeyPatch, seed: int) -> int:
    """A typed-PDF application (read without OCR) extracted with every case in the sample."""
    food = get_permit_type(FOOD)
    labels = {spec.name: spec.label.en for spec in food.permit.fields}
    pdf = typed_form_pdf(food.form, random_truth(seed), labels)
    case = submit_application(
        [Upload("form.pdf", pdf)], permit_type_id=FOOD, actor="t", channel="t"
    )
    assert case.id is not None
    monkeypatch.setattr("cases.extraction.service.get_permit_type", lambda _: _sampling(100))
    extract_case(case.id)
    return case.id


def test_handwriting_that_reads_two_ways_is_checked_by_a_person_who_sees_both() -> None:
    business = get_permit_type(FOOD).permit.field("business_name")
    assert said(flag_reason(business, "TADE GARDEN CAFE", 0.92, None, "JADE GARDEN CAFE")) == (
        "the handwriting reads two ways: 'TADE GARDEN CAFE' or 'JADE GARDEN CAFE'; "
        "check which is written"
    )
    assert flag_reason(business, "JADE GARDEN CAFE", 0.92, None, "JADE GARDEN CAFE") is None


def test_a_number_outside_its_usual_range_is_checked_by_a_person() -> None:
    """A handwritten 4.2 whose decimal point was lost reads as 42, at full confidence."""
    height = get_permit_type("temporary-event-permit").permit.field("structure_height_m")
    assert said(flag_reason(height, "42", 1.0, None)) == (
        "42 is outside the usual 0.5 to 20; check it against the document "
        "(a decimal point is easily lost)"
    )
    assert flag_reason(height, "4.2", 1.0, None) is None


def test_two_ways_of_writing_one_value_are_one_reading() -> None:
    address = get_permit_type(FOOD).permit.field("premises_address")
    first, second = "SHOP 5, VF, 18 NATHAN ROAD, KOWLOON", "SHOP 5 1/F, 18 NATHAN ROAD' KOWLOON"
    assert flag_reason(address, first, 0.8, None, second) is None


@pytest.mark.usefixtures("db")
def test_a_sampled_case_has_every_confident_field_checked_by_a_person(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = _extracted_case(monkeypatch, 31)
    with session_scope() as session:
        fields = {
            f.name: f
            for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case_id))
        }
    assert {f.status for f in fields.values()} == {FieldStatus.FLAGGED}
    assert said(fields["applicant_name"].flag) == (
        "quality sample: 100% of cases are checked by a person at random"
    )
    assert said(fields["id_card_number"].flag) == "required field is empty or could not be read"


@pytest.mark.usefixtures("db")
def test_correction_rate_per_field_counts_what_people_changed(
    monkeypatch: pytest.MonkeyPatch, cli: Invoke
) -> None:
    for seed, corrected_name in ((32, "NG Siu Ming"), (33, None)):
        case_id = _extracted_case(monkeypatch, seed)
        truth = random_truth(seed)
        corrections = {"id_card_name": truth["applicant_name"], "id_card_number": truth["hkid"]}
        if corrected_name:
            corrections["applicant_name"] = corrected_name
        with session_scope() as session:
            task = session.exec(select(ApprovalTask).where(ApprovalTask.case_id == case_id)).one()
        assert task.id is not None
        verify_fields(task.id, corrections, actor=CASEWORKER)
    with session_scope() as session:
        rates = {rate.name: rate for rate in correction_rates(session=session)}
    assert rates["applicant_name"] == FieldCorrectionRate("applicant_name", 2, 1, 2)
    assert rates["applicant_name"].rate == 0.5
    assert rates["hkid"] == FieldCorrectionRate("hkid", 2, 0, 2)
    assert rates["id_card_number"].rate == 1.0  # nothing was read: the person typed it
    assert next(iter(rates)) in {"id_card_name", "id_card_number"}  # worst first
    result = cli("ocr", "corrections", "--json")  # what an operator asks for
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["applicant_name"] == {
        "name": "applicant_name", "total": 2, "corrected": 1, "extracted": 2, "rate": 0.5
    }  # fmt: skip


@pytest.mark.usefixtures("db")
def test_corrections_on_a_new_database_say_there_is_nothing_yet(cli: Invoke) -> None:
    result = cli("ocr", "corrections")
    assert result.exit_code == 0, result.output
    assert "no fields have been extracted yet" in result.output
