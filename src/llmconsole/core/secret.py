"""A string that never shows itself: the API key.

``repr``/``str``/f-strings show ``**********``; only :meth:`Secret.get_secret_value` gives the value. It cannot be
pickled or JSON-encoded by accident (both raise). Copying (``copy``/``dataclasses.asdict``) keeps the same object.
"""

from __future__ import annotations

from typing import Any, NoReturn

MASK = "**********"


class Secret:
    """An immutable secret string (compared and hashed by value, shown as ``**********``)."""

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str = "") -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret takes a str, not {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def get_secret_value(self) -> str:
        """The secret itself (for the ``Authorization`` header and redaction only)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Secret cannot be pickled (it would write the key out)")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled (it would write the key out)")
