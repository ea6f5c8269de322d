"""Column types: a word of the product's vocabulary (``cases.vocabulary``) stored as its text.

The column stays a plain ``VARCHAR`` holding the enum's value, so rows written before the enums
existed read the same and no migration is needed; what changes is that reading a row gives the
enum member, and a value that is no member stops the read with :class:`UnknownStoredValue`
instead of travelling on as text that no comparison recognises.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import Dialect, String
from sqlalchemy.types import TypeDecorator

from cases.errors import UnknownStoredValue

__all__ = ["EnumText", "stored_word"]

_Word = TypeVar("_Word", bound=StrEnum)


def stored_word(enum: type[_Word], value: object) -> _Word:
    """A word read back from storage (a column, or a JSON document such as a review's findings)
    as its enum member; anything else is :class:`UnknownStoredValue`."""
    for member in enum:
        if member.value == value:
            return member
    raise UnknownStoredValue(enum.__name__, value, [m.value for m in enum])


class EnumText(TypeDecorator[_Word], Generic[_Word]):
    """``VARCHAR(length)`` in the database, a member of ``enum`` in Python."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[_Word], length: int = 32) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value not in {member.value for member in self.enum}:
            choices = ", ".join(self.enum)
            raise ValueError(f"{value!r} is not a {self.enum.__name__} ({choices}); not stored")
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> _Word | None:
        return None if value is None else stored_word(self.enum, value)
