"""The API key's type: a string that never shows itself.

``repr``/``str`` show ``**********``; only ``get_secret_value()`` gives the value (used for the
``Authorization`` header and for redaction, nowhere else). The same interface as pydantic's ``SecretStr``
(a ``SecretStr`` given to ``Settings`` is taken as one), without importing pydantic (~25-60 ms) before the
first frame (issue 11).
"""

from __future__ import annotations

__all__ = ["Secret"]

_MASK = "**********"


class Secret:
    """A secret string: ``str``/``repr``/``format`` never show it; ``get_secret_value()`` does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a Secret holds a str, not {type(value).__name__}")
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __str__(self) -> str:
        return _MASK if self._value else ""

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Secret('{self}')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __copy__(self) -> Secret:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not pickled (it would write the value)")
