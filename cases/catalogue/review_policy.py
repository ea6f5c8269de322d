"""A permit's review policy (``permit.yaml``'s ``review:`` block): which reviewers run, each one's
settings, and the table that turns findings into a risk score. Validated strictly like the rest of
the file, so a misspelt key is an error with its file and line.

A reviewer with settings declares them here, as a model named after it and a field of
:class:`ReviewPolicy` under the reviewer's name (``cases.review`` explains how to add a reviewer).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ConsistencySettings",
    "DuplicateSettings",
    "LanguageModelSettings",
    "PrecedentSettings",
    "ReviewPolicy",
    "RiskScoring",
    "RiskThresholds",
    "UnusualValueSettings",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsistencySettings(_Strict):
    """How alike two readings of a name or an address must be to count as the same."""

    name_similarity: Annotated[float, Field(ge=0, le=100)] = Field(
        85.0,
        description="Similarity (0-100) under which two names of a person are a mismatch, "
        "after word order, initials, punctuation and spacing are set aside.",
    )
    business_similarity: Annotated[float, Field(ge=0, le=100)] = Field(
        85.0, description="The same for business names (landlord's tenant, certificate holder)."
    )
    address_similarity: Annotated[float, Field(ge=0, le=100)] = Field(
        90.0, description="The same for normalised premises addresses."
    )


class DuplicateSettings(_Strict):
    """What counts as applying again, or sending a file another case already sent."""

    window_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        365,
        description="An application by the same applicant (identity card number) or for the "
        "same premises (normalised address) within this many days before is a repeat.",
    )
    image_distance: Annotated[int, Field(ge=0, le=15)] = Field(
        8,
        description="Largest Hamming distance between two pages' perceptual hashes (256 bits) "
        "for them to count as the same image saved again (0: identical only). Different "
        "filled-in copies of one form differ by 10 bits or more.",
    )


class PrecedentSettings(_Strict):
    """When decided cases count as close enough to the current one to speak against a proposal."""

    similarity: Annotated[float, Field(ge=0, le=1)] = Field(
        0.95,
        description="Cosine similarity (0-1) of the case summaries' embeddings from which a "
        "decided case is a close precedent (0.95: in practice the same kind of business that "
        "failed the same rules).",
    )
    min_conflicts: Annotated[int, Field(ge=1, le=5)] = Field(
        2,
        description="Close precedents decided the other way from the current proposal (and "
        "outnumbering those decided the same way) that make a finding.",
    )


class UnusualValueSettings(_Strict):
    """Which numbers are compared with past decided cases, within which group, and how far out
    is unusual."""

    fields: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] | None = Field(
        None, description="Numeric fields to check; absent: every number on the form."
    )
    group_by: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = Field(
        None,
        description="A field whose value groups the past cases compared with (e.g. "
        "business_type); absent: every decided case of the permit type.",
    )
    min_sample: Annotated[int, Field(ge=5, le=100000)] = Field(
        30, description="Past decided cases of the group with a value needed before judging."
    )
    threshold: Annotated[float, Field(gt=0, le=100)] = Field(
        3.5,
        description="Robust z-score (from the median and MAD) at or beyond which a value is "
        "unusual.",
    )


class LanguageModelSettings(_Strict):
    """The optional language-model reviewer (endpoint, model and key: PERMITS_LLM_* settings)."""

    redact: bool = Field(
        True,
        description="Replace personal data (names, identity card numbers, telephone numbers, "
        "e-mail and street addresses) with placeholders before anything is sent to the model.",
    )


class RiskThresholds(_Strict):
    medium: Annotated[int, Field(ge=0)] = 10
    high: Annotated[int, Field(ge=0)] = 50

    @model_validator(mode="after")
    def _ordered(self) -> RiskThresholds:
        if self.medium > self.high:
            raise ValueError("medium must not be above high")
        return self


class RiskScoring(_Strict):
    """Points per finding, added up into a score; the thresholds turn the score into a level."""

    points: dict[str, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=dict,
        description="Points per finding code (e.g. name_mismatch: 40); a code not listed "
        "scores by its severity.",
    )
    severity_points: dict[str, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=lambda: {"info": 0, "warning": 10, "high": 50},
        description="Points for a finding whose code is not listed in `points`, by severity.",
    )
    thresholds: RiskThresholds = RiskThresholds()

    @model_validator(mode="after")
    def _known_severities(self) -> RiskScoring:
        unknown = sorted(set(self.severity_points) - {"info", "warning", "high"})
        if unknown:
            raise ValueError(f"severity_points: {', '.join(unknown)} is not info, warning or high")
        return self


class ReviewPolicy(_Strict):
    """Which reviewers run on this permit's cases, in order, and with which settings."""

    reviewers: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] | None = Field(
        None,
        description="Names of the reviewers that run (see `permits review list`); absent: every "
        "reviewer that is on by default.",
    )
    consistency: ConsistencySettings = ConsistencySettings()
    duplicates: DuplicateSettings = DuplicateSettings()
    precedents: PrecedentSettings = PrecedentSettings()
    unusual_values: UnusualValueSettings = UnusualValueSettings()
    language_model: LanguageModelSettings = LanguageModelSettings()
    scoring: RiskScoring = RiskScoring()

    def settings_for(self, reviewer: str) -> BaseModel | None:
        """The settings block named after ``reviewer`` (None: it takes none)."""
        value = getattr(self, reviewer, None)
        return (
            value if isinstance(value, BaseModel) and reviewer in type(self).model_fields else None
        )
