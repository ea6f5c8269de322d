"""One seeded case's rows, as the real stages would have left them at its status: the applicant,
documents, every field read, the eligibility trace and review of its variant, gate tasks by the
permit's approval policy, letters, and each step's audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cases.catalogue import FieldType, PermitType
from cases.documents import stored_path
from cases.extraction import reasons
from cases.facts import Fact
from cases.gates import reasons as gate_reasons
from cases.lifecycle import CaseStatus
from cases.models import FieldStatus, Role, TaskKind, TaskStatus
from cases.review import REVIEWER, REVIEWER_VERSION
from cases.vocabulary import Decision, Outcome, Risk
from tools.bench.bulk import Chain, Rows

__all__ = ["BENCH_USERNAME", "CaseBuilder", "Ids", "Variant"]

BENCH_USERNAME = "bench.caseworker"
_COLLEAGUES = tuple(f"caseworker.{n:02d}" for n in range(1, 21))
_SENIORS = tuple(f"senior.{n:02d}" for n in range(1, 6))
S = CaseStatus
_OCR_ENGINE = "easyocr-1.7.2/zonal"
# One list per line of the form, shared by every case (serialised once per chunk).
_BOXES = [[70, 180 + 64 * n, 1150, 232 + 64 * n] for n in range(64)]


@dataclass(frozen=True)
class Variant:
    """One distinct application of a permit type, evaluated and reviewed once, reused."""

    permit_type: PermitType
    texts: dict[str, str]
    outcome: Outcome
    fee: Decimal | None
    trace: dict[str, Any]
    failed: list[dict[str, Any]]
    risk: Risk
    findings: dict[str, Any]


@dataclass
class Ids:
    """The next id of each table (explicit ids: a field names its document without a query)."""

    bench_claims: int = 0  # not an id: how many tasks the bench user holds so far
    field: int = 0
    task: int = 0
    event: int = 0
    letter: int = 0
    request: int = 0

    def next(self, name: str) -> int:
        value: int = getattr(self, name) + 1
        setattr(self, name, value)
        return value


class CaseBuilder:
    """Writes one case's rows as the real stages would have left them at its status."""

    def __init__(
        self,
        rows: Rows,
        ids: Ids,
        chain: Chain,
        rng: random.Random,
        case_id: int,
        variant: Variant,
        status: CaseStatus,
        submitted: dt.datetime,
    ) -> None:
        self.rows, self.ids, self.chain, self.rng = rows, ids, chain, rng
        self.case_id, self.variant, self.status = case_id, variant, status
        self.submitted = self.clock = submitted
        self.open_tasks = 0
        self.documents: dict[str, int] = {}
        permit = variant.permit_type.permit
        self.reference = f"{permit.reference_prefix}-{submitted.year}-{case_id:06d}"
        self.due = submitted + dt.timedelta(days=permit.service_level_days)
        self.proposal = Decision.REFUSE if variant.outcome == Outcome.REFUSE else Decision.APPROVE

    def build(self) -> int:
        """Write the case's rows; return how many of its tasks are left open."""
        self._intake()
        flagged = self._extract(self.status == S.AWAITING_VERIFICATION or self.rng.random() < 0.3)
        if flagged:
            self._verify_gate(flagged)
        elif self.status != S.AWAITING_VERIFICATION:
            self._moved(S.EXTRACTING, S.CHECKING, "system:extraction", "every field read")
        if self.status != S.AWAITING_VERIFICATION:
            self._evaluate()
            self._decision_gate()
        self.rows.case.append(self._case_row())
        return self.open_tasks

    # --- helpers ---------------------------------------------------------------------------

    def _tick(self, minutes: float) -> dt.datetime:
        self.clock += dt.timedelta(minutes=minutes * (0.5 + self.rng.random()))
        return self.clock

    def _event(self, actor: str, action: str, payload: dict[str, Any]) -> None:
        self.rows.auditevent.append(
            self.chain.event(
                self.ids.next("event"), self.case_id, self._tick(2), actor, action, payload
            )
        )

    def _moved(self, source: CaseStatus, target: CaseStatus, actor: str, why: str) -> None:
        payload = {"from": str(source), "to": str(target), "why": why}
        self._event(actor, "case.status_changed", payload)

    def _task(self, kind: TaskKind, role: Role, reason: Fact, **columns: Any) -> int:
        task_id = self.ids.next("task")
        row = {
            "id": task_id,
            "case_id": self.case_id,
            "kind": str(kind),
            "status": str(TaskStatus.OPEN),
            "reason": reason,
            "required_role": str(role),
            "created_at": self._tick(1),
            "due_at": self.due,
            "completed_by": None,
            "completed_at": None,
            "decision": None,
            "decision_reason": None,
            "claimed_by": None,
            "claimed_at": None,
            "step": 1,
            "first_decision": None,
            "first_decision_by": None,
        }
        row.update(columns)
        self.rows.approvaltask.append(row)
        payload = {"task_id": task_id, "kind": str(kind), "reason": reason, "role": str(role)}
        self._event("system:flow", "task.created", {**payload, "step": row["step"]})
        return task_id

    def _close(self, task_id: int, who: str, minutes: float = 600, **columns: Any) -> None:
        """Done by ``who`` about ``minutes`` after it was opened: three in four claimed first
        (the wait until the claim, then the work), the rest completed straight from the queue."""
        row = self.rows.approvaltask[-1]
        assert row["id"] == task_id
        if self.rng.random() < 0.75:
            row.update(claimed_by=who, claimed_at=self._tick(minutes * self.rng.uniform(0.3, 0.9)))
            minutes *= 0.3
        row.update(status=str(TaskStatus.DONE), completed_by=who, completed_at=self._tick(minutes))
        row.update(columns)

    def _leave_open(self, task_id: int, role: Role) -> None:
        """An open task: one in five claimed by a colleague; the bench user holds the first
        caseworker tasks it meets and one in 400 after that (a queue a person could hold)."""
        self.open_tasks += 1
        roll = self.rng.random()
        holder = None
        if role == Role.CASEWORKER and (self.ids.bench_claims < 20 or roll < 0.0025):
            holder = BENCH_USERNAME
            self.ids.bench_claims += 1
        elif roll < 0.2:
            holder = self.rng.choice(_SENIORS if role == Role.SENIOR_CASEWORKER else _COLLEAGUES)
        if holder:
            self.rows.approvaltask[-1].update(claimed_by=holder, claimed_at=self._tick(120))
            self._event(holder, "task.claimed", {"task_id": task_id})

    # --- stages ----------------------------------------------------------------------------

    def _intake(self) -> None:
        texts, permit_type, submitted = self.variant.texts, self.variant.permit_type, self.submitted
        self.rows.applicant.append(
            {
                "id": self.case_id,
                "name": texts.get("applicant_name", ""),
                "hkid": texts.get("hkid") or None,
                "phone": texts.get("phone") or None,
                "created_at": submitted,
            }
        )
        payload = {"reference": self.reference, "permit_type": permit_type.id, "channel": "web"}
        self._event("counter.staff", "case.submitted", payload)
        for offset, (kind, name, size) in enumerate(
            (("application_form", "form.png", (1240, 1754)), ("id_card", "id-card.png", (860, 540)))
        ):
            document_id = 2 * self.case_id - 1 + offset
            digest = hashlib.sha256(f"{self.case_id}/{kind}".encode()).hexdigest()
            self.documents[kind] = document_id
            self.rows.document.append(
                {
                    "id": document_id,
                    "case_id": self.case_id,
                    "kind": kind,
                    "filename": name,
                    "sha256": digest,
                    "media_type": "image/png",
                    "size_bytes": self.rng.randint(180_000, 2_400_000),
                    "page_count": 1,
                    "width_px": size[0],
                    "height_px": size[1],
                    "uploaded_at": submitted,
                }
            )
            self._event(
                "counter.staff",
                "document.stored",
                {"document_id": document_id, "kind": kind, "filename": name, "sha256": digest},
            )

    def _extract(self, needs_person: bool) -> dict[str, Fact]:
        """Every field of the permit read from its document; some flagged when a person checks."""
        self._moved(S.SUBMITTED, S.EXTRACTING, "system:flow", "extraction started")
        specs = self.variant.permit_type.permit.fields
        doubtful = set(self.rng.sample([s.name for s in specs], self.rng.randint(1, 3)))
        flagged: dict[str, Fact] = {}
        for n, spec in enumerate(specs):
            confidence = round(self.rng.uniform(0.66, 0.99), 4)
            reason = None
            if needs_person and spec.name in doubtful:
                confidence = round(self.rng.uniform(0.2, spec.confidence_threshold - 0.01), 4)
                reason = reasons.LOW_CONFIDENCE(
                    confidence=confidence, threshold=spec.confidence_threshold
                )
                flagged[spec.name] = reason
            value = self.variant.texts.get(spec.name, "")
            self.rows.extractedfield.append(
                {
                    "id": self.ids.next("field"),
                    "case_id": self.case_id,
                    "document_id": self.documents[spec.source],
                    "name": spec.name,
                    "value": value,
                    "raw_text": value if spec.type != FieldType.BOOLEAN else "[x]",
                    "confidence": confidence,
                    "page": 1,
                    "bbox": _BOXES[n],
                    "engine": _OCR_ENGINE,
                    "status": str(FieldStatus.FLAGGED if reason else FieldStatus.ACCEPTED),
                    "flag": reason,
                    "original_value": None,
                    "verified_by": None,
                    "verified_at": None,
                }
            )
        payload = {
            "engine": _OCR_ENGINE,
            "read_by": [_OCR_ENGINE],
            "documents": sorted(self.documents.values()),
            "fields": len(specs),
            "flagged": flagged,
        }
        self._event("system:extraction", "fields.extracted", payload)
        return flagged

    def _verify_gate(self, flagged: dict[str, Fact]) -> None:
        permit = self.variant.permit_type.permit
        reason = reasons.verification_reason(list(flagged.items()), total=len(permit.fields))
        task_id = self._task(TaskKind.VERIFY_FIELDS, Role.CASEWORKER, reason)
        self._moved(S.EXTRACTING, S.AWAITING_VERIFICATION, "system:extraction", "fields flagged")
        if self.status == S.AWAITING_VERIFICATION:
            self._leave_open(task_id, Role.CASEWORKER)
            return
        who = self.rng.choice(_COLLEAGUES)
        self._close(task_id, who)
        corrected: dict[str, dict[str, str]] = {}
        for row in self.rows.extractedfield[-len(permit.fields) :]:
            if row["name"] in flagged:
                row.update(
                    status=str(FieldStatus.VERIFIED), verified_by=who, verified_at=self.clock
                )
                if row["value"] and self.rng.random() < 0.4:  # misread: the person corrected it
                    misread = row["value"][:-1] + ("1" if row["value"][-1] != "1" else "7")
                    row.update(original_value=misread)
                    corrected[row["name"]] = {"from": misread, "to": row["value"]}
        self._event(who, "fields.verified", {"task_id": task_id, "corrected": corrected})
        self._moved(S.AWAITING_VERIFICATION, S.CHECKING, who, "fields verified")

    def _evaluate(self) -> None:
        variant, permit_type = self.variant, self.variant.permit_type
        version = variant.trace["ruleset_version"]
        self.rows.eligibilityresult.append(
            {
                "id": self.case_id,
                "case_id": self.case_id,
                "ruleset_version": version,
                "outcome": variant.outcome,
                "fee": variant.fee,
                "trace": variant.trace,
                "evaluated_at": self._tick(1),
            }
        )
        self._event(
            "system:eligibility",
            "eligibility.evaluated",
            {
                "ruleset": f"{permit_type.id}/{version}",
                "outcome": variant.outcome,
                "failed_rules": [r["rule_id"] for r in variant.failed],
                "fee": None if variant.fee is None else str(variant.fee),
            },
        )
        self._moved(S.CHECKING, S.REVIEWING, "system:eligibility", "rules evaluated")
        self.rows.review.append(
            {
                "id": self.case_id,
                "case_id": self.case_id,
                "reviewer": REVIEWER,
                "reviewer_version": REVIEWER_VERSION,
                "inputs_hash": hashlib.sha256(repr(variant.texts).encode()).hexdigest(),
                "risk": variant.risk,
                "findings": variant.findings,
                "created_at": self._tick(1),
            }
        )
        findings = [f["fact"]["code"] for f in variant.findings["findings"]]
        self._event(
            f"system:{REVIEWER}", "review.completed", {"risk": variant.risk, "findings": findings}
        )
        self._moved(S.REVIEWING, S.REVIEWED, f"system:{REVIEWER}", f"reviewed: risk {variant.risk}")

    def _decision_gate(self) -> None:
        variant = self.variant
        proposal = self.proposal
        rule = variant.permit_type.permit.approval_policy.get(proposal)
        role = Role(rule.role) if rule else Role.CASEWORKER
        version = variant.trace["ruleset_version"]
        reason = gate_reasons.proposal(version, variant.trace["rules"], variant.risk)
        task_id = self._task(TaskKind.DECIDE, role, reason)
        self._moved(
            S.REVIEWED,
            S.AWAITING_DECISION,
            "system:proposer",
            f"decision proposed ({variant.outcome})",
        )
        decider = self.rng.choice(_SENIORS if role == Role.SENIOR_CASEWORKER else _COLLEAGUES)
        if rule is not None and rule.four_eyes and self.rng.random() < 0.6:
            task_id = self._first_approval(task_id, proposal, decider, role)
        if self.status == S.AWAITING_DECISION:
            self._leave_open(task_id, role)
        elif self.status == S.AWAITING_APPLICANT:
            self._request_information(task_id, decider)
        else:
            self._decided(task_id, proposal, decider)

    def _first_approval(self, task_id: int, decision: Decision, first: str, role: Role) -> int:
        self._close(task_id, first, decision=decision, decision_reason="See the failed rules.")
        self._event(first, "decision.first_approval", {"task_id": task_id, "decision": decision})
        reason = gate_reasons.four_eyes(first, decision, role, None)
        return self._task(
            TaskKind.DECIDE, role, reason, step=2, first_decision=decision, first_decision_by=first
        )

    def _request_information(self, task_id: int, who: str) -> None:
        self._close(task_id, who)
        self.rows.approvaltask[-1]["status"] = str(TaskStatus.CANCELLED)
        due_on = (self.clock + dt.timedelta(days=14)).date()
        what = "A clearer copy of the identity card, both sides."
        self.rows.informationrequest.append(
            {
                "id": self.ids.next("request"),
                "case_id": self.case_id,
                "what": what,
                "due_on": due_on,
                "requested_by": who,
                "requested_at": self.clock,
                "document_kinds": [],
            }
        )
        payload = {"task_id": task_id, "what": what, "due_on": due_on.isoformat()}
        self._event(who, "information.requested", payload)
        self._moved(S.AWAITING_DECISION, S.AWAITING_APPLICANT, who, "information requested")

    def _decided(self, task_id: int, decision: Decision, who: str) -> None:
        # Decisions take days (1 to 6); the cases still open were seeded too recently for that.
        self._close(task_id, who, minutes=self.rng.uniform(1440, 5760), decision=decision)
        self._event(who, "decision.recorded", {"task_id": task_id, "decision": decision})
        self._moved(S.AWAITING_DECISION, S.DECIDED, who, f"decision: {decision}")
        if self.status == S.DECIDED:
            return
        for language in ("en", "zh-hant"):
            html, pdf = (
                hashlib.sha256(f"{self.case_id}/letter.{language}.{kind}".encode()).hexdigest()
                for kind in ("html", "pdf")
            )
            self.rows.letter.append(
                {
                    "id": self.ids.next("letter"),
                    "case_id": self.case_id,
                    "outcome": decision,
                    "language": language,
                    "template": f"{self.variant.permit_type.id}/{decision}.{language}.html.j2",
                    "template_sha256": "0" * 64,
                    "html_path": stored_path(html),
                    "html_sha256": html,
                    "pdf_path": stored_path(pdf),
                    "pdf_sha256": pdf,
                    "created_at": self._tick(1),
                }
            )
        self._event("system:letters", "letter.issued", {"outcome": decision})
        self._moved(S.DECIDED, S.LETTER_ISSUED, "system:letters", "letter issued")
        if self.status == S.CLOSED:
            self._moved(S.LETTER_ISSUED, S.CLOSED, "system:retention", "closed")

    def _case_row(self) -> dict[str, Any]:
        decided = self.status in (S.DECIDED, S.LETTER_ISSUED, S.CLOSED)
        application_date = self.variant.texts.get("application_date")
        evaluated = self.status != S.AWAITING_VERIFICATION
        return {
            "id": self.case_id,
            "reference": self.reference,
            "permit_type": self.variant.permit_type.id,
            "status": str(self.status),
            "applicant_id": self.case_id,
            "submitted_at": self.submitted,
            "application_date": dt.date.fromisoformat(application_date)
            if application_date
            else None,
            "ruleset_version": self.variant.trace["ruleset_version"] if evaluated else None,
            "proposed_outcome": self.variant.outcome if evaluated else None,
            "decided_outcome": self.proposal if decided else None,
            "decision_reason": None,
            "updated_at": self.clock,
            "access_code_hash": None,
        }
