"""facts, not sentences: flag reasons, task reasons and review findings stored as code + values

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:30:00.000000

Why a field was flagged (extractedfield.flag_reason), why a task was opened (approvaltask.reason)
and what a review found (review.findings[].message) were stored as English sentences, and the
pages translated them by matching the sentences against patterns. They are now stored as facts,
``{"code": ..., **values}`` (cases/facts.py), rendered into every language from the same data.

This migration converts the rows written before: each old sentence is taken apart once, here, by
the templates it was written from (frozen below, as they were). A sentence of a shape it does not
know is kept whole as a ``legacy_text`` fact, shown as it was. A verification task's reason is
rebuilt from its case's flagged fields (the reason listed exactly those). The audit trail is
never rewritten: its entries keep the sentences they were written with.
"""

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Fact = dict[str, Any]
_Q = r"'(?P<{}>.*)'"  # a value quoted in a sentence


def legacy(text: str) -> Fact:
    return {"code": "legacy_text", "text": text}


def _number(text: str) -> float:
    return float(text)


def _keywords(text: str) -> list[str]:
    return [] if text == "no keyword of any kind of document" else text.split(", ")


# --- the validation problems of cases/validators.py, as they were written ----------------------

_PROBLEMS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"nothing was read"), lambda m, f: {"code": "nothing_read"}),
    (
        re.compile(_Q.format("text") + r" is not an identity card number: expected one or two "
                   r"letters, six digits and a check digit, e.g. A123456\(3\)"),
        lambda m, f: {"code": "not_an_hkid", "text": m["text"]},
    ),
    (
        re.compile(r"check digit is wrong: expected (?P<expected>\S+), read (?P<read>\S+)"),
        lambda m, f: {"code": "hkid_check_digit", "expected": m["expected"], "read": m["read"]},
    ),
    (re.compile(_Q.format("text") + r" is not a number"),
     lambda m, f: {"code": "not_a_number", "text": m["text"]}),
    (re.compile(_Q.format("text") + r" is not a whole number"),
     lambda m, f: {"code": "not_a_whole_number", "text": m["text"]}),
    (re.compile(_Q.format("text") + r" is not a date \(expected YYYY-MM-DD or DD/MM/YYYY\)"),
     lambda m, f: {"code": "not_a_date", "text": m["text"]}),
    (re.compile(_Q.format("text") + r" is not a yes or no answer"),
     lambda m, f: {"code": "not_yes_or_no", "text": m["text"]}),
    (re.compile(_Q.format("text") + r" is not an 8-digit Hong Kong telephone number"),
     lambda m, f: {"code": "not_a_phone", "text": m["text"]}),
    (
        re.compile(_Q.format("text") + r" does not end with a Hong Kong district or area \(e\.g\. "
                   r"Wan Chai, Mong Kok\); check the address against the document"),
        lambda m, f: {"code": "not_in_district", "text": m["text"]},
    ),
    (
        re.compile(_Q.format("value") + r" is not one of: (?P<choices>.*)"),
        lambda m, f: {"code": "not_a_choice", "value": m["value"],
                      "choices": m["choices"].split(", ")},
    ),
    (
        re.compile(_Q.format("value") + r" is not a valid (?P<label>.*?), e\.g\. (?P<example>.*)"),
        lambda m, f: {"code": "not_the_pattern_example", "value": m["value"], "field": f,
                      "example": m["example"]},
    ),
    (
        re.compile(_Q.format("value") + r" is not a valid (?P<label>.*)"),
        lambda m, f: {"code": "not_the_pattern", "value": m["value"], "field": f},
    ),
]


def problem_fact(text: str, field: str) -> Fact:
    for pattern, build in _PROBLEMS:
        if (match := pattern.fullmatch(text)) is not None:
            return build(match, field)
    return legacy(text)


# --- why a field was flagged (cases/reasons.py as it was) --------------------------------------

_FLAGS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"required field is empty or could not be read"),
     lambda m, row: {"code": "required_empty"}),
    (re.compile(r"value does not validate: (?P<problem>.*)", re.DOTALL),
     lambda m, row: {"code": "not_valid", "problem": problem_fact(m["problem"], row["name"])}),
    (
        re.compile(r"the handwriting reads two ways: " + _Q.format("first") + " or "
                   + _Q.format("second") + r"; check which is written"),
        lambda m, row: {"code": "reads_two_ways", "first": m["first"], "second": m["second"]},
    ),
    (
        re.compile(r"(?P<value>.*) is outside the usual (?P<low>\S+) to (?P<high>\S+); check it "
                   r"against the document \(a decimal point is easily lost\)"),
        lambda m, row: {"code": "unusual_number", "value": m["value"],
                        "low": _number(m["low"]), "high": _number(m["high"])},
    ),
    (
        re.compile(r"OCR confidence (?P<c>\S+) is below this field's threshold (?P<t>\S+)"),
        lambda m, row: {"code": "low_confidence", "confidence": _number(m["c"]),
                        "threshold": _number(m["t"])},
    ),
    (
        re.compile(r"quality sample: (?P<p>\S+)% of cases are checked by a person at random"),
        lambda m, row: {"code": "quality_sample", "percent": _number(m["p"])},
    ),
    (
        re.compile(r"the document " + _Q.format("file") + r" could not be read \((?P<problem>.*)\); "
                   r"ask the applicant for a new copy and type the value in"),
        lambda m, row: {"code": "document_unreadable", "file": m["file"],
                        "problem": m["problem"]},
    ),
    (
        re.compile(r"uploaded as .* but its text reads as .* \(keywords found: (?P<k>.*)\); "
                   r"check that the right document was uploaded"),
        lambda m, row: {"code": "kind_other",
                        "uploaded": row["name"].removesuffix("_document_type"),
                        "reads_as": row["value"], "keywords": _keywords(m["k"])},
    ),
    (
        re.compile(r"the document's kind is uncertain: classifier confidence (?P<c>\S+) is below "
                   r"(?P<t>\S+) \(keywords found: (?P<k>.*)\)"),
        lambda m, row: {"code": "kind_uncertain", "confidence": _number(m["c"]),
                        "threshold": _number(m["t"]), "keywords": _keywords(m["k"])},
    ),
]


def flag_fact(text: str, row: dict[str, Any]) -> Fact:
    for pattern, build in _FLAGS:
        if (match := pattern.fullmatch(text)) is not None:
            return build(match, row)
    return legacy(text)


# --- a decision task's reason (cases/approvals.py as it was) ------------------------------------

_PROPOSAL = re.compile(r"Rule set (?P<ruleset>.*?): (?P<rules>.*); (?P<review>review risk \w+|no review)\.")
_FOUR_EYES = re.compile(
    r"Four-eyes: (?P<by>\S+) decided '(?P<decision>\w+)'(?:: (?P<note>.*))?\. "
    r"A second (?P<role>[\w ]+) confirms it or decides otherwise\.",
    re.DOTALL,
)


def _named_rules(text: str) -> list[Fact]:
    named = []
    for item in text.split(", "):
        rule, _, outcome = item.partition(" ")
        named.append({"code": "rule_outcome", "rule": rule, "outcome": outcome.replace(" ", "_")})
    return named


def _rule_counts(text: str) -> list[Fact]:
    parts: list[Fact] = []
    if (m := re.match(r"(\d+) passed", text)) is None:
        raise ValueError(text)
    parts.append({"code": "rules_passed", "n": int(m[1])})
    if m := re.search(r"(\d+) not applicable", text):
        parts.append({"code": "rules_not_applicable", "n": int(m[1])})
    for code, words in (("rules_failed", "failed"), ("rules_in_error", "could not be evaluated")):
        if m := re.search(rf"(\d+) {words} \(([^)]*)\)", text):
            parts.append({"code": code, "n": int(m[1]), "rules": _named_rules(m[2])})
    return parts


def decision_reason_fact(text: str) -> Fact:
    if (m := _PROPOSAL.fullmatch(text)) is not None:
        try:
            rules = _rule_counts(m["rules"])
        except ValueError:
            return legacy(text)
        review = m["review"]
        review_fact = (
            {"code": "no_review"}
            if review == "no review"
            else {"code": "review_risk", "risk": review.removeprefix("review risk ")}
        )
        return {"code": "proposal", "ruleset": m["ruleset"], "rules": rules,
                "review": review_fact}
    if (m := _FOUR_EYES.fullmatch(text)) is not None:
        fact = {"code": "four_eyes_note" if m["note"] else "four_eyes", "first_by": m["by"],
                "decision": m["decision"], "role": m["role"].replace(" ", "_")}
        if m["note"]:
            fact["note"] = m["note"]
        return fact
    return legacy(text)


# --- review findings (cases/review.py as it was) ------------------------------------------------

_FINDINGS: dict[str, tuple[re.Pattern[str], Any]] = {
    "name_mismatch": (
        re.compile(r"The form names " + _Q.format("form") + r" but the identity card shows "
                   + _Q.format("card") + r" \(similarity (?P<s>\d+)%\)\."),
        lambda m: {"form_name": m["form"], "card_name": m["card"], "similarity": int(m["s"])},
    ),
    "id_number_mismatch": (
        re.compile(r"The identity card number on the form \((?P<a>.*)\) differs from the card "
                   r"\((?P<b>.*)\)\."),
        lambda m: {"form_id": m["a"], "card_id": m["b"]},
    ),
    "missing_evidence": (
        re.compile(_Q.format("field") + r" is empty; not cross-checked\."),
        lambda m: {"field": m["field"]},
    ),
}


def finding_json(finding: dict[str, Any]) -> dict[str, Any]:
    if "fact" in finding:
        return finding
    code, message = finding.get("code", ""), finding.get("message", "")
    fact = legacy(message)
    if code in _FINDINGS and (m := _FINDINGS[code][0].fullmatch(message)) is not None:
        fact = {"code": code, **_FINDINGS[code][1](m)}
    return {"fact": fact, "severity": finding.get("severity", "info"),
            "evidence": finding.get("evidence", [])}


# --- the migration -------------------------------------------------------------------------------


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _convert_fields(bind: sa.Connection) -> None:
    rows = bind.execute(sa.text(
        "SELECT id, name, value, flag_reason FROM extractedfield WHERE flag_reason IS NOT NULL"
    )).mappings().all()
    update = sa.text("UPDATE extractedfield SET flag = :flag WHERE id = :id").bindparams(
        sa.bindparam("flag", type_=sa.JSON())
    )
    for row in rows:
        bind.execute(update, {"flag": flag_fact(row["flag_reason"], dict(row)), "id": row["id"]})


def _verification_fact(bind: sa.Connection, case_id: int) -> Fact:
    fields = bind.execute(
        sa.text("SELECT name, flag FROM extractedfield WHERE case_id = :c ORDER BY id"),
        {"c": case_id},
    ).mappings().all()
    checks = [{"field": f["name"], "why": _loads(f["flag"])} for f in fields if f["flag"]]
    return {"code": "verify_fields", "flagged": len(checks), "total": len(fields),
            "checks": checks}


def _convert_tasks(bind: sa.Connection) -> None:
    rows = bind.execute(sa.text("SELECT id, case_id, kind, reason FROM approvaltask")).mappings()
    update = sa.text("UPDATE approvaltask SET reason_fact = :fact WHERE id = :id").bindparams(
        sa.bindparam("fact", type_=sa.JSON())
    )
    for row in list(rows):
        if row["kind"] == "verify_fields":
            fact = _verification_fact(bind, row["case_id"])
        else:
            fact = decision_reason_fact(row["reason"] or "")
        bind.execute(update, {"fact": fact, "id": row["id"]})


def _convert_reviews(bind: sa.Connection) -> None:
    rows = bind.execute(sa.text("SELECT id, findings FROM review")).mappings().all()
    update = sa.text("UPDATE review SET findings = :findings WHERE id = :id").bindparams(
        sa.bindparam("findings", type_=sa.JSON())
    )
    for row in rows:
        findings = _loads(row["findings"]) or {}
        converted = {**findings, "findings": [finding_json(f) for f in findings.get("findings", [])]}
        bind.execute(update, {"findings": converted, "id": row["id"]})


def upgrade() -> None:
    with op.batch_alter_table('extractedfield', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag', sa.JSON(), nullable=True))
    with op.batch_alter_table('approvaltask', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_fact', sa.JSON(), nullable=True))
    bind = op.get_bind()
    _convert_fields(bind)
    _convert_tasks(bind)
    _convert_reviews(bind)
    with op.batch_alter_table('extractedfield', schema=None) as batch_op:
        batch_op.drop_column('flag_reason')
    with op.batch_alter_table('approvaltask', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.alter_column('reason_fact', new_column_name='reason', nullable=False,
                              existing_type=sa.JSON())


def downgrade() -> None:
    """Back to sentences' columns, holding each fact as JSON text (nothing is lost)."""
    with op.batch_alter_table('extractedfield', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_reason', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
    with op.batch_alter_table('approvaltask', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_text', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.text("SELECT id, flag FROM extractedfield WHERE flag IS NOT NULL")).mappings().all():
        bind.execute(sa.text("UPDATE extractedfield SET flag_reason = :t WHERE id = :id"),
                     {"t": json.dumps(_loads(row["flag"])), "id": row["id"]})
    for row in bind.execute(sa.text("SELECT id, reason FROM approvaltask")).mappings().all():
        bind.execute(sa.text("UPDATE approvaltask SET reason_text = :t WHERE id = :id"),
                     {"t": json.dumps(_loads(row["reason"])), "id": row["id"]})
    with op.batch_alter_table('extractedfield', schema=None) as batch_op:
        batch_op.drop_column('flag')
    with op.batch_alter_table('approvaltask', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.alter_column('reason_text', new_column_name='reason', nullable=False,
                              existing_type=sa.String())
