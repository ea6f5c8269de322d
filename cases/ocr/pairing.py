"""Label/value pairing: find each field's printed label among a page's lines and take its value.

Used where there is no trustworthy geometry to read zonally: a PDF's text layer, a page whose scan
could not be registered to the form, a document with no known layout, and the benchmark's
comparison engines. Labels are matched fuzzily (rapidfuzz), because OCR misreads a letter or two
of a label as readily as of a value. The value is the rest of the label's line (``Name: CHAN``) or
else the nearest line under the label that starts near where the label starts, as on a form that
prints the label above its box.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rapidfuzz import fuzz

from cases.documents import TextLine
from cases.ocr.reader import FieldReading
from cases.ocr.zonal import tidy_spacing

__all__ = ["merge_rows", "pair_labels"]

_LABEL_SCORE = 85  # rapidfuzz ratio (0-100) for a line to count as a label
_BELOW_LINES = 4.0  # a value starts at most this many label heights under its label
_SIDEWAYS_LINES = 3.0  # ... and this many label heights left or right of the label's start
_TICKS = {"x", "✓", "✔", "☒", "☑", "v"}


def _norm(text: str) -> str:
    return " ".join(text.lower().replace(":", " ").split())


def _label_score(line: TextLine, label: str) -> tuple[float, str]:
    """How well a line matches a label, and what follows the label on the same line."""
    text, wanted = _norm(line.text), _norm(label)
    whole = fuzz.ratio(text, wanted)
    head = text[: len(wanted)]
    prefix = fuzz.ratio(head, wanted) if len(text) > len(wanted) + 1 else 0.0
    if prefix > whole and prefix >= _LABEL_SCORE:
        rest = line.text.split(":", 1)[1] if ":" in line.text else line.text[len(wanted) :]
        return prefix, rest.strip(" :")
    return whole, ""


def _find_labels(
    lines: Sequence[TextLine], labels: Mapping[str, str]
) -> dict[str, tuple[TextLine, str]]:
    """Each field's label line, every line used for at most one label, best matches first."""
    scored = [
        (score, name, i, rest)
        for name, label in labels.items()
        for i, line in enumerate(lines)
        for score, rest in [_label_score(line, label)]
        if score >= _LABEL_SCORE
    ]
    found: dict[str, tuple[TextLine, str]] = {}
    used: set[int] = set()
    for _, name, i, rest in sorted(scored, key=lambda s: -s[0]):
        if name not in found and i not in used:
            found[name] = (lines[i], rest)
            used.add(i)
    return found


def _value_below(label: TextLine, lines: Sequence[TextLine], taken: set[int]) -> int | None:
    x0, _, _, y1 = label.bbox
    size = max(1, label.height)
    candidates = [
        i
        for i, line in enumerate(lines)
        if i not in taken
        and line.bbox[1] >= y1 - size // 2
        and line.bbox[1] - y1 <= _BELOW_LINES * size
        and abs(line.bbox[0] - x0) <= _SIDEWAYS_LINES * size
    ]
    return min(candidates, key=lambda i: lines[i].bbox[1], default=None)


def _tick_before(label: TextLine, lines: Sequence[TextLine]) -> bool:
    """A checkbox's mark: an X or tick on the label's row, just left of the label."""
    size = max(1, label.height)
    return any(
        line.text.strip().lower() in _TICKS
        and line.bbox[2] <= label.bbox[0] + size // 2
        and label.bbox[0] - line.bbox[2] <= _SIDEWAYS_LINES * size
        and min(line.bbox[3], label.bbox[3]) - max(line.bbox[1], label.bbox[1]) > 0
        for line in lines
    )


def pair_labels(
    lines: Sequence[TextLine],
    labels: Mapping[str, str],
    *,
    page: int,
    engine: str,
    checkboxes: frozenset[str] = frozenset(),
) -> list[FieldReading]:
    """A reading for every labelled field found on the page (fields not found are left out).

    A field in ``checkboxes`` reads ``yes`` when a mark stands just left of its label, else ``no``.
    """
    found = _find_labels(lines, labels)
    taken = {i for i, line in enumerate(lines) for label, _ in found.values() if line is label}
    readings = []
    for name, (label, rest) in found.items():
        if name in checkboxes:
            ticked = "yes" if _tick_before(label, lines) else "no"
            readings.append(FieldReading(name, ticked, label.confidence, page, label.bbox, engine))
            continue
        value = label if rest else None
        if value is None:
            index = _value_below(label, lines, taken)
            if index is not None:
                taken.add(index)
                value = lines[index]
        if value is None:
            readings.append(FieldReading(name, "", 0.0, page, label.bbox, engine))
        else:
            text = tidy_spacing(rest or value.text)
            readings.append(FieldReading(name, text, value.confidence, page, value.bbox, engine))
    return readings


def _same_row(left: TextLine, right: TextLine) -> bool:
    overlap = min(left.bbox[3], right.bbox[3]) - max(left.bbox[1], right.bbox[1])
    gap = right.bbox[0] - left.bbox[2]
    size = min(left.height, right.height)
    return overlap >= 0.5 * size and -size < gap < 1.2 * max(left.height, right.height)


def merge_rows(
    lines: Sequence[TextLine],
    *,
    same_row: Callable[[TextLine, TextLine], bool] = _same_row,
) -> list[TextLine]:
    """Join words a text detector split apart on one line of print (not across columns).

    ``same_row`` decides when two detections are one line; an ID card's tight print wants a
    stricter test than a form page's.
    """
    merged: list[TextLine] = []
    for line in sorted(lines, key=lambda ln: ln.bbox[0]):
        for i, row in enumerate(merged):
            if same_row(row, line):
                bbox = (
                    min(row.bbox[0], line.bbox[0]),
                    min(row.bbox[1], line.bbox[1]),
                    max(row.bbox[2], line.bbox[2]),
                    max(row.bbox[3], line.bbox[3]),
                )
                confidence = min(row.confidence, line.confidence)
                merged[i] = TextLine(f"{row.text} {line.text}", confidence, bbox)
                break
        else:
            merged.append(line)
    return sorted(merged, key=lambda ln: (ln.bbox[1], ln.bbox[0]))
