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

__all__ = ["EnumText"]

_Word = TypeVar("_Word", bound=StrEnum)


class EnumText(TypeDecorator[_Word], Generic[_Word]):
    """``VARCHAR(length)`` in the database, a member of ``enum`` in Python."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[_Word], length: int = 32) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length

    def _member(self, value: object) -> _Word | None:
        return next((member for member in self.enum if member.value == value), None)

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        member = self._member(value)
        if member is None:
            choices = ", ".join(self.enum)
            raise ValueError(f"{value!r} is not a {self.enum.__name__} ({choices}); not stored")
        return member.value

    def process_result_value(self, value: Any, dialect: Dialect) -> _Word | None:
        if value is None:
            return None
        member = self._member(value)
        if member is None:
            raise UnknownStoredValue(self.enum.__name__, value, [m.value for m in self.enum])
        return member
