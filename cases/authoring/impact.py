"""What a draft rule file would change: re-evaluate stored cases under it, before it is published.

Each case of the permit type that has been evaluated is run again on its stored field values under
the draft, in process (one session, fields read in batches), and compared with its stored outcome
and fee. For the cases that would change, the stored trace says which rules they failed then, so
the report counts per rule how many changed cases newly fail it or no longer fail it. Nothing is
written.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from cases.catalogue import PermitType, Ruleset
from cases.eligibility import Evaluation, evaluate_ruleset, typed_values
from cases.models import Case, EligibilityResult
from cases.vocabulary import Outcome

__all__ = ["CaseChange", "ImpactReport", "impact_of_draft"]

_BATCH = 500


@dataclass(frozen=True)
class CaseChange:
    case_id: int
    reference: str
    old_outcome: Outcome
    new_outcome: Outcome
    old_fee: Decimal | None
    new_fee: Decimal | None
    newly_failing: list[str]
    no_longer_failing: list[str]


@dataclass
class ImpactReport:
    permit_type: str
    draft_version: str
    cases_evaluated: int = 0
    changes: list[CaseChange] = field(default_factory=list)
    # per rule, over the changed cases: how many now fail it, how many no longer do
    newly_failing: Counter[str] = field(default_factory=Counter)
    no_longer_failing: Counter[str] = field(default_factory=Counter)
    outcome_moves: Counter[str] = field(default_factory=Counter)  # "approve -> refer": n
    seconds: float = 0.0

    def per_rule(self) -> dict[str, dict[str, int]]:
        rules = sorted(set(self.newly_failing) | set(self.no_longer_failing))
        return {
            rule: {
                "newly_failing": self.newly_failing[rule],
                "no_longer_failing": self.no_longer_failing[rule],
            }
            for rule in rules
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "permit_type": self.permit_type,
            "draft_version": self.draft_version,
            "cases_evaluated": self.cases_evaluated,
            "cases_changed": len(self.changes),
            "outcome_moves": dict(self.outcome_moves),
            "per_rule": self.per_rule(),
            "changes": [
                {
                    "case_id": c.case_id,
                    "reference": c.reference,
                    "old_outcome": c.old_outcome.value,
                    "new_outcome": c.new_outcome.value,
                    "old_fee": None if c.old_fee is None else str(c.old_fee),
                    "new_fee": None if c.new_fee is None else str(c.new_fee),
                    "newly_failing": c.newly_failing,
                    "no_longer_failing": c.no_longer_failing,
                }
                for c in self.changes
            ],
            "seconds": round(self.seconds, 3),
        }


def _stored_results(
    session: Session, permit_type: str, since: dt.date | None
) -> Iterator[Sequence[Any]]:
    """(case id, reference, outcome, fee) of evaluated cases, in batches; traces stay unread."""
    statement = (
        select(
            col(Case.id),
            col(Case.reference),
            col(EligibilityResult.outcome),
            col(EligibilityResult.fee),
        )
        .join(EligibilityResult, col(EligibilityResult.case_id) == col(Case.id))
        .where(col(Case.permit_type) == permit_type)
        .order_by(col(Case.id))
    )
    if since is not None:
        statement = statement.where(
            col(Case.submitted_at) >= dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        )
    rows = session.execute(statement.execution_options(yield_per=_BATCH))
    yield from rows.partitions(_BATCH)


def _count_stored(session: Session, permit_type: str, since: dt.date | None) -> int:
    statement = (
        select(func.count())
        .select_from(Case)
        .join(EligibilityResult, col(EligibilityResult.case_id) == col(Case.id))
        .where(col(Case.permit_type) == permit_type)
    )
    if since is not None:
        statement = statement.where(
            col(Case.submitted_at) >= dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        )
    return int(session.execute(statement).scalar_one())


def _field_texts(session: Session, case_ids: list[int]) -> dict[int, dict[str, str]]:
    # Core columns, not the ORM entity: a million rows through ORM loading cost seconds.
    table = SQLModel.metadata.tables["extractedfield"]
    texts: dict[int, dict[str, str]] = {case_id: {} for case_id in case_ids}
    statement = select(table.c.case_id, table.c.name, table.c.value).where(
        table.c.case_id.in_(case_ids)
    )
    for case_id, name, value in session.execute(statement):
        texts[case_id][name] = value
    return texts


def _old_failing(session: Session, case_ids: list[int]) -> dict[int, set[str]]:
    """The rules each case failed when it was evaluated, read from its stored trace."""
    statement = select(col(EligibilityResult.case_id), col(EligibilityResult.trace)).where(
        col(EligibilityResult.case_id).in_(case_ids)
    )
    return {
        case_id: {r["rule_id"] for r in trace.get("rules", []) if not r["passed"]}
        for case_id, trace in session.execute(statement)
    }


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _record_changes(
    report: ImpactReport,
    changed: list[tuple[int, str, Outcome, Decimal | None, Evaluation]],
    old_failing: dict[int, set[str]],
) -> None:
    for case_id, reference, old_outcome, old_fee, evaluation in changed:
        before = old_failing.get(case_id, set())
        after = {r.rule_id for r in evaluation.failed}
        newly, no_longer = sorted(after - before), sorted(before - after)
        report.newly_failing.update(newly)
        report.no_longer_failing.update(no_longer)
        report.outcome_moves[f"{old_outcome.value} -> {evaluation.outcome.value}"] += 1
        report.changes.append(
            CaseChange(
                case_id,
                reference,
                old_outcome,
                evaluation.outcome,
                old_fee,
                evaluation.fee,
                newly,
                no_longer,
            )
        )


def impact_of_draft(
    session: Session,
    permit_type: PermitType,
    draft: Ruleset,
    *,
    since: dt.date | None = None,
    steps: Callable[[str, int, int | None], None] | None = None,
) -> ImpactReport:
    """Compare each evaluated case of the type (submitted on or after ``since``) under ``draft``;
    ``steps(what, done, total)`` hears how far it is after each batch."""
    started = time.perf_counter()
    report = ImpactReport(permit_type.id, draft.version)
    total = _count_stored(session, permit_type.id, since) if steps else None
    for batch in _stored_results(session, permit_type.id, since):
        texts = _field_texts(session, [row[0] for row in batch])
        changed = []
        for case_id, reference, old_outcome, old_fee in batch:
            values = typed_values(permit_type, texts[case_id])
            evaluation = evaluate_ruleset(draft, values, explain=False)
            report.cases_evaluated += 1
            if evaluation.outcome != old_outcome or _money(old_fee) != evaluation.fee:
                changed.append((case_id, reference, old_outcome, _money(old_fee), evaluation))
        if changed:
            _record_changes(report, changed, _old_failing(session, [c[0] for c in changed]))
        if steps:
            steps("cases evaluated under the draft", report.cases_evaluated, total)
    report.seconds = time.perf_counter() - started
    return report
