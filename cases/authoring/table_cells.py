"""What a decision-table cell accepts, for the checks: numeric ranges and lists of texts.

Only the simple forms are understood (``< 50``, ``[10..50)``, ``"a", "b"``, ``not("a")``, a
number, ``-``); a cell written any other way is ``None`` here and the checks leave its row alone
rather than guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["ANY", "Any_", "Cell", "Interval", "TextSet", "covers", "meet", "parse_cell"]

_NUMBER = r"-?\d+(?:\.\d+)?"
_COMPARISON = re.compile(rf"^\s*(<=|>=|<|>|==)?\s*({_NUMBER})\s*$")
_RANGE = re.compile(rf"^\s*([\[(\]])\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*([\])\[])\s*$")
_TEXTS = re.compile(r'^\s*"[^"]*"(?:\s*,\s*"[^"]*")*\s*$')
_NOT = re.compile(r"^\s*not\s*\((.*)\)\s*$", re.DOTALL)


@dataclass(frozen=True)
class Any_:
    """``-``: every value."""

    def __str__(self) -> str:
        return "-"


ANY = Any_()


@dataclass(frozen=True)
class Interval:
    lo: float
    lo_closed: bool
    hi: float
    hi_closed: bool

    @property
    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_closed and self.hi_closed))

    def contains(self, other: Interval) -> bool:
        lower = self.lo < other.lo or (
            self.lo == other.lo and (self.lo_closed or not other.lo_closed)
        )
        upper = self.hi > other.hi or (
            self.hi == other.hi and (self.hi_closed or not other.hi_closed)
        )
        return lower and upper

    def intersects(self, other: Interval) -> bool:
        lo, lo_closed = max((self.lo, self.lo_closed), (other.lo, other.lo_closed), key=_lo_key)
        hi, hi_closed = min((self.hi, self.hi_closed), (other.hi, other.hi_closed), key=_hi_key)
        return not Interval(lo, lo_closed, hi, hi_closed).empty


def _lo_key(bound: tuple[float, bool]) -> tuple[float, bool]:
    return bound[0], not bound[1]  # at the same value an open lower bound is the tighter one


def _hi_key(bound: tuple[float, bool]) -> tuple[float, bool]:
    return bound[0], bound[1]  # at the same value an open upper bound is the tighter one


@dataclass(frozen=True)
class TextSet:
    values: frozenset[str]
    negated: bool = False

    def contains(self, other: TextSet) -> bool:
        if not self.negated:
            return not other.negated and other.values <= self.values
        if not other.negated:
            return not (other.values & self.values)
        return self.values <= other.values

    def intersects(self, other: TextSet) -> bool:
        if self.negated and other.negated:
            return True
        if self.negated:
            return bool(other.values - self.values)
        if other.negated:
            return bool(self.values - other.values)
        return bool(self.values & other.values)


Cell = Any_ | Interval | TextSet


def _texts(text: str) -> frozenset[str] | None:
    if not _TEXTS.match(text):
        return None
    return frozenset(re.findall(r'"([^"]*)"', text))


def _comparison(operator: str | None, number: float) -> Interval:
    inf = math.inf
    return {
        "<": Interval(-inf, False, number, False),
        "<=": Interval(-inf, False, number, True),
        ">": Interval(number, False, inf, False),
        ">=": Interval(number, True, inf, False),
    }.get(operator or "==", Interval(number, True, number, True))


def parse_cell(cell: Any) -> Cell | None:
    """The cell as a range, a set of texts or ANY; None when the form is not a simple one."""
    if cell is None or (isinstance(cell, str) and cell.strip() in ("", "-")):
        return ANY
    if isinstance(cell, bool):
        return TextSet(frozenset({"true" if cell else "false"}))
    if isinstance(cell, int | float):
        return Interval(float(cell), True, float(cell), True)
    text = str(cell)
    if match := _COMPARISON.match(text):
        return _comparison(match.group(1), float(match.group(2)))
    if match := _RANGE.match(text):
        opening, lo, hi, closing = match.groups()
        return Interval(float(lo), opening == "[", float(hi), closing == "]")
    if (values := _texts(text)) is not None:
        return TextSet(values)
    if (negated := _NOT.match(text)) and (values := _texts(negated.group(1))) is not None:
        return TextSet(values, negated=True)
    return None


def covers(outer: Cell, inner: Cell) -> bool | None:
    """Whether every value ``inner`` accepts is accepted by ``outer``; None if not comparable."""
    if isinstance(outer, Any_):
        return True
    if isinstance(inner, Any_):
        return False
    if isinstance(outer, Interval) and isinstance(inner, Interval):
        return outer.contains(inner)
    if isinstance(outer, TextSet) and isinstance(inner, TextSet):
        return outer.contains(inner)
    return None


def meet(first: Cell, second: Cell) -> bool | None:
    """Whether some value is accepted by both cells; None if not comparable."""
    if isinstance(first, Any_) or isinstance(second, Any_):
        return True
    if isinstance(first, Interval) and isinstance(second, Interval):
        return first.intersects(second)
    if isinstance(first, TextSet) and isinstance(second, TextSet):
        return first.intersects(second)
    return None
