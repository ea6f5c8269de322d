"""Plain factory functions for tests: synthetic scanned applications and staff actors."""

from __future__ import annotations

from collections.abc import Mapping

from cases.access import Actor
from cases.catalogue import get_permit_type, glossary_for
from cases.facts import Fact, render
from cases.intake import Upload, submit_application
from cases.models import Case, Role
from tools.samples.applications import SampleApplication, generate_application

FOOD = "food-business-licence"
CASEWORKER = Actor("test.caseworker", Role.CASEWORKER)


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
    from cases.gates import propose_decision
    from cases.review import review_case

    check_case_eligibility(case_id)
    review_case(case_id)
    task = propose_decision(case_id)
    assert task is not None
    assert task.id is not None
    return task.id
