"""Hong Kong addresses: a canonical form for comparison and storage, and a check that it is one.

A Hong Kong address runs from the smallest part to the largest, comma-separated: unit
(``Shop 4``, ``Flat B``), floor (``2/F``, ``G/F``), building, street number and street, and the
district or area (``Wan Chai``). What a scan or a hurried applicant gets wrong is mostly the
punctuation (``;`` or ``:`` for a comma, a comma left out before the floor or the district), the
floor's slash (``GF``, ``2F``) and a letter or two of a well-known district (``KOLLOON``). Those
are repaired; the district is then required, because a letter that cannot name one cannot be
delivered, and the field is flagged for a person instead.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

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
_FLOOR = re.compile(r"^(G|LG|UG|M|\d{1,3})\s*/?\s*F$", re.IGNORECASE)
_FLOOR_IN_TEXT = r"(?:G|LG|UG|M|\d{1,3})/F\b"


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


def _styled(area: str, like: str) -> str:
    """The area in the writing's own style: block capitals stay capitals."""
    letters = [ch for ch in like if ch.isalpha()]
    return area.upper() if letters and all(ch.isupper() for ch in letters) else area


def normalise_address(text: str) -> tuple[str | None, str | None]:
    """The canonical address, or ``(None, reason)`` when no Hong Kong district or area ends it."""
    text = re.sub(r"\s*[;:]\s*", ", ", " ".join(text.split()))
    text = re.sub(r"(?<=[A-Za-z])'(?=\s)", ",", text)  # "Road' Wan Chai": a comma read as '

    text = re.sub(rf"(?<=\w)\s+(?={_FLOOR_IN_TEXT})", ", ", text)  # "Shop 8 G/F" -> "Shop 8, G/F"
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return None, "nothing was read"
    parts = [f"{m.group(1).upper()}/F" if (m := _FLOOR.match(part)) else part for part in parts]
    area = _area(parts[-1])
    if area:
        parts[-1] = _styled(area, parts[-1])
    elif (split := _split_area(parts[-1])) is not None:
        parts[-1:] = [split[0], _styled(split[1], parts[-1])]
    else:
        return None, (
            f"'{text}' does not end with a Hong Kong district or area (e.g. Wan Chai, Mong Kok); "
            "check the address against the document"
        )
    return ", ".join(parts), None
