"""Each reviewer: what it must catch (a true positive, with its evidence) and what it must let
pass (the same thing written another way)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.intake import Upload
from cases.models import Document, Review
from cases.review import Finding, review_case
from cases.review.consistency import cross_check, document_checks, name_similarity
from tests.factories import GOOD_FIELDS, said, sample_application
from tests.review_cases import case_at_review, reference_of
from tools.bench.review import saved_again
from tools.samples.applications import SampleApplication

pytestmark = pytest.mark.usefixtures("db")


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# --- consistency (no database) -----------------------------------------------------------------


@pytest.mark.parametrize("written", ["Tai-man Chan", "T.M. CHAN", "chan  tai man", "CHAN, Tai Man"])
def test_a_name_written_another_way_is_the_same_person(written: str) -> None:
    assert name_similarity("CHAN Tai Man", written) == 100
    assert "name_mismatch" not in _codes(cross_check({**GOOD_FIELDS, "id_card_name": written}))


def test_another_persons_name_on_the_card_is_a_high_finding_naming_both() -> None:
    (finding,) = [
        f
        for f in cross_check({**GOOD_FIELDS, "id_card_name": "CHAN Siu Ming"})
        if f.code == "name_mismatch"
    ]
    assert finding.severity == "high"
    assert "CHAN Siu Ming" in said(finding.fact)
    assert finding.evidence.field_names == ["applicant_name", "id_card_name"]


def test_identity_numbers_compare_after_normalising() -> None:
    assert "id_number_mismatch" not in _codes(
        cross_check({**GOOD_FIELDS, "id_card_number": "a 123456 3"})
    )
    assert "id_number_mismatch" in _codes(
        cross_check({**GOOD_FIELDS, "id_card_number": "B765432(1)"})
    )


def test_the_tenancy_premises_written_with_abbreviations_match_the_form() -> None:
    values = {**GOOD_FIELDS, "tenancy_premises_address": "SHOP 1 GF 1 NATHAN RD TSIM SHA TSUI"}
    assert document_checks(values) == []


def test_other_premises_on_the_tenancy_or_the_certificate_are_each_a_finding() -> None:
    values = {
        **GOOD_FIELDS,
        "tenancy_premises_address": "Shop 1, G/F, 11 Nathan Road, Tsim Sha Tsui",
        "fire_cert_premises_address": "G/F, 3 Hennessy Road, Wan Chai",
    }
    findings = document_checks(values)
    assert _codes(findings) == ["address_mismatch", "address_mismatch"]
    assert "11 Nathan Road" in said(findings[0].fact)
    assert findings[1].evidence.field_names == ["premises_address", "fire_cert_premises_address"]


def test_a_tenant_who_is_the_business_or_the_applicant_passes_a_stranger_does_not() -> None:
    for tenant in ("GOLDEN NOODLE HOUSE", "Tai Man Chan"):
        assert document_checks({**GOOD_FIELDS, "tenancy_tenant": tenant}) == []
    (finding,) = document_checks({**GOOD_FIELDS, "tenancy_tenant": "Lucky Dragon Trading Ltd"})
    assert finding.code == "business_name_mismatch"


def test_a_fire_certificate_held_by_the_business_or_the_applicant_passes_another_does_not() -> None:
    for holder in ("Golden Noodle House", "T.M. CHAN"):
        assert document_checks({**GOOD_FIELDS, "fire_cert_holder": holder}) == []
    (finding,) = document_checks({**GOOD_FIELDS, "fire_cert_holder": "Red Lantern Bakery"})
    assert finding.code == "business_name_mismatch"
    assert finding.evidence.field_names == ["fire_cert_holder", "applicant_name", "business_name"]
    assert said(finding.fact) == (
        "Certificate holder names 'Red Lantern Bakery', neither the applicant (CHAN Tai Man) "
        "nor the business (Golden Noodle House)."
    )


def test_the_holder_finding_points_at_the_certificate_it_was_read_from() -> None:
    certificate = Upload("fire.pdf", _sample(1).form_png, kind="fire_certificate")
    case_id = case_at_review(
        [*_uploads(_sample(1)), certificate],
        {**GOOD_FIELDS, "fire_cert_holder": "Red Lantern Bakery"},
    )
    review_case(case_id)
    with session_scope() as session:
        document = session.exec(
            select(Document).where(Document.case_id == case_id, Document.kind == "fire_certificate")
        ).one()
    (holder, *_) = _findings(case_id)["business_name_mismatch"].evidence.fields
    assert (holder.name, holder.document_id, holder.page) == ("fire_cert_holder", document.id, 1)


def test_contradicting_dates_are_found_consistent_ones_are_not() -> None:
    good = {
        **GOOD_FIELDS,
        "fire_cert_inspection_date": "2026-01-15",
        "tenancy_signed_date": "2025-12-01",
        "tenancy_term_end": "2027-11-30",
    }
    assert document_checks(good) == []
    bad = {**good, "fire_cert_inspection_date": "2026-04-01", "tenancy_term_end": "2026-02-28"}
    findings = document_checks(bad)
    assert _codes(findings) == ["date_contradiction", "date_contradiction"]
    assert said(findings[0].fact) == (
        "Date of inspection (2026-04-01) should be on or before Date of application (2026-03-02)."
    )


# --- duplicates (database) ---------------------------------------------------------------------


@cache
def _sample(seed: int) -> SampleApplication:
    return sample_application(seed)


def _uploads(sample: SampleApplication, card: bytes | None = None) -> list[Upload]:
    return [Upload("form.png", sample.form_png), Upload("id-card.png", card or sample.id_card_png)]


def _findings(case_id: int) -> dict[str, Finding]:
    with session_scope() as session:
        review = session.exec(select(Review).where(Review.case_id == case_id)).one()
    return {f.code: f for f in (Finding.from_json(s) for s in review.findings["findings"])}


def _other_person() -> dict[str, str]:
    return {
        **GOOD_FIELDS,
        "applicant_name": "LEE Siu Ming",
        "id_card_name": "LEE Siu Ming",
        "hkid": "B765432(1)",
        "id_card_number": "B765432(1)",
        "premises_address": "G/F, 3 Hennessy Road, Wan Chai",
    }


def test_the_same_file_in_another_case_links_that_case() -> None:
    first = case_at_review(_uploads(_sample(1)))
    review_case(first)
    second = case_at_review(_uploads(_sample(1)), _other_person())
    review_case(second)
    found = _findings(second)
    assert found["duplicate_file"].evidence.cases[0].reference == reference_of(first)
    assert found["duplicate_file"].proposes_referral
    assert "duplicate_image" not in found  # the very file is reported once, as a file


def test_a_scan_saved_again_is_found_a_different_applicants_scan_is_not() -> None:
    first = case_at_review(_uploads(_sample(1)))
    review_case(first)
    card = saved_again(_sample(1).id_card_png)
    again = case_at_review(
        [Upload("form.png", _sample(2).form_png), Upload("id.jpg", card)], _other_person()
    )
    review_case(again)
    found = _findings(again)
    assert found["duplicate_image"].evidence.cases[0].reference == reference_of(first)
    with session_scope() as session:
        card = session.exec(
            select(Document).where(Document.case_id == again, Document.kind == "id_card")
        ).one()
    assert found["duplicate_image"].evidence.pages[0].document_id == card.id
    other = case_at_review(_uploads(_sample(3)), _other_person() | {"hkid": "C111111(1)"})
    review_case(other)
    assert "duplicate_image" not in _findings(other)


@pytest.mark.parametrize(("days_before", "repeat"), [(100, True), (400, False)])
def test_the_same_applicant_and_premises_within_the_window_are_repeats(
    days_before: int, repeat: bool
) -> None:
    now = dt.datetime.now(dt.UTC)
    first = case_at_review(_uploads(_sample(4)), submitted_at=now - dt.timedelta(days=days_before))
    review_case(first)
    second = case_at_review(_uploads(_sample(5)))
    review_case(second)
    found = _findings(second)
    assert ("repeat_applicant" in found, "repeat_premises" in found) == (repeat, repeat)
    if repeat:
        assert found["repeat_applicant"].evidence.cases[0].reference == reference_of(first)
        assert "100 days" in said(found["repeat_premises"].fact)
