"""Telling what a document is from its text: keyword scoring per kind, fuzzily (rapidfuzz).

Each kind of document in the catalogue lists words and phrases typical of it (``keywords``). A
keyword is found when a run of as many words on one line matches it with a rapidfuzz ratio of at
least 85, so OCR's misread letter or two does not hide it; short keywords (``FS 251``) and
Chinese ones (the OCR engine reads no Chinese, a PDF's text layer may) must match exactly. A kind
scores by how many of its keywords were found, three being certainty; the confidence of the
answer is the winner's lead over the runner-up, so a page that reads as two kinds at once is not
confidently either. Fewer than two keywords of any kind: the document is of no known kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

__all__ = ["UNKNOWN", "Classification", "classify_text"]

UNKNOWN = "unknown"
_KEYWORD_SCORE = 85
_HITS_FOR_CERTAINTY = 3
_MIN_HITS = 2
_SHORT = 6  # keywords this long or shorter must match exactly
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Classification:
    """The kind a document's text reads as, how sure, and the keywords that said so."""

    kind: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    found: dict[str, list[str]] = field(default_factory=dict)

    def keywords(self) -> list[str]:
        """The keywords found for the chosen kind (or for every kind when none was chosen)."""
        kinds = [self.kind] if self.kind in self.found else sorted(self.found)
        return [word for kind in kinds for word in self.found.get(kind, [])]

    def evidence(self) -> str:
        """The keywords found, as the raw text of the document's kind field."""
        return ", ".join(self.keywords()) or "no keyword of any kind of document"


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _found(keyword: str, lines: Sequence[list[str]], raw: str) -> bool:
    if _CJK.search(keyword):
        return keyword in raw
    wanted = _words(keyword)
    if not wanted:
        return False
    target = " ".join(wanted)
    size = len(wanted)
    exact = len(target) <= _SHORT
    for words in lines:
        for start in range(max(1, len(words) - size + 1)):
            window = " ".join(words[start : start + size])
            if window == target or (
                not exact and fuzz.ratio(window, target, score_cutoff=_KEYWORD_SCORE)
            ):
                return True
    return False


def classify_text(lines: Iterable[str], keywords: Mapping[str, Sequence[str]]) -> Classification:
    """The kind (a key of ``keywords``, or ``unknown``) that the lines of a document read as."""
    texts = list(lines)
    words = [_words(text) for text in texts]
    raw = "\n".join(texts)
    found = {
        kind: [k for k in kind_keywords if _found(k, words, raw)]
        for kind, kind_keywords in keywords.items()
        if kind_keywords
    }
    scores = {kind: min(1.0, len(hits) / _HITS_FOR_CERTAINTY) for kind, hits in found.items()}
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    found = {kind: hits for kind, hits in found.items() if hits}
    if not ranked or len(found.get(ranked[0][0], [])) < _MIN_HITS:
        top = ranked[0][1] if ranked else 0.0
        return Classification(UNKNOWN, round(1.0 - top, 3), scores, found)
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    kind, score = ranked[0]
    return Classification(kind, round(score - runner_up, 3), scores, found)
