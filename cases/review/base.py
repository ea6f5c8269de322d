"""The reviewer plug-in interface: what a reviewer is given (a read-only :class:`ReviewContext`),
what it returns (:class:`Finding` with :class:`Evidence`), and what it must say about itself
(:class:`Reviewer`: name, version, model and weights hash).

A reviewer only ever adds findings. It may propose referral to a senior officer; it cannot change
the eligibility outcome or the proposal: it is given snapshots, not the case's rows, and a session
that runs SELECT statements only (``cases.review.service`` rolls back anything else and records the
run as a guardrail breach).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, runtime_checkable

from PIL import Image
from pydantic import BaseModel
from sqlalchemy.sql import Select
from sqlmodel import Session

from cases.catalogue import PermitType
from cases.columns import stored_word
from cases.facts import Fact
from cases.vocabulary import Outcome, Severity

__all__ = [
    "CaseRef",
    "CaseSnapshot",
    "DocumentView",
    "EligibilitySnapshot",
    "Evidence",
    "FieldReading",
    "FieldRef",
    "Finding",
    "GuardrailBreach",
    "PageRef",
    "ReadOnlySession",
    "ReviewContext",
    "Reviewer",
]

T = TypeVar("T")


class GuardrailBreach(Exception):
    """A reviewer tried to do more than add findings (write, decide, return something else)."""


# --- Evidence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRef:
    """A field as read: its name, and where it was read (document, page, box in pixels)."""

    name: str
    document_id: int | None = None
    page: int | None = None
    box: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "document_id": self.document_id,
            "page": self.page,
            "box": list(self.box),
        }


@dataclass(frozen=True)
class PageRef:
    """A page of a document of this case (a duplicate scan, a file sent twice)."""

    document_id: int
    page: int = 1

    def as_json(self) -> dict[str, Any]:
        return {"document_id": self.document_id, "page": self.page}


@dataclass(frozen=True)
class CaseRef:
    """Another case the finding rests on, linked from the case page."""

    case_id: int
    reference: str

    def as_json(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "reference": self.reference}


@dataclass(frozen=True)
class Evidence:
    """What a finding rests on: fields (with document, page, box), pages, other cases."""

    fields: tuple[FieldRef, ...] = ()
    pages: tuple[PageRef, ...] = ()
    cases: tuple[CaseRef, ...] = ()

    def __add__(self, other: Evidence) -> Evidence:
        return Evidence(
            self.fields + other.fields, self.pages + other.pages, self.cases + other.cases
        )

    @property
    def field_names(self) -> list[str]:
        return [ref.name for ref in self.fields]

    def as_json(self) -> dict[str, Any]:
        return {
            "fields": [ref.as_json() for ref in self.fields],
            "pages": [ref.as_json() for ref in self.pages],
            "cases": [ref.as_json() for ref in self.cases],
        }

    @classmethod
    def from_json(cls, stored: Any) -> Evidence:
        """Evidence as stored; a plain list of field names is what reviews before 0016 stored."""
        if isinstance(stored, list):
            return cls(fields=tuple(FieldRef(str(name)) for name in stored))
        stored = stored or {}
        return cls(
            fields=tuple(
                FieldRef(f["name"], f.get("document_id"), f.get("page"), tuple(f.get("box") or ()))
                for f in stored.get("fields", [])
            ),
            pages=tuple(
                PageRef(p["document_id"], p.get("page", 1)) for p in stored.get("pages", [])
            ),
            cases=tuple(CaseRef(c["case_id"], c["reference"]) for c in stored.get("cases", [])),
        )


# --- Findings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """What a reviewer found: the fact (``cases.facts``: code + parameters, rendered per
    language), how much it matters, what it rests on, and whether the reviewer proposes that a
    senior officer look at the case. ``reviewer`` is filled in by the service."""

    fact: Fact
    severity: Severity
    evidence: Evidence = Evidence()
    proposes_referral: bool = False
    reviewer: str = ""

    @property
    def code(self) -> str:
        return str(self.fact["code"])

    @property
    def key(self) -> str:
        """What makes a finding the same finding when the review is made again: its code and
        what it rests on (the fields with the documents they were read from, the pages, the
        other cases), not its numbers (a similarity, a distribution move as cases are decided).
        A caseworker's verdict follows the key."""
        ev = self.evidence
        rests_on = [
            self.code,
            sorted([f.name, f.document_id or 0] for f in ev.fields),
            sorted([p.document_id, p.page] for p in ev.pages),
            sorted(c.case_id for c in ev.cases),
        ]
        return hashlib.sha256(json.dumps(rests_on).encode()).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "severity": self.severity.value,
            "evidence": self.evidence.as_json(),
            "proposes_referral": self.proposes_referral,
            "reviewer": self.reviewer,
        }

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> Finding:
        """A finding as a review stored it (``as_json``), including those stored before 0016."""
        return cls(
            dict(stored["fact"]),
            stored_word(Severity, stored["severity"]),
            Evidence.from_json(stored.get("evidence")),
            bool(stored.get("proposes_referral", False)),
            str(stored.get("reviewer") or ""),
        )


# --- What a reviewer is given -----------------------------------------------------------------


@dataclass(frozen=True)
class FieldReading:
    """One extracted field: its value and where it was read."""

    name: str
    value: str
    document_id: int | None
    page: int
    box: tuple[int, ...]
    confidence: float
    verified: bool  # a person confirmed or corrected it

    @property
    def ref(self) -> FieldRef:
        return FieldRef(self.name, self.document_id, self.page, self.box)


@dataclass(frozen=True)
class DocumentView:
    """A document of the case: its kind, content hash and pages (images rendered on demand)."""

    id: int
    kind: str
    filename: str
    sha256: str
    media_type: str
    page_count: int
    _pages: Callable[[], Sequence[Image.Image | None]] = field(repr=False, compare=False)

    def page_images(self) -> Sequence[Image.Image | None]:
        """Each page as an image (None for a page with a text layer); decoded once per review."""
        return self._pages()


@dataclass(frozen=True)
class CaseSnapshot:
    id: int
    reference: str
    permit_type: str
    status: str
    applicant_id: int | None
    submitted_at: dt.datetime
    application_date: dt.date | None


@dataclass(frozen=True)
class EligibilitySnapshot:
    ruleset_version: str
    outcome: Outcome
    trace: Mapping[str, Any]


class ReadOnlySession:
    """The database as a reviewer sees it: SELECT statements and ``get``, nothing else."""

    def __init__(self, session: Session) -> None:
        self.__session = session

    def exec(self, statement: Any) -> Any:
        """Run a SELECT (sqlmodel's ``select``); anything else is a guardrail breach."""
        if not isinstance(statement, Select):
            raise GuardrailBreach("a reviewer may only run SELECT statements")
        with self.__session.no_autoflush:
            return self.__session.exec(statement)  # type: ignore[call-overload]

    def get(self, model: type[T], ident: Any) -> T | None:
        with self.__session.no_autoflush:
            return self.__session.get(model, ident)


@dataclass(frozen=True)
class ReviewContext:
    """Everything one reviewer may look at for one case, read-only."""

    case: CaseSnapshot
    permit_type: PermitType
    fields: Mapping[str, FieldReading]
    documents: tuple[DocumentView, ...]
    eligibility: EligibilitySnapshot | None
    proposal: Outcome | None  # the outcome the rules propose (None: none yet)
    session: ReadOnlySession
    settings: BaseModel | None = None  # this reviewer's block of permit.yaml's review:
    # What the reviewers before this one found (the language-model reviewer's prompt cites them).
    earlier_findings: tuple[Finding, ...] = ()

    def value(self, name: str) -> str:
        reading = self.fields.get(name)
        return reading.value if reading else ""

    def evidence(self, *names: str) -> Evidence:
        """Evidence naming these fields where they were read (a field not read: by name only)."""
        return Evidence(
            fields=tuple(
                self.fields[name].ref if name in self.fields else FieldRef(name) for name in names
            )
        )

    def with_settings(self, settings: BaseModel | None) -> ReviewContext:
        return ReviewContext(
            self.case,
            self.permit_type,
            self.fields,
            self.documents,
            self.eligibility,
            self.proposal,
            self.session,
            settings,
            self.earlier_findings,
        )

    def with_earlier_findings(self, findings: Sequence[Finding]) -> ReviewContext:
        return dataclasses.replace(self, earlier_findings=tuple(findings))

    @cached_property
    def field_values(self) -> Mapping[str, str]:
        return MappingProxyType({name: reading.value for name, reading in self.fields.items()})


@runtime_checkable
class Reviewer(Protocol):
    """A reviewer plug-in. ``model_name``/``weights_hash`` are None for a reviewer without a
    model; ``on_by_default`` says whether it runs when permit.yaml does not list reviewers."""

    name: str
    version: str
    model_name: str | None
    weights_hash: str | None
    on_by_default: bool

    def review(self, ctx: ReviewContext) -> list[Finding]: ...
