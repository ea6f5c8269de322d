"""Hong Kong identity card numbers: the check digit, the canonical form and OCR repairs.

``A123456(3)``: one or two letters, six digits and a check digit (0-9 or A) computed from the rest,
so a misread is caught and a repair can be verified rather than guessed.
"""

from __future__ import annotations

import re

__all__ = ["hkid_check_digit", "is_valid_hkid", "normalise_hkid", "repair_hkid"]


_HKID_SPACE = 36  # value of the implied leading space of a one-letter prefix


_HKID_RE = re.compile(r"^([A-Z]{1,2})(\d{6})\(?([0-9A])\)?$")


_HKID_BODY_RE = re.compile(r"^[A-Z]{1,2}\d{6}$")


def hkid_check_digit(letters_digits: str) -> str:
    """Check digit of an HKID prefix plus six digits, e.g. ``"A123456"`` -> ``"3"``.

    The published algorithm: a one-letter prefix is padded with a space worth 36, letters are worth
    A=10 … Z=35, the nine characters are weighted 9 … 1 (the check digit takes weight 1), and the
    check digit makes the weighted sum divisible by 11; a value of 10 is written ``A``.
    """
    body = letters_digits.strip().upper()
    if not _HKID_BODY_RE.match(body):
        raise ValueError(f"expected one or two letters and six digits, got {letters_digits!r}")
    values = [_HKID_SPACE] if len(body) == 7 else []
    values += [int(ch, 36) for ch in body]  # int("A", 36) == 10, int("7", 36) == 7
    total = sum(value * weight for value, weight in zip(values, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def _hkid_parts(text: str) -> tuple[str, str, str] | None:
    compact = re.sub(r"\s+", "", text).upper()
    match = _HKID_RE.match(compact)
    if match is None:
        return None
    letters, digits, check = match.groups()
    return letters, digits, check


def normalise_hkid(text: str) -> str | None:
    """Canonical ``A123456(3)`` from the ways people write it, or None when the shape is wrong.

    Does not verify the check digit (see :func:`is_valid_hkid`), so a caseworker can be shown the
    number as read together with a precise complaint about it.
    """
    parts = _hkid_parts(text)
    if parts is None:
        return None
    letters, digits, check = parts
    return f"{letters}{digits}({check})"


def is_valid_hkid(text: str) -> bool:
    """True when the text is an HKID number whose check digit is right."""
    parts = _hkid_parts(text)
    return parts is not None and hkid_check_digit(parts[0] + parts[1]) == parts[2]


# Digits OCR reads in place of a prefix letter. I, O, Q and U are never issued as prefixes, so a
# "0" in the prefix is a D; every repair is accepted only when the check digit then agrees.
_PREFIX_REPAIRS = str.maketrans({"0": "D", "2": "Z", "5": "S", "8": "B", "6": "G"})


_DIGIT_REPAIRS = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8"}
)


_OCR_HKID_RE = re.compile(r"^([A-Z0-9]{1,2}?)([0-9OQDILSB]{6})[(\[{]*([0-9A])[)\]}]*$")


def repair_hkid(text: str) -> str | None:
    """A valid canonical HKID from OCR text with the usual misreadings, or None.

    Repairs a digit read for a prefix letter (``0400179(7)`` -> ``D400179(7)``), a letter read for
    a digit (``RO60569(6)`` -> ``R060569(6)``) and doubled or square brackets; the result must
    pass the check digit, so a repair never invents a number.
    """
    compact = re.sub(r"\s+", "", text).upper()
    match = _OCR_HKID_RE.match(compact)
    if match is None:
        return None
    prefix, digits, check = match.groups()
    repaired = f"{prefix.translate(_PREFIX_REPAIRS)}{digits.translate(_DIGIT_REPAIRS)}"
    candidate = f"{repaired}({check})"
    return candidate if is_valid_hkid(candidate) else None
