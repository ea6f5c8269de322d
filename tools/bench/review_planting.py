"""The bench review's planting vocabulary: what a bench application will say (:class:`BenchCase`),
what was built from it, and the :class:`Planter` plug-ins (one per finding type) registered by
code. Apart from ``tools.bench.review`` so the planters of later reviewers
(``tools.bench.review_models``) register themselves without an import loop."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["FOOD", "PLANTERS", "BenchCase", "BuiltCase", "Planter", "register_planter"]

FOOD = "food-business-licence"


@dataclass
class BenchCase:
    """What one bench application will say, before its documents are made."""

    seed: int
    form: dict[str, str]  # the application form's values (random_truth)
    tenancy: dict[str, str]
    fire: dict[str, str]
    id_card_png: bytes | None = None  # None: rendered from form's id_card_name/number
    expected: set[str] = field(default_factory=set)
    allowed: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class BuiltCase:
    case_id: int
    bench: BenchCase
    id_card_png: bytes


class Planter(Protocol):
    """Plants one kind of problem; ``needs_earlier``: it copies from a case built before."""

    code: str
    needs_earlier: bool

    def plant(self, case: BenchCase, earlier: list[BuiltCase], rng: random.Random) -> None: ...


PLANTERS: dict[str, Planter] = {}


def register_planter(planter: Planter) -> Planter:
    PLANTERS[planter.code] = planter
    return planter
