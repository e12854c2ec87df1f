"""Fuzzy matching for the lists you type into (the model picker, the help filter): ``gpt5`` finds ``gpt-5.2``
as the command palette would, in time bounded by the lengths (no search over every way to match).

A query's words must each appear in order in the candidate, not necessarily together. A match scores a point
per letter, a point more for a letter that starts a word (after ``-``, ``/``, ``.``, a space, or where digits
follow letters) and a point more for a letter right after the previous one; a word found whole scores its
length again. Higher is better; 0 is no match.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

_NONE = -1.0


def _word_starts(candidate: str) -> list[bool]:
    starts = []
    previous = ""
    for char in candidate:
        starts.append(
            char.isalnum() and (not previous.isalnum() or (char.isdigit() and previous.isalpha()) or previous == "")
        )
        previous = char
    return starts


def word_score(word: str, candidate: str) -> float:
    """How well ``word`` matches ``candidate`` in order (case-insensitive); 0 when some letter is missing.

    Dynamic programming over (letter of the word, position in the candidate): O(len(word) × len(candidate)).
    """
    word, candidate = word.lower(), candidate.lower()
    if not word:
        return 0.0
    starts = _word_starts(candidate)
    # best[j]: the best score with the word's letters so far matched, the last one at position j
    best = [(1.0 + starts[j]) if char == word[0] else _NONE for j, char in enumerate(candidate)]
    for letter in word[1:]:
        row = [_NONE] * len(candidate)
        before = _NONE  # the best of best[k] for k < j - 1
        for j, char in enumerate(candidate):
            if j >= 2:
                before = max(before, best[j - 2])
            if char != letter:
                continue
            gain = 1.0 + starts[j]
            adjacent = best[j - 1] + gain + 1.0 if j >= 1 and best[j - 1] >= 0 else _NONE
            apart = before + gain if before >= 0 else _NONE
            row[j] = max(adjacent, apart)
        best = row
    score = max(best, default=_NONE)
    if score < 0:
        return 0.0
    return score + (len(word) if word in candidate else 0.0)


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
