"""Tool calls in the console: search hits, the approval dialog, the folded call blocks, the tool picker."""

from __future__ import annotations

from llmconsole.core.store.history import SearchHit
from llmconsole.ui.screens.conversations import hit_prompt


def test_a_tool_hit_says_which_tool_matched() -> None:
    hit = SearchHit("c" * 32, "m" * 32, "Tides", "High water 06:12", "tool", ((0, 4),), 0.0, "tide_table")
    assert "tool tide_table: High water 06:12" in hit_prompt(hit).plain
