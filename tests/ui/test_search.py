"""ctrl+f searches the open conversation, then n / N go to the next / previous hit as in less (issue 20 item 13).

Pure search (ui/search.py) first, then the bar in the app: the hit's message is marked and scrolled into view,
far-back messages are mounted, the count and the hit's line show in the bar, Escape returns to the prompt.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.search import Hit, find_hits, snippet, step
from llmconsole.ui.widgets.prompt import PromptInput
from llmconsole.ui.widgets.search_bar import SearchBar
from tests.ui.helpers import demo_app, send, type_text, wait_ready, wait_until

TEXTS = [("a", "Reverse a list: use reversed()."), ("b", "A LIST is not a tuple; list.reverse() works in place.")]


def test_every_occurrence_in_order_with_smart_case() -> None:
    assert [(h.message_id, h.start) for h in find_hits(TEXTS, "list")] == [("a", 10), ("b", 2), ("b", 23)]
    assert [(h.message_id, h.start) for h in find_hits(TEXTS, "LIST")] == [("b", 2)]  # a capital: exact case
    assert find_hits(TEXTS, "  ") == [] and find_hits(TEXTS, "nowhere") == []
    assert find_hits([("x", "aaaa")], "aa") == [Hit("x", 0, 2, 4), Hit("x", 2, 4, 4)]


def test_steps_wrap_like_less() -> None:
    assert step(None, 3, 1) == 0 and step(None, 3, -1) == 2
    assert step(2, 3, 1) == 0 and step(0, 3, -1) == 2
    assert step(None, 0, 1) is None


def test_a_snippet_is_one_line_around_the_hit() -> None:
    text = "x" * 40 + "\nthe needle\n" + "y" * 40
    (hit,) = find_hits([("m", text)], "needle")
    before, found, after = snippet(text, hit)
    assert found == "needle" and before.startswith("…") and after.endswith("…") and "\n" not in before + after


async def ask(pilot: Pilot[Any], app: LLMConsoleApp) -> MainScreen:
    main = await wait_ready(pilot, app)
    for prompt in ("show a table", "write some code", "show a table again"):
        await send(pilot, app, prompt)
    return main


def bar_of(main: MainScreen) -> SearchBar:
    return main.query_one(SearchBar)


def status(main: MainScreen) -> str:
    return str(bar_of(main).status.content)


def in_view(main: MainScreen) -> bool:
    marked = [w for w in main.pane.children if w.has_class("-search-hit")]
    region = main.pane.region
    return len(marked) == 1 and marked[0].region.overlaps(region)


@pytest.mark.anyio
@pytest.mark.parametrize("size", [(60, 20), (120, 40)])
async def test_ctrl_f_then_n_and_shift_n_step_through_the_hits(size: tuple[int, int]) -> None:
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        main = await ask(pilot, app)
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: bool(main.query(SearchBar)) and bar_of(main).input.has_focus)
        await type_text(pilot, "table")
        bar = bar_of(main)
        total = len(bar.hits)
        assert total >= 3  # both prompts and the replies' tables
        assert status(main).startswith(f"1/{total} ") and "table" in status(main)
        await wait_until(pilot, lambda: in_view(main))
        first = bar.current
        await pilot.press("enter")  # leaves the field: the keys of less from now on
        assert bar.has_focus and bar.current == first
        await pilot.press("n")
        assert status(main).startswith(f"2/{total} ")
        await pilot.press("N", "N")
        assert status(main).startswith(f"{total}/{total} ")  # wrapped to the last
        await wait_until(pilot, lambda: in_view(main))
        await pilot.press("slash")
        assert bar.input.has_focus
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "zebra")
        assert status(main).startswith("not found: 'zebra'") and bar.hits == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.focused, PromptInput))
        assert not bar.display and not [w for w in main.pane.children if w.has_class("-search-hit")]
        assert main.prompt.text == ""  # nothing typed into the prompt meanwhile


@pytest.mark.anyio
async def test_a_hit_far_back_is_mounted_and_shown() -> None:
    from llmconsole.ui.widgets.conversation import MOUNT_TAIL

    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "the needle is here")
        for index in range(MOUNT_TAIL // 2 + 2):
            await send(pilot, app, f"filler {index}")
        first = main.conversation.messages[0]
        await main.pane.show_messages(list(main.conversation.messages))  # as a reopened conversation: a window
        assert main.pane.hidden_count > 0
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: bool(main.query(SearchBar)) and bar_of(main).input.has_focus)
        await type_text(pilot, "needle")
        await wait_until(pilot, lambda: in_view(main))
        marked = next(w for w in main.pane.children if w.has_class("-search-hit"))
        assert getattr(marked, "message", None) is first
