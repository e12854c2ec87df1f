"""The conversation list's rows at any width (issue 20 item 7): the secondary columns (model, date, id) shorten
before the title, which keeps MIN_TITLE cells as long as they can."""

from __future__ import annotations

import pytest

from llmconsole.core.store.history import ConversationSummary
from llmconsole.ui.screens.conversations import MIN_TITLE, row_layout, summary_prompt


def summary(model: str, title: str = "How do I reverse a list in Python without copying it?") -> ConversationSummary:
    return ConversationSummary(
        id="0a1b2c3d" * 4,
        short_id="0a1b2c3d",
        title=title,
        model=model,
        kind="chat",
        updated_at=1_735_689_600.0,
        message_count=2,
        last_status="completed",
    )


ROWS = [summary("databricks-claude-sonnet-4-5-20250929"), summary("gpt-5.2")]


@pytest.mark.parametrize("width", range(44, 140, 4))
def test_the_title_keeps_its_cells_while_anything_else_can_shorten(width: int) -> None:
    layout = row_layout(ROWS, width)
    for row in ROWS:
        plain = summary_prompt(row, layout).plain
        title_cells = width - layout.fixed()
        assert title_cells >= MIN_TITLE or layout == row_layout(ROWS, 10), (width, plain)
        assert plain.startswith(row.short_id[: layout.id_width] + "  ")


def test_the_order_of_shortening() -> None:
    """Widest first: everything whole; then the model is cut, the date loses its year, then its time, the id
    loses two characters, and last the date goes."""
    seen = []
    for width in range(140, 30, -1):
        layout = row_layout(ROWS, width)
        step = (layout.id_width, layout.time_format)
        if not seen or seen[-1] != step:
            seen.append(step)
    assert seen == [
        (8, "%Y-%m-%d %H:%M"),
        (8, "%m-%d %H:%M"),
        (8, "%m-%d"),
        (6, "%m-%d"),
        (6, ""),
    ]
    assert row_layout(ROWS, 140).model_width == len("databricks-claude-sonnet-4-5-20250929")
