"""The verification gate: a person checks the fields extraction flagged, correcting or confirming.

Every submitted value is validated by the same normalisers extraction uses, and all problems are
reported at once, field by field. A corrected field keeps what the machine read
(``original_value``), which is what the OCR correction rates count.
"""

from __future__ import annotations

from sqlmodel import Session, select

from cases.access import Actor
from cases.audit import append_event
from cases.catalogue import PermitType, get_permit_type, glossary_for
from cases.db import session_scope
from cases.errors import InvalidInput, NotFound
from cases.facts import Fact, Message, render
from cases.gates.tasks import close_task
from cases.lifecycle import CaseStatus
from cases.models import ApprovalTask, Case, ExtractedField, FieldStatus, TaskKind, utcnow
from cases.repository import get_case, transition
from cases.values import normalise_field

__all__ = ["verify_fields"]


def verify_fields(task_id: int, corrections: dict[str, str], *, actor: Actor) -> Case:
    """Record a person's check of the flagged fields: corrected values, the rest confirmed."""
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task is None:
            raise NotFound(f"no task with id {task_id}")
        case = get_case(session, task.case_id, for_update=True)
        permit_type = get_permit_type(case.permit_type)
        fields = {
            f.name: f
            for f in session.exec(select(ExtractedField).where(ExtractedField.case_id == case.id))
        }
        checked = _checked_values(corrections, fields, permit_type)
        close_task(session, task_id, TaskKind.VERIFY_FIELDS, actor)
        changed = _apply_verification(session, fields, checked, actor)
        append_event(
            session,
            actor=actor.username,
            action="fields.verified",
            case_id=case.id,
            payload={
                "task_id": task_id,
                "corrected": sorted(changed),
                "confirmed": sorted(checked),
            },
            personal={"values": changed} if changed else None,
        )
        transition(
            session, case, CaseStatus.CHECKING, actor=actor.username, why="flagged fields verified"
        )
        return case


CORRECT_FIELDS = Message(
    "correct_fields", "Please correct these fields: %(checks)s", checks=frozenset({"checks"})
)
NOT_A_FIELD = Message("not_a_field", "not a field of this case")


def _checked_values(
    corrections: dict[str, str], fields: dict[str, ExtractedField], permit_type: PermitType
) -> dict[str, str]:
    """Validate every submitted value; report all problems at once, by field."""
    specs = {spec.name: spec for spec in permit_type.permit.all_fields}
    problems: list[tuple[str, Fact]] = []
    checked: dict[str, str] = {}
    for name, field in fields.items():
        text = corrections.get(name, field.value).strip()
        value, error = normalise_field(specs[name], text) if name in specs else (text, None)
        if error and (text or field.status == FieldStatus.FLAGGED):
            problems.append((name, error))
        checked[name] = value if value is not None else text
    problems.extend((name, NOT_A_FIELD()) for name in sorted(set(corrections) - set(fields)))
    if problems:
        fact = CORRECT_FIELDS(checks=[{"field": name, "why": why} for name, why in problems])
        raise InvalidInput(render(fact, glossary_for(permit_type)), fact)
    return checked


def _apply_verification(
    session: Session, fields: dict[str, ExtractedField], checked: dict[str, str], actor: Actor
) -> dict[str, dict[str, str]]:
    changed: dict[str, dict[str, str]] = {}
    now = utcnow()
    for name, field in fields.items():
        new_value = checked[name]
        if new_value != field.value:
            changed[name] = {"from": field.value, "to": new_value}
            if field.original_value is None:
                field.original_value = field.value
            field.value = new_value
        if field.status == FieldStatus.FLAGGED or name in changed:
            field.status = FieldStatus.VERIFIED
            field.verified_by = actor.username
            field.verified_at = now
        session.add(field)
    return changed
