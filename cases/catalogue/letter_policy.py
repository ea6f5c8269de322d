"""Which languages a permit type's decision letters are written in (``letters:`` in permit.yaml).

``applicant`` (the default) writes one letter, in the applicant's preferred language; ``both``
writes one in English and one in Traditional Chinese for every decision, whatever the applicant
prefers (a permit that must be displayed bilingually, for instance).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from cases.vocabulary import Language

__all__ = ["LetterLanguages", "LetterPolicy"]


class LetterLanguages(StrEnum):
    APPLICANT = "applicant"
    BOTH = "both"


class LetterPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    languages: LetterLanguages = LetterLanguages.APPLICANT

    def languages_for(self, preferred: Language) -> list[Language]:
        """The languages a decision's letters are issued in, the applicant's own first."""
        if self.languages is LetterLanguages.BOTH:
            return [preferred, *(language for language in Language if language != preferred)]
        return [preferred]
