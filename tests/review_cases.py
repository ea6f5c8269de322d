"""Cases for review tests: a real submitted sample whose fields are stored as extraction would,
at the review stage (eligibility checked), ready for ``review_case``."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping

from PIL import Image, ImageEnhance

from cases.db import session_scope
from cases.eligibility import check_case_eligibility
from cases.intake import Upload, submit_application
from cases.lifecycle import CaseStatus
from cases.models import Case, ExtractedField, FieldStatus
from cases.repository import get_case, transition
from tests.factories import FOOD

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


def saved_again(png: bytes) -> bytes:
    """The same scan resized, brightened and saved as JPEG: other bytes, the same image."""
    image = Image.open(io.BytesIO(png)).convert("L")
    image = image.resize((image.width * 9 // 10, image.height * 9 // 10))
    image = ImageEnhance.Brightness(image).enhance(1.05)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


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
        for name, value in (fields if fields is not None else GOOD_FIELDS).items():
            session.add(
                ExtractedField(
                    case_id=case.id,
                    name=name,
                    value=value,
                    raw_text=value,
                    confidence=0.95,
                    engine="test",
                    status=FieldStatus.ACCEPTED,
                    page=1,
                    bbox=[10, 20, 200, 40],
                )
            )
        stored = get_case(session, case.id, for_update=True)
        stored.application_date = dt.date(2026, 3, 2)
        if submitted_at is not None:
            stored.submitted_at = submitted_at
        transition(session, stored, CaseStatus.EXTRACTING, actor="test", why="test setup")
        transition(session, stored, CaseStatus.CHECKING, actor="test", why="fields stored")
    check_case_eligibility(case.id)
    return case.id


def reference_of(case_id: int) -> str:
    with session_scope() as session:
        case: Case = get_case(session, case_id)
        return case.reference
