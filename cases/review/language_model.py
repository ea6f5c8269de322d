"""The optional language-model reviewer: any OpenAI-compatible endpoint (``/chat/completions``),
off unless ``PERMITS_LLM_URL`` is set and the permit's ``review: reviewers:`` lists it (listed
without an endpoint it finds nothing).

The prompt holds the case's fields, the rules' trace and the other reviewers' findings, with
personal data replaced by placeholders when the permit's ``language_model: redact`` is true (the
default). The answer must be JSON of the :class:`ModelReview` shape, nothing more: it can note
things and ask for a senior officer, never name an outcome. An invalid answer is asked for once
more; a second invalid answer, a timeout or an HTTP error fails the run (recorded with its reason
by the review service) and the review goes on without it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cases.catalogue import glossary_for
from cases.catalogue.review_policy import LanguageModelSettings
from cases.errors import PermitsError
from cases.facts import Message, render
from cases.review.base import Finding, ReviewContext
from cases.review.redaction import Redactor, personal_values
from cases.settings import Settings, get_settings
from cases.vocabulary import Severity

__all__ = [
    "LanguageModelFailed",
    "LanguageModelReviewer",
    "ModelReview",
    "NoteKind",
    "ask_model",
    "build_prompt",
]

MODEL_NOTE = Message(
    "model_note",
    "The language model (%(model)s) notes a possible %(kind)s: %(note)s",
    terms=frozenset({"kind"}),
)

SYSTEM_PROMPT = (
    "You assist a licensing officer who reviews a permit application. You never decide and "
    "never recommend approval or refusal. Point out what a careful person should check: "
    "inconsistencies between fields, missing information, values that look wrong. Answer with "
    "one JSON object and nothing else, of this shape: "
    '{"findings": [{"kind": "inconsistency" | "missing_information" | "suspicious_value" | '
    '"other", "severity": "info" | "warning" | "high", "fields": [field names], "note": '
    'short explanation}], "refer_to_senior": true | false}. Values written in square brackets '
    "([APPLICANT_NAME]) were withheld on purpose; do not remark on them."
)
_NOTE_LENGTH = 500


class NoteKind(StrEnum):
    """What a language model's note is about (translated on the case page)."""

    INCONSISTENCY = "inconsistency"
    MISSING_INFORMATION = "missing_information"
    SUSPICIOUS_VALUE = "suspicious_value"
    OTHER = "other"


class LanguageModelFailed(PermitsError):
    """The model gave no usable answer (timeout, HTTP error, invalid JSON twice)."""


class ModelFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: NoteKind
    severity: Literal["info", "warning", "high"]
    fields: list[str] = Field(default_factory=list, max_length=20)
    note: str = Field(min_length=1, max_length=_NOTE_LENGTH)


class ModelReview(BaseModel):
    """The only answer accepted: notes and a wish for a senior officer, no outcome."""

    model_config = ConfigDict(extra="forbid")

    findings: list[ModelFinding] = Field(default_factory=list, max_length=10)
    refer_to_senior: bool = False


def build_prompt(ctx: ReviewContext, *, redact: bool) -> str:
    """The user message: fields, rule trace and earlier findings as JSON (redacted if asked)."""
    glossary = glossary_for(ctx.permit_type)
    trace = ctx.eligibility.trace if ctx.eligibility else {}
    content: dict[str, Any] = {
        "permit_type": ctx.permit_type.permit.name.en,
        "fields": {name: r.value for name, r in sorted(ctx.fields.items())},
        "rules": [
            {
                "rule": rule.get("rule_id"),
                "title": rule.get("title"),
                "status": rule.get("status"),
                "reason": rule.get("reason"),
                "values_read": rule.get("values_read"),
            }
            for rule in trace.get("rules", [])
        ],
        "proposal": str(ctx.proposal) if ctx.proposal else None,
        "findings": [render(f.fact, glossary) for f in ctx.earlier_findings],
    }
    text = json.dumps(content, ensure_ascii=False, indent=1, default=str)
    if not redact:
        return text
    return Redactor(personal_values(ctx.permit_type, ctx.field_values))(text)


def _answer(response: httpx.Response) -> str:
    response.raise_for_status()
    body = response.json()
    return str(body["choices"][0]["message"]["content"])


def _parsed(content: str) -> ModelReview:
    text = content.strip()
    if text.startswith("```"):  # a fenced block: the JSON inside it
        text = text.strip("`").removeprefix("json").strip()
    return ModelReview.model_validate_json(text)


def ask_model(prompt: str, settings: Settings) -> ModelReview:
    """Ask the endpoint; one more try after an invalid answer, then :class:`LanguageModelFailed`."""
    if not settings.llm_url:
        raise LanguageModelFailed("no endpoint is set (PERMITS_LLM_URL)")
    headers = {}
    if settings.llm_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
    messages: list[Mapping[str, str]] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": prompt},
    ]
    url = settings.llm_url.rstrip("/") + "/chat/completions"
    problem = ""
    with httpx.Client(timeout=settings.llm_timeout_s, headers=headers) as client:
        for _attempt in range(2):
            body = {
                "model": settings.llm_model,
                "messages": messages,
                "temperature": 0,
                "response_format": {"type": "json_object"},
            }
            try:
                content = _answer(client.post(url, json=body))
            except httpx.TimeoutException:
                raise LanguageModelFailed(
                    f"no answer within {settings.llm_timeout_s:g} s from {url}"
                ) from None
            except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
                raise LanguageModelFailed(f"{url} answered unusably: {exc}") from None
            try:
                return _parsed(content)
            except ValidationError as exc:
                problem = str(exc.errors(include_url=False)[:3])
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": "That answer was not valid: "
                        f"{problem}. Answer again with the JSON object only.",
                    },
                ]
    raise LanguageModelFailed(f"invalid answer twice; the second: {problem}")


class LanguageModelReviewer:
    """Notes from a language model; off by default (and without an endpoint)."""

    name = "language_model"
    version = "1.0"
    model_name: str | None = None  # the model and endpoint of the last run (settings may change)
    weights_hash: str | None = None  # the endpoint's weights are not ours to hash
    on_by_default = False

    def review(self, ctx: ReviewContext) -> list[Finding]:
        llm = get_settings()
        self.model_name = f"{llm.llm_model} at {llm.llm_url}" if llm.llm_url else None
        if not llm.llm_url:
            return []  # off: no endpoint configured
        settings = ctx.settings if isinstance(ctx.settings, LanguageModelSettings) else None
        redact = (settings or LanguageModelSettings()).redact
        answer = ask_model(build_prompt(ctx, redact=redact), llm)
        known = set(ctx.fields) | {f.name for f in ctx.permit_type.permit.all_fields}
        model = llm.llm_model
        return [
            Finding(
                MODEL_NOTE(model=model, kind=item.kind, note=item.note),
                Severity(item.severity),
                ctx.evidence(*[name for name in item.fields if name in known]),
                proposes_referral=answer.refer_to_senior,
            )
            for item in answer.findings
        ]
