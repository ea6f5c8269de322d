"""Cases for review tests: a real submitted sample whose fields are stored as extraction would,
at the review stage (eligibility checked), ready for ``review_case``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlmodel import select

from cases.db import session_scope
from cases.eligibility import check_case_eligibility
from cases.intake import Upload, submit_application
from cases.lifecycle import CaseStatus
from cases.models import Case, Document
from cases.repository import get_case, transition
from tests.factories import FOOD, GOOD_FIELDS, store_extraction


def case_at_review(
    uploads: list[Upload],
    fields: Mapping[str, str] | None = None,
    *,
    submitted_at: dt.datetime | None = None,
) -> int:
    """A case with these documents and fields (GOOD_FIELDS by default), eligibility checked."""
    case = submit_application(uploads, permit_type_id=FOOD, actor="test", channel="test")
    assert case.id is not None
    with session_scope() as session:
        documents = {
            d.kind: d.id for d in session.exec(select(Document).where(Document.case_id == case.id))
        }

        def read_from(name: str) -> dict[str, object]:
            return {
                "document_id": _read_from(documents, name),
                "page": 1,
                "bbox": [10, 20, 200, 40],
            }

        stored = store_extraction(
            session, case.id, GOOD_FIELDS if fields is None else fields, read_from
        )
        if submitted_at is not None:
            stored.submitted_at = submitted_at
        transition(session, stored, CaseStatus.CHECKING, actor="test", why="fields stored")
    check_case_eligibility(case.id)
    return case.id


def _read_from(documents: Mapping[str | None, int | None], name: str) -> int | None:
    """The document a field was read from: the ID card's fields from the card, a supporting
    document's from that document when the case has it, the rest from the form."""
    if name.startswith("id_card"):
        return documents.get("id_card")
    for prefix, kind in (("fire_cert_", "fire_certificate"), ("tenancy_", "tenancy_agreement")):
        if name.startswith(prefix) and kind in documents:
            return documents[kind]
    return documents.get("application_form")


def reference_of(case_id: int) -> str:
    with session_scope() as session:
        case: Case = get_case(session, case_id)
        return case.reference
