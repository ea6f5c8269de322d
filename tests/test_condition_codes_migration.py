"""Migration 0020 on a database holding rows of the old shape: an eligibility result that stored
licence conditions as English sentences keeps them as codes (so its Chinese letter prints them in
Chinese), and an answered request keeps its answer time once, in ``resolved_at``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic import command
from sqlalchemy import JSON, bindparam, text
from sqlmodel import select

from cases.catalogue import get_permit_type
from cases.db import alembic_config, get_engine, session_scope
from cases.eligibility import evaluate_ruleset
from cases.letters import letter_context
from cases.models import Case, EligibilityResult, InformationRequest, RequestResolution
from tests.factories import FOOD
from tests.test_letter_versions_migration import _insert, old_case

pytestmark = pytest.mark.usefixtures("db")

_RESTAURANT = {
    "floor_area_m2": 200,
    "business_type": "Restaurant",
    "hygiene_staff": 2,
    "seating_capacity": 120,
    "fire_certificate_no": "FSD-2026-00077",
}
_OLD_TEXT = {
    "crowd_management_plan": "Keep a crowd management plan on the premises.",
    "hygiene_manager_every_shift": "Roster a certified hygiene manager on every shift.",
    "seats_displayed": "Display the licensed number of seats at the entrance.",
}


def _old_trace() -> dict[str, Any]:
    """The trace as the rules stored it before conditions had codes: sentences."""
    trace = evaluate_ruleset(get_permit_type(FOOD).rulesets[0], _RESTAURANT).as_trace()
    conditions = next(t for t in trace["tables"] if t["name"] == "licence_conditions")
    for row in [*conditions["result"], *(m["then"] for m in conditions["matched_rows"])]:
        row["condition"] = _OLD_TEXT[row["condition"]]
    conditions["result"].append({"condition": "A condition an admin once typed by hand."})
    return trace


@pytest.fixture
def upgraded(db: str) -> dict[str, int]:
    config = alembic_config(db)
    command.downgrade(config, "0012")
    try:
        with get_engine(db).begin() as connection:
            case_id = old_case(connection, "OLD-20", status="reviewing")
            connection.execute(
                text(
                    "INSERT INTO eligibilityresult (case_id, ruleset_version, outcome, trace, "
                    "evaluated_at) VALUES (:case_id, '2026.1', 'approve', :trace, "
                    "'2026-11-01 09:05:00')"
                ).bindparams(bindparam("trace", type_=JSON())),
                {"case_id": case_id, "trace": _old_trace()},
            )
            request = {
                "case_id": case_id,
                "what": "The fire certificate",
                "due_on": "2026-11-20",
                "requested_by": "demo.caseworker",
                "requested_at": "2026-11-02 10:00:00",
                "document_kinds": "[]",
            }
            answered = _insert(
                connection,
                "informationrequest",
                **request,
                answered_at="2026-11-05 08:30:00",
                resolved_at="2026-11-05 08:30:00",
                resolution="answered",
            )
            only_answered_at = _insert(
                connection, "informationrequest", **request, answered_at="2026-11-06 11:00:00"
            )
            still_open = _insert(connection, "informationrequest", **request)
    finally:
        command.upgrade(config, "head")
    return {
        "case": case_id,
        "answered": answered,
        "only_answered_at": only_answered_at,
        "open": still_open,
    }


def test_stored_condition_sentences_become_codes_and_print_in_chinese(
    upgraded: dict[str, int],
) -> None:
    with session_scope() as session:
        result = session.exec(
            select(EligibilityResult).where(EligibilityResult.case_id == upgraded["case"])
        ).one()
        conditions = next(t for t in result.trace["tables"] if t["name"] == "licence_conditions")
        assert [row["condition"] for row in conditions["result"]] == [
            "crowd_management_plan",
            "hygiene_manager_every_shift",
            "seats_displayed",
            "A condition an admin once typed by hand.",  # not the catalogue's: kept as it was
        ]
        assert [m["then"]["condition"] for m in conditions["matched_rows"]] == [
            "crowd_management_plan",
            "hygiene_manager_every_shift",
            "seats_displayed",
        ]
        case = session.get(Case, upgraded["case"])
        assert case is not None
        printed = letter_context(session, case, "zh-Hant")["tables"]["licence_conditions"]
    assert printed[0] == {"condition": "在處所內備存人群管理計劃。"}


def test_an_answered_request_keeps_its_answer_time_once(upgraded: dict[str, int]) -> None:
    with session_scope() as session:

        def request(key: str) -> InformationRequest:
            found = session.get(InformationRequest, upgraded[key])
            assert found is not None
            return found

        assert request("answered").resolved_at == dt.datetime(2026, 11, 5, 8, 30, tzinfo=dt.UTC)
        assert request("answered").answered
        moved = request("only_answered_at")
        assert moved.resolved_at == dt.datetime(2026, 11, 6, 11, 0, tzinfo=dt.UTC)
        assert moved.resolution == RequestResolution.ANSWERED
        assert request("open").resolved_at is None
        assert not request("open").answered
