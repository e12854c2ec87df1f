"""Finding text in the open conversation (ctrl+f, then ``n`` / ``N`` as in less): plain data in, hits out.

Smart case, as in less ``-i`` or vim's smartcase: a query in lower case matches any case, one with a capital
matches exactly. Every occurrence is a hit, in reading order; stepping past the last one wraps to the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SNIPPET_CONTEXT = 24
"""Characters shown on each side of a hit in the search bar."""


@dataclass(frozen=True)
class Hit:
    """One occurrence: in message ``message_id``, ``start`` to ``end`` of its text (``length`` characters long)."""

    message_id: str
    start: int
    end: int
    length: int

    @property
    def fraction(self) -> float:
        """How far into its message the hit is (0 at the start, 1 at the end)."""
        return self.start / self.length if self.length else 0.0


def find_hits(texts: Sequence[tuple[str, str]], query: str) -> list[Hit]:
    """Every occurrence of ``query`` in ``texts`` ((message id, text) pairs), in order; none for a blank query."""
    if not query.strip():
        return []
    exact = query != query.lower()
    needle = query if exact else query.lower()
    hits: list[Hit] = []
    for message_id, text in texts:
        haystack = text if exact else text.lower()
        start = haystack.find(needle)
        while start != -1:
            hits.append(Hit(message_id, start, start + len(needle), len(text)))
            start = haystack.find(needle, start + max(1, len(needle)))
    return hits


def step(index: int | None, count: int, direction: int) -> int | None:
    """The hit after (``direction`` 1) or before (-1) ``index``, wrapping; the first (or last) when none is current."""
    if count == 0:
        return None
    if index is None:
        return 0 if direction > 0 else count - 1
    return (index + direction) % count


def snippet(text: str, hit: Hit) -> tuple[str, str, str]:
    """(before, the hit, after) on one line, cut to :data:`SNIPPET_CONTEXT` characters each side."""
    start = max(0, hit.start - SNIPPET_CONTEXT)
    end = min(len(text), hit.end + SNIPPET_CONTEXT)
    before = ("…" if start else "") + text[start : hit.start]
    after = text[hit.end : end] + ("…" if end < len(text) else "")
    return (" ".join(before.split(" ")).replace("\n", " "), text[hit.start : hit.end], after.replace("\n", " "))
