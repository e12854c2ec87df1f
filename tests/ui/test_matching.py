"""Fuzzy matching for the model picker and the help filter (ui/matching.py): plain data in, no app."""

from __future__ import annotations

import pytest

from llmconsole.ui.matching import match_score, rank, word_score

IDS = ["demo-gpt-5", "gpt-5.2", "gpt-4.1-mini", "claude-3-5-sonnet", "databricks-claude-sonnet-4-5", "o3"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("gpt5", ["demo-gpt-5", "gpt-5.2"]),
        ("GPT5", ["demo-gpt-5", "gpt-5.2"]),
        ("sonnet45", ["databricks-claude-sonnet-4-5"]),
        ("gpt mini", ["gpt-4.1-mini"]),
        ("o3", ["o3"]),
        ("zzz", []),
        ("5gpt", []),  # in order only
    ],
)
def test_letters_in_order_match(query: str, found: list[str]) -> None:
    assert sorted(rank(IDS, query, str)) == sorted(found)


def test_a_blank_query_keeps_everything_in_order() -> None:
    assert rank(IDS, "  ", str) == IDS


def test_whole_words_and_word_starts_rank_first() -> None:
    assert rank(["gemini-2.5-flash", "gpt-4.1-mini"], "mini", str) == ["gpt-4.1-mini", "gemini-2.5-flash"]
    assert word_score("cs", "claude-sonnet") > word_score("cs", "mocks")
    assert match_score("gpt 5", "gpt-5.2") > match_score("gpt 5", "g-p-t-x-5")


def test_time_is_bounded_by_the_lengths() -> None:
    """No search over every way to match: 40 letters against 4,000 identical ones (C(4000, 40) ways, which a
    matcher enumerating them would never finish) take 160,000 steps. The best match is the contiguous run."""
    assert word_score("a" * 40, "a" * 4_000) == 1 + 1 + 39 * 2 + 40  # letters, the word start, adjacency, whole
