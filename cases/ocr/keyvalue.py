"""Key-value extraction from documents of no fixed layout: find each field's label, read its value.

Certificates and agreements come from many issuers, each with its own layout, so a field is found
by its printed label: the catalogue's English or Chinese label or one of its synonyms, matched
fuzzily (rapidfuzz ``partial_ratio`` aligned on word boundaries, at least 85), because OCR
misreads a letter of a label as readily as of a value, and because a bilingual label reaches the
English-only recogniser with its Chinese half read as a few junk characters.

A label counts only where labels stand: at the start of its line (after at most a short junk
prefix such as a misread Chinese label or a clause number), followed by a separator, by nothing,
or by something shaped like the field's value. The same words inside running text (``the
Landlord shall keep ...``) or a signature line (``Signed by the Tenant:``) are not labels.

The value is then, in this order: the rest of the label's line after the separator (``Rent:
HK$38,500``); the nearest text to the right on the same row (a table, or a value at a tab stop);
the nearest text under the label starting where it starts (a value on the line below). Typed
fields take the part of that text that has their shape (a date, an amount, the catalogue's
pattern), after undoing OCR's usual letter-for-digit confusions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from cases.catalogue import FieldSpec, FieldType
from cases.documents import TextLine
from cases.ocr.reader import FieldReading
from cases.ocr.zonal import tidy_spacing

__all__ = ["LABEL_SCORE", "extract_key_values", "find_date", "label_variants", "typed_value"]

LABEL_SCORE = 85  # rapidfuzz score (0-100) for text to count as a label
_STOPWORDS = frozenset(
    {"a", "an", "and", "as", "at", "be", "by", "for", "from", "in", "is", "of", "on", "or"}
    | {"shall", "the", "this", "to", "under", "with"}
)
_MAX_PREFIX_TOKENS = 3  # a misread Chinese label can come out as three short "words"
_MAX_PREFIX_CHARS = 14
_MAX_JUNK_CHARS = 12  # a misread Chinese label left after the English one
_SEPARATORS = ":;=："
_PUNCTUATION = " .,:;=_-：|"
_RIGHT_BAND = 0.7  # a value to the right has its middle at most this many heights under the label's
_BELOW_LINES = 2.5  # a value below starts at most this many label heights under the label
_SIDEWAYS = 3.0  # ... and this many label heights left or right of where the label starts
_JUNK_CONFIDENCE = 0.12  # one-token lines read this poorly are misread Chinese, not values

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_NAMES = {name.lower(): name for name in _MONTHS} | {
    name[:3].lower(): name for name in _MONTHS
}
_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5"})
_PATTERN_DIGITS = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5"})
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})\s*-\s*(\d{1,2})\s*-\s*(\d{1,2})(?!\d)")
_WORD_DATE = re.compile(r"(?<![\dA-Za-z])(\d{1,2})\s*([A-Za-z]{3,9})\.?,?\s*(\d{4})(?!\d)")
_AMOUNT = re.compile(r"(HK\s*[$S]|HKD|\$)?\s*\d{1,3}(?:[,\s]\s?\d{3})*(?:\.\s?\d{1,2})?|\d+")


@dataclass(frozen=True)
class _Label:
    """Where one field's label was found: the line, how well it matched, and what followed it."""

    field: str
    line: int
    score: float
    form: str  # "separated": label then ':'; "alone": nothing (or junk) after; "bare": a value
    rest: str  # the text after the label (after the separator for "separated")
    rest_start: int  # where ``rest`` starts in the line's text
    length: int  # length of the label variant matched (longer is more specific)


def label_variants(spec: FieldSpec) -> list[str]:
    """The label texts a field may be printed under, normalised for matching."""
    variants: list[str] = []
    for text in (spec.label.en, spec.label.zh_hant, *spec.synonyms):
        norm = _norm(text).rstrip(" .:")
        if norm and norm not in variants:
            variants.append(norm)
    return variants


def _norm(text: str) -> str:
    """Lower case, with the recogniser's '_' for '.' and a full-width colon undone (same length)."""
    return text.lower().replace("_", ".").replace("：", ":")


def _is_letter(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalpha()


def _align(variant: str, text: str) -> tuple[float, int, int] | None:
    """Best match of a label in a line, on word boundaries: (score, start, end) or None."""
    if len(text) < len(variant):
        score = fuzz.ratio(variant, text.rstrip(" .:"))
        return (score, 0, len(text)) if score >= LABEL_SCORE else None
    found = fuzz.partial_ratio_alignment(variant, text, score_cutoff=LABEL_SCORE)
    if found is None:
        return None
    start, end = found.dest_start, found.dest_end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    aligned = (start, end)
    while _is_letter(text, start - 1):
        start -= 1
    while _is_letter(text, end):
        end += 1
    if (start, end) != aligned:  # the match began or ended inside a word: score the whole words
        score = fuzz.ratio(variant, text[start:end])
        return (score, start, end) if score >= LABEL_SCORE else None
    return found.score, start, end


def _prefix_ok(prefix: str) -> bool:
    """Text before a label: nothing, a clause number, or a misread Chinese label; not prose."""
    tokens = prefix.split()
    return not tokens or (
        len(tokens) <= _MAX_PREFIX_TOKENS
        and len(prefix.strip()) <= _MAX_PREFIX_CHARS
        and not any(t.strip(".,;:").lower() in _STOPWORDS for t in tokens)
    )


def _form(spec: FieldSpec, rest: str) -> tuple[str, str, int] | None:
    """What follows a label: (form, value, the value's offset in ``rest``); None for prose."""
    stripped = rest.lstrip(" .")
    if not stripped.strip(_PUNCTUATION):
        return "alone", "", len(rest)
    head = stripped[: _MAX_JUNK_CHARS + 1]
    cut = min((head.find(s) for s in _SEPARATORS if s in head), default=-1)
    if cut >= 0 and len(head[:cut].split()) <= 1:
        value = stripped[cut + 1 :].lstrip(_PUNCTUATION)
        if not value.strip():
            return "alone", "", len(rest)
        return "separated", value.strip(), len(rest) - len(value)
    if _value_like(spec, stripped):
        return "bare", stripped.strip(), len(rest) - len(stripped)
    if len(stripped) <= _MAX_JUNK_CHARS and not stripped[0].islower():
        return "alone", "", len(rest)
    return None


def _value_like(spec: FieldSpec, text: str) -> bool:
    """Whether text after a label without a separator is the value rather than more words."""
    if spec.type is FieldType.DATE:
        return find_date(text) is not None
    if spec.type in (FieldType.MONEY, FieldType.NUMBER, FieldType.INTEGER):
        return re.match(r"\s*(HK\s*[$S]|HKD|\$)?\s*\d", text) is not None
    if spec.pattern is not None:
        return _pattern_value(spec, text) is not None
    tokens = text.split()
    return len(tokens) >= 2 and (text[0].isupper() or text[0].isdigit())


def _candidates(lines: Sequence[TextLine], specs: Sequence[FieldSpec]) -> list[_Label]:
    found = []
    for spec in specs:
        variants = label_variants(spec)
        for i, line in enumerate(lines):
            text = _norm(line.text)
            for variant in variants:
                aligned = _align(variant, text)
                if aligned is None or not _prefix_ok(line.text[: aligned[1]]):
                    continue
                score, _, end = aligned
                form = _form(spec, line.text[end:])
                if form is not None:
                    kind, rest, offset = form
                    found.append(
                        _Label(spec.name, i, score, kind, rest, end + offset, len(variant))
                    )
    return found


def _assign(candidates: list[_Label]) -> dict[str, _Label]:
    """Each field's best label line, no line serving two fields, best and most specific first."""
    rank = {"separated": 2, "bare": 2, "alone": 1}
    ordered = sorted(candidates, key=lambda c: (-round(c.score), -rank[c.form], -c.length, c.line))
    chosen: dict[str, _Label] = {}
    used: set[int] = set()
    for candidate in ordered:
        if candidate.field not in chosen and candidate.line not in used:
            chosen[candidate.field] = candidate
            used.add(candidate.line)
    return chosen


def _junk(line: TextLine) -> bool:
    return line.confidence < _JUNK_CONFIDENCE and len(line.text.split()) <= 1


def _middle(line: TextLine) -> float:
    return (line.bbox[1] + line.bbox[3]) / 2


def _owned_by_label_above(value: TextLine, labels: Sequence[TextLine]) -> bool:
    """A line right under another label, starting where it starts, is that label's value."""
    return any(
        label.bbox[3] - label.height // 2 <= value.bbox[1] <= label.bbox[3] + 2 * label.height
        and abs(value.bbox[0] - label.bbox[0]) <= _SIDEWAYS * label.height
        for label in labels
    )


def _value_right(
    label: TextLine, lines: Sequence[TextLine], free: set[int], labels: Sequence[TextLine]
) -> int | None:
    size = max(1, label.height)
    top, bottom = label.bbox[1] - size / 2, label.bbox[3] + _RIGHT_BAND * size
    candidates = [
        i
        for i in free
        if lines[i].bbox[0] >= label.bbox[2] - size
        and top <= _middle(lines[i]) <= bottom
        and not _junk(lines[i])
        and not _owned_by_label_above(lines[i], [ln for ln in labels if ln is not label])
    ]
    middle = _middle(label)  # in a table the value is level with the label, or a little lower
    return min(
        candidates, key=lambda i: (abs(_middle(lines[i]) - middle), lines[i].bbox[0]), default=None
    )


def _value_below(label: TextLine, lines: Sequence[TextLine], free: set[int]) -> int | None:
    size = max(1, label.height)
    candidates = [
        i
        for i in free
        if lines[i].bbox[1] >= label.bbox[3] - size // 2
        and lines[i].bbox[1] - label.bbox[3] <= _BELOW_LINES * size
        and abs(lines[i].bbox[0] - label.bbox[0]) <= _SIDEWAYS * size
        and not _junk(lines[i])
    ]
    return min(candidates, key=lambda i: lines[i].bbox[1], default=None)


def _sub_box(line: TextLine, start: int) -> tuple[int, int, int, int]:
    """The part of a line's box from character ``start`` on (characters taken as equally wide)."""
    x0, y0, x1, y1 = line.bbox
    share = start / max(1, len(line.text))
    return (round(x0 + (x1 - x0) * share), y0, x1, y1)


# --- Values of each type -------------------------------------------------------------------------


def _digits_fixed(text: str) -> str:
    """Letters OCR reads for digits, put back in words that are mostly digits (not in 'Oct')."""
    return " ".join(
        w.translate(_TO_DIGIT) if sum(c.isdigit() for c in w) >= 2 else w for w in text.split()
    )


def _month(word: str) -> str | None:
    found = process.extractOne(word.lower(), list(_MONTH_NAMES), scorer=fuzz.ratio, score_cutoff=75)
    return _MONTH_NAMES[found[0]] if found else None


def find_date(text: str) -> str | None:
    """The first date in OCR text, repaired (``1O/09/2026``, ``5 Decernber 2026``), or None."""
    fixed = _digits_fixed(text)
    numeric = _NUMERIC_DATE.search(fixed) or _ISO_DATE.search(fixed)
    worded = _WORD_DATE.search(fixed)
    if worded and (numeric is None or worded.start() < numeric.start()):
        month = _month(worded.group(2))
        if month is not None:
            return f"{int(worded.group(1))} {month} {worded.group(3)}"
    if numeric is None:
        return None
    return re.sub(r"\s+", "", numeric.group(0))


def _pattern_value(spec: FieldSpec, text: str) -> str | None:
    """The part of the text that has the field's pattern, repairing misread digits; or None."""
    assert spec.pattern is not None
    body = spec.pattern.removeprefix("^").removesuffix("$")
    compact = re.sub(r"\s*([-/])\s*", r"\1", text.upper())
    head, sep, tail = compact.partition("-")
    repaired = head + sep + tail.translate(_PATTERN_DIGITS)
    for candidate in (compact, repaired):
        match = re.search(body, candidate)
        if match:
            return match.group(0)
    return None


def _tidy_text(text: str) -> str:
    text = tidy_spacing(text.replace("_", "."))
    text = re.sub(r"(?<![A-Za-z])G[I1l|]F\b", "G/F", text)  # the slash of G/F read as I
    text = re.sub(r"(?<![A-Za-z])[ILl|](?=/F\b)", "1", text)  # a floor is G/F or a number
    text = re.sub(r"\b(Ltd|Co)[:;,]?$", r"\1.", text)
    return text.strip(" ,:;~'\"")


def typed_value(spec: FieldSpec, text: str) -> str:
    """The field's value in the text read for it (the whole tidied text when nothing fits)."""
    if spec.type is FieldType.DATE:
        return find_date(text) or _tidy_text(text)
    if spec.type in (FieldType.MONEY, FieldType.NUMBER, FieldType.INTEGER):
        amount = _AMOUNT.search(text)
        return " ".join(amount.group(0).split()) if amount else _tidy_text(text)
    if spec.pattern is not None:
        return _pattern_value(spec, text) or _tidy_text(text)
    return _tidy_text(text)


# --- Putting it together -------------------------------------------------------------------------


def extract_key_values(
    lines: Sequence[TextLine], specs: Sequence[FieldSpec], *, page: int, engine: str
) -> list[FieldReading]:
    """A reading for each field whose label is on the page; fields not found are left out.

    A label found with nothing beside or under it reads empty with no confidence, so the field is
    flagged as unread rather than missing. Confidence is the value's OCR confidence, scaled down
    by how loosely the label matched.
    """
    by_name = {spec.name: spec for spec in specs}
    labels = _assign(_candidates(lines, specs))
    label_lines = [lines[c.line] for c in labels.values()]
    free = set(range(len(lines))) - {c.line for c in labels.values()}
    readings = []
    for name, found in sorted(labels.items(), key=lambda item: item[1].line):
        spec, label = by_name[name], lines[found.line]
        weight = min(1.0, found.score / 100)
        if found.rest:
            value = typed_value(spec, found.rest)
            box = _sub_box(label, found.rest_start)
            readings.append(FieldReading(name, value, label.confidence * weight, page, box, engine))
            continue
        index = _value_right(label, lines, free, label_lines)
        if index is None:
            index = _value_below(label, lines, free)
        if index is None:
            readings.append(FieldReading(name, "", 0.0, page, label.bbox, engine))
            continue
        free.discard(index)
        line = lines[index]
        value = typed_value(spec, line.text)
        readings.append(
            FieldReading(name, value, line.confidence * weight, page, line.bbox, engine)
        )
    return readings
