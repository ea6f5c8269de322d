"""The permit catalogue's schema: what an admin may write in each file, validated strictly.

One folder per permit type under the catalogue directory::

    rules/<permit-type>/permit.yaml            names, documents, field schema, approval policy
    rules/<permit-type>/form.yaml              the application form's layout (zonal OCR)
    rules/<permit-type>/eligibility-*.yaml     versioned rule sets with inline tests

Pydantic models with ``extra="forbid"``, so a typo in a key is an error; ``loading`` reports every
error with the file, the line and the field path.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cases.catalogue.form_layout import FormLayout
from cases.catalogue.letter_policy import LetterPolicy
from cases.catalogue.request_policy import RequestPolicy
from cases.catalogue.review_policy import ReviewPolicy
from cases.errors import CatalogueError, CatalogueProblem
from cases.vocabulary import Decision, Outcome

__all__ = [
    "ApprovalRule",
    "ComputedValue",
    "DecisionTable",
    "DocumentKind",
    "DocumentRequirement",
    "FieldSpec",
    "FieldType",
    "Permit",
    "PermitType",
    "Rule",
    "RuleTest",
    "Ruleset",
    "TableRow",
    "Text",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text an applicant or caseworker reads, in English and Traditional Chinese."""

    en: str
    zh_hant: str

    def in_language(self, language: str) -> str:
        """The text in ``language`` (``"zh-Hant"`` or a ``Language``; English otherwise)."""
        return self.zh_hant if language == "zh-Hant" else self.en


class FieldType(StrEnum):
    TEXT = "text"
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"
    MONEY = "money"
    HKID = "hkid"
    PHONE = "phone"
    BOOLEAN = "boolean"  # a checkbox: "yes" or "no"
    ADDRESS = "address"  # a Hong Kong address, ending with its district (cases.values.addresses)


DocumentKind = Literal["application_form", "id_card", "fire_certificate", "tenancy_agreement"]


class FieldSpec(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Text
    type: FieldType = FieldType.TEXT
    required: bool = True
    confidence_threshold: Annotated[float, Field(ge=0, le=1)] = 0.6
    source: DocumentKind = "application_form"
    synonyms: list[str] = Field(
        [],
        description="Other labels the field is printed under on documents of no fixed layout "
        "(English or Chinese); matched fuzzily, like the label itself.",
    )
    choices: list[str] = Field(
        [],
        description="The values the field may take, spelled as the rules compare them "
        "(e.g. Restaurant). A reading is matched to one whatever its case and despite a letter "
        "or two misread; one that matches none is flagged.",
    )
    usual_range: tuple[float, float] | None = Field(
        None,
        description="For a number, [low, high]: a value outside is sent to a person to check, "
        "not refused; catches a decimal point lost in reading (4.2 read as 42).",
    )
    pattern: str | None = Field(
        None, description="Regular expression the whole normalised value must match."
    )
    example: str | None = Field(
        None, description="A value of the right shape, quoted when one does not match `pattern`."
    )
    must_be_after: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = Field(
        [],
        description="Date fields this date must be later than (e.g. an expiry date after the "
        "date of application); checked when both have a value.",
    )

    @model_validator(mode="after")
    def _pattern_compiles(self) -> FieldSpec:
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from exc
            if self.example is not None and not re.fullmatch(self.pattern, self.example):
                raise ValueError(f"example '{self.example}' does not match the pattern")
        if self.must_be_after and self.type is not FieldType.DATE:
            raise ValueError("must_be_after is given only for a field of type date")
        if self.usual_range is not None:
            if self.type not in (FieldType.NUMBER, FieldType.INTEGER, FieldType.MONEY):
                raise ValueError("usual_range is given only for a number, integer or money field")
            if self.usual_range[0] >= self.usual_range[1]:
                raise ValueError("usual_range is [low, high] with low below high")
        return self


class ApprovalRule(_Strict):
    role: Literal["caseworker", "senior_caseworker"] = "caseworker"
    four_eyes: bool = False


class DocumentRequirement(_Strict):
    kind: DocumentKind
    name: Text
    required: bool = True
    keywords: list[str] = Field(
        [],
        description="Words and phrases typical of this kind of document (English or Chinese), "
        "used to tell from its text what an uploaded document is.",
    )
    classification_threshold: Annotated[float, Field(ge=0, le=1)] = Field(
        0.4,
        description="Classifier confidence under which a person checks the document's kind.",
    )
    fields: list[FieldSpec] = Field(
        [],
        description="Fields read from this document by label and value (no fixed layout); "
        "their source is this document's kind.",
    )

    @model_validator(mode="before")
    @classmethod
    def _fields_come_from_this_document(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("fields"), list):
            kind = data.get("kind")
            fields = []
            for item in data["fields"]:
                if isinstance(item, dict):
                    if item.get("source", kind) != kind:
                        raise ValueError(f"a field of the {kind} document must have source {kind}")
                    item = {**item, "source": kind}
                fields.append(item)
            data = {**data, "fields": fields}
        return data


class Permit(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    reference_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")]
    name: Text
    description: Text | None = Field(
        None,
        description="One or two sentences on what the permit is for, shown to applicants when "
        "they choose what to apply for.",
    )
    service_level_days: Annotated[int, Field(gt=0)]
    retention_years: Annotated[int, Field(gt=0)]
    required_documents: list[DocumentRequirement]
    fields: list[FieldSpec]
    approval_policy: dict[Decision, ApprovalRule]
    letters: LetterPolicy = Field(
        default_factory=LetterPolicy,
        description="Which languages decision letters are written in: the applicant's "
        "(``applicant``, the default) or English and Traditional Chinese (``both``).",
    )
    quality_sample_percent: Annotated[float, Field(ge=0, le=100)] = Field(
        0.0,
        description="Share of cases whose fields a person checks at random for a quality audit.",
    )
    information_requests: RequestPolicy = RequestPolicy()
    review: ReviewPolicy = Field(
        default_factory=ReviewPolicy,
        description="Which reviewers run, their settings and the risk scoring table.",
    )

    @model_validator(mode="after")
    def _unique_field_names(self) -> Permit:
        names = [f.name for f in self.all_fields]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"field names must be unique; repeated: {', '.join(duplicates)}")
        dates = {f.name for f in self.all_fields if f.type is FieldType.DATE}
        for spec in self.all_fields:
            unknown = sorted(set(spec.must_be_after) - dates)
            if unknown:
                raise ValueError(
                    f"{spec.name}: must_be_after names {', '.join(unknown)}, not a date field"
                )
        return self

    @property
    def all_fields(self) -> list[FieldSpec]:
        """The application's fields, then those read from supporting documents."""
        return [*self.fields, *(f for d in self.required_documents for f in d.fields)]

    def document(self, kind: str) -> DocumentRequirement | None:
        return next((d for d in self.required_documents if d.kind == kind), None)

    def field(self, name: str) -> FieldSpec:
        for spec in self.all_fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


_NAME = r"^[a-z][a-z0-9_]*$"
Cell = str | int | float | bool


class Rule(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Z]+-[0-9]+$")]
    title: Text
    legal_reference: str
    applies_when: str | None = Field(
        None, description="Zen expression; when false the rule is recorded as not applicable."
    )
    expression: str
    outcome_if_failed: Literal[Outcome.REFUSE, Outcome.REFER, Outcome.REQUEST_INFO]
    reason: Text


class ComputedValue(_Strict):
    """A named value worked out once from the fields, before the tables and the rules."""

    name: Annotated[str, Field(pattern=_NAME)]
    expression: str
    description: str


class TableRow(_Strict):
    """``when``: input name -> zen unary test (``-`` or absent: any); ``then``: output values."""

    when: dict[str, Cell] = {}
    then: dict[str, Cell | None]


class DecisionTable(_Strict):
    name: Annotated[str, Field(pattern=_NAME)]
    description: str
    legal_reference: str | None = None
    source: str | None = Field(
        None, description="The JDM file (GoRules editor export) the table was read from."
    )
    hit_policy: Literal["first", "collect"] = "first"
    inputs: Annotated[list[str], Field(min_length=1)]
    outputs: Annotated[list[Annotated[str, Field(pattern=_NAME)]], Field(min_length=1)]
    rows: Annotated[list[TableRow], Field(min_length=1)]

    @model_validator(mode="after")
    def _cells_name_columns(self) -> DecisionTable:
        for i, row in enumerate(self.rows):
            unknown = sorted(set(row.when) - set(self.inputs))
            if unknown:
                raise ValueError(f"rows.{i}.when: {', '.join(unknown)} is not one of the inputs")
            unknown = sorted(set(row.then) - set(self.outputs))
            if unknown:
                raise ValueError(f"rows.{i}.then: {', '.join(unknown)} is not one of the outputs")
        return self


class RuleTestExpectation(_Strict):
    outcome: Outcome
    failed_rules: list[str] = []
    not_applicable: list[str] | None = None
    fee: float | None = None


class RuleTest(_Strict):
    name: str
    input: dict[str, Any]
    expect: RuleTestExpectation


class Ruleset(_Strict):
    version: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    computed: list[ComputedValue] = []
    tables: list[DecisionTable] = []
    fee: str | None = Field(
        None, description="Zen expression giving the fee in HK$, e.g. licence_fee.fee"
    )
    rules: list[Rule]
    tests: list[RuleTest] = []

    @model_validator(mode="after")
    def _unique_names(self) -> Ruleset:
        names = [c.name for c in self.computed] + [t.name for t in self.tables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"computed and table names must be unique; repeated: {duplicates}")
        ids = [r.id for r in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(duplicates)}")
        return self

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


class PermitType(BaseModel):
    """Everything the catalogue holds for one permit type, with where it came from."""

    model_config = ConfigDict(frozen=True)

    folder: Path
    permit: Permit
    form: FormLayout
    rulesets: list[Ruleset]
    ruleset_paths: list[Path] = Field(
        default_factory=list, description="The file each rule set came from, in the same order."
    )

    @property
    def id(self) -> str:
        return self.permit.id

    @property
    def blank_form(self) -> Path | None:
        """The office's blank form PDF, the reference scans are registered against (if any)."""
        return self.folder / self.form.blank_pdf if self.form.blank_pdf else None

    def ruleset_for(self, day: dt.date) -> Ruleset:
        for ruleset in self.rulesets:
            if ruleset.in_force_on(day):
                return ruleset
        raise CatalogueError(
            [
                CatalogueProblem(
                    self.folder, None, "effective_from", f"no rule set is in force on {day}"
                )
            ]
        )
