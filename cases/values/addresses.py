"""Hong Kong addresses: a canonical form for comparison and storage, and a check that it is one.

A Hong Kong address runs from the smallest part to the largest, comma-separated: unit
(``Shop 4``, ``Flat B``), floor (``2/F``, ``G/F``), building, street number and street, and the
district or area (``Wan Chai``). What a scan or a hurried applicant gets wrong is mostly the
punctuation (``;`` or ``:`` for a comma, a comma left out before the floor or the district), the
floor (``GF``, ``2F``; and in handwriting ``VF``, ``I/F``, ``Z/F`` or ``2/`` for a ``1`` run into
the slash, a ``1`` or ``2`` taken for a letter, the ``F`` lost) and a letter or two of a well-known
district (``KOLLOON``). Those are repaired; the district is then required, because a letter that
cannot name one cannot be delivered, and the field is flagged for a person instead. A repair does
not make a reading certain: the field keeps the recogniser's confidence, so an unsure one is still
checked by a person, who now starts from the likely address.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from cases.facts import Fact
from cases.values import problems

__all__ = ["AREAS", "normalise_address"]

# The 18 districts and the areas letters are addressed to (Rating and Valuation Department usage).
AREAS = (
    "Aberdeen", "Admiralty", "Ap Lei Chau", "Causeway Bay", "Central", "Chai Wan",
    "Cheung Sha Wan", "Diamond Hill", "Fanling", "Fo Tan", "Happy Valley", "Ho Man Tin",
    "Hong Kong", "Hung Hom", "Jordan", "Kennedy Town", "Kowloon", "Kowloon Bay", "Kowloon City",
    "Kowloon Tong", "Kwai Chung", "Kwun Tong", "Lai Chi Kok", "Lam Tin", "Lantau Island",
    "Ma On Shan", "Mid-Levels", "Mong Kok", "New Territories", "Ngau Tau Kok", "North Point",
    "Pok Fu Lam", "Prince Edward", "Quarry Bay", "Sai Kung", "Sai Wan Ho", "Sai Ying Pun",
    "San Po Kong", "Sha Tin", "Sham Shui Po", "Shau Kei Wan", "Sheung Shui", "Sheung Wan",
    "Tai Koo", "Tai Po", "Tai Wai", "Tin Shui Wai", "To Kwa Wan", "Tseung Kwan O", "Tsim Sha Tsui",
    "Tsing Yi", "Tsuen Wan", "Tuen Mun", "Tung Chung", "Wan Chai", "Wong Chuk Hang",
    "Wong Tai Sin", "Yau Ma Tei", "Yau Tong", "Yuen Long",
)  # fmt: skip
_AREA_KEYS = {area.upper(): area for area in AREAS}
_AREA_SCORE = 84  # rapidfuzz ratio: one or two letters wrong in a district name
# A floor: G/F, LG/F, UG/F, M/F or a number, as written (``GF``, ``2/F``) or as handwriting is
# misread: a 1 as I, l, |, ) or ], a 2 as Z, the F lost after the slash ("2/"), and "1/" run
# together into a "V" ("VF"). A word that is not one of those shapes is never taken for a floor.
_FLOOR = re.compile(r"(G|LG|UG|M|[\dIl|)\]!Zz]{1,3})(?:/F?|F)", re.IGNORECASE)
_LOOKALIKE_DIGITS = str.maketrans("Il|)]!Zz", "11111122")


def _area(words: str) -> str | None:
    """The gazetteer's spelling of ``words`` when they name an area (a letter or two off)."""
    found = process.extractOne(
        words.upper(), list(_AREA_KEYS), scorer=fuzz.ratio, score_cutoff=_AREA_SCORE
    )
    return _AREA_KEYS[found[0]] if found else None


def _split_area(part: str) -> tuple[str, str] | None:
    """``295 Hennessy Road Wan Chai`` -> (``295 Hennessy Road``, ``Wan Chai``): a comma left out."""
    words = part.split()
    for size in (3, 2, 1):
        if len(words) > size:
            area = _area(" ".join(words[-size:]))
            if area:
                return " ".join(words[:-size]), area
    return None


def _floor(word: str) -> str | None:
    """``word`` as a canonical floor (``1/F``), or None when it cannot be one."""
    token = re.sub(r"^[Vv]/?(?=[Ff]$)", "1/", word)  # "VF", "V/F": a handwritten "1/" or "1"
    match = _FLOOR.fullmatch(token)
    if match is None:
        return None
    number = match.group(1).upper()
    if number not in ("G", "LG", "UG", "M"):
        number = number.translate(_LOOKALIKE_DIGITS)
        if not number.isdigit():
            return None
    return f"{number}/F"


def _with_floor(part: str) -> list[str]:
    """A part with its floor made canonical, split off when the comma around it was left out:
    ``SHOP 6 1/`` -> [``SHOP 6``, ``1/F``]; ``SHOP 8 G/F 295 NATHAN ROAD`` -> three parts."""
    words = part.split()
    for i, word in enumerate(words):
        if (floor := _floor(word)) is not None:
            before = " ".join(words[:i]).rstrip(".")  # "SHOP 6. G/F": a comma read as a full stop
            after = " ".join(words[i + 1 :])
            return [p for p in (before, floor, after) if p]
    return [part]


def _zeros(number: re.Match[str]) -> str:
    return number.group().replace("O", "0").replace("o", "0")


def _styled(area: str, like: str) -> str:
    """The area in the writing's own style: block capitals stay capitals."""
    letters = [ch for ch in like if ch.isalpha()]
    return area.upper() if letters and all(ch.isupper() for ch in letters) else area


def normalise_address(text: str) -> tuple[str | None, Fact | None]:
    """The canonical address, or ``(None, reason)`` when no Hong Kong district or area ends it."""
    text = re.sub(r"\s*[;:]\s*", ", ", " ".join(text.split()))
    text = re.sub(r"(?<=[A-Za-z])'(?=\s)", ",", text)  # "Road' Wan Chai": a comma read as '
    text = re.sub(r"\b(?=[Oo]*\d)[\dOo]+\b", _zeros, text)  # "SHOP 1O": a number's 0 read as O
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return None, problems.NOTHING_READ()
    parts = [piece for part in parts for piece in _with_floor(part)]
    area = _area(parts[-1])
    if area:
        parts[-1] = _styled(area, parts[-1])
    elif (split := _split_area(parts[-1])) is not None:
        parts[-1:] = [split[0], _styled(split[1], parts[-1])]
    else:
        return None, problems.NOT_IN_DISTRICT(text=text)
    return ", ".join(parts), None
