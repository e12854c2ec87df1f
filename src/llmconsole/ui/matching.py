"""Fuzzy matching for the lists you type into (the model picker, the help filter): ``gpt5`` finds ``gpt-5.2``
as the command palette would, in time bounded by the lengths (no search over every way to match).

A query's words must each appear in order in the candidate, not necessarily together. A match scores a point
per letter, a point more for a letter that starts a word (after ``-``, ``/``, ``.``, a space, or where digits
follow letters) and a point more for a letter right after the previous one; a word found whole scores its
length again. Higher is better; 0 is no match.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")

_NONE = -1.0


@lru_cache(maxsize=8192)
def _word_starts(candidate: str) -> tuple[bool, ...]:
    """For each character: does a word start there (after a non-alphanumeric, or digits after letters)."""
    starts = []
    previous = ""
    for char in candidate:
        starts.append(char.isalnum() and (not previous.isalnum() or (char.isdigit() and previous.isalpha())))
        previous = char
    return tuple(starts)


def _positions(text: str, part: str) -> list[int]:
    """Where ``part`` starts in ``text`` (overlapping places too)."""
    found = []
    at = text.find(part)
    while at != -1:
        found.append(at)
        at = text.find(part, at + 1)
    return found


def word_score(word: str, candidate: str) -> float:
    """How well ``word`` matches ``candidate`` in order (case-insensitive); 0 when some letter is missing.

    Dynamic programming over the places each letter occurs (the best score with the letter there), each step a
    merge of two sorted lists: O(len(word) × len(candidate)) at worst, and a quick "letters in order?" check
    (at C speed) first, so that the many candidates that do not match cost next to nothing.
    """
    word, candidate = word.lower(), candidate.lower()
    if not word:
        return 0.0
    starts = _word_starts(candidate)
    if word in candidate:  # found whole (as the palette's quick exit): its best place, scored as a run
        size = len(word)
        return max(3 * size - 1 + sum(starts[at : at + size]) for at in _positions(candidate, word))
    rest = iter(candidate)
    if not all(letter in rest for letter in word):
        return 0.0
    best = {at: 1.0 + starts[at] for at in _positions(candidate, word[0])}
    for letter in word[1:]:
        earlier = sorted(best.items())
        row: dict[int, float] = {}
        before = _NONE  # the best score ending at least two places before this one
        k = 0
        for at in _positions(candidate, letter):
            while k < len(earlier) and earlier[k][0] < at - 1:
                before = max(before, earlier[k][1])
                k += 1
            gain = 1.0 + starts[at]
            score = before + gain if before >= 0 else _NONE
            adjacent = best.get(at - 1)
            if adjacent is not None:
                score = max(score, adjacent + gain + 1.0)
            if score >= 0:
                row[at] = score
        if not row:
            return 0.0
        best = row
    return max(best.values())


def match_score(query: str, candidate: str) -> float:
    """The sum of :func:`word_score` over the query's words; 0 when one of them does not match."""
    total = 0.0
    for word in query.split():
        score = word_score(word, candidate)
        if score <= 0:
            return 0.0
        total += score
    return total


def rank(items: Sequence[T], query: str, text: Callable[[T], str]) -> list[T]:
    """The items whose ``text`` matches ``query``, best first (ties keep their order); all of them, in order,
    for a blank query."""
    if not query.strip():
        return list(items)
    scored = [(match_score(query, text(item)), index, item) for index, item in enumerate(items)]
    return [item for score, _, item in sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))]
