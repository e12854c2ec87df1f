"""Compare mode says where you are and how to reach the other answers at every width (issue 20 item 3):
``2/3`` in the line above the columns and in each column's title, left/right or [/] move, F1 lists them."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.compare import CompareScreen
from llmconsole.ui.screens.help import HelpScreen
from tests.ui.helpers import demo_app, type_text, wait_until
from tests.ui.test_compare import THREE as MODELS
from tests.ui.test_compare import _open_compare

pytestmark = pytest.mark.anyio


async def compared(pilot: Pilot[Any], app: LLMConsoleApp) -> CompareScreen:
    screen = await _open_compare(pilot, app)
    assert screen.start("hello there", MODELS)
    await wait_until(pilot, lambda: all(c.finished for c in screen.columns))
    await app.workers.wait_for_complete()
    await pilot.pause()
    return screen


def nav(screen: CompareScreen) -> str:
    return str(screen.query_one("#compare-nav", Static).content)


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
async def test_the_keys_move_between_answers_and_the_line_says_where(size: tuple[int, int]) -> None:
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        screen = await compared(pilot, app)
        assert nav(screen) == "1/3 · ← → or [ ] move · enter or 1–3 continues · esc closes"
        line = screen.query_one("#compare-nav", Static)
        area = line.content_region
        assert len(nav(screen)) <= area.width * area.height and area.right <= size[0]  # whole, wrapped if need be
        for key, where in [("right", 2), ("]", 3), ("right", 3), ("left", 2), ("[", 1), ("left", 1)]:
            await pilot.press(key)
            await pilot.pause()
            column = screen.current_column
            assert column is not None and column.index == where, key
            assert nav(screen).startswith(f"{where}/3 ")
            assert str(column.border_title).startswith(f"{where}/3 {MODELS[where - 1]}")
            visible = screen.query_one("#compare-columns").region
            assert visible.x <= column.region.x and column.region.right <= visible.right  # scrolled into view
        await pilot.press("right", "enter")  # continues the answer it is on
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        main = app.main_screen
        assert main is not None and main.model is not None and main.model.id == MODELS[1]


async def test_the_setup_form_keeps_its_keys_and_the_instructions_wrap_whole() -> None:
    app = demo_app()
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await _open_compare(pilot, app)
        screen.prompt_input.focus()
        await type_text(pilot, "a[b]")
        await pilot.press("left")
        assert screen.query_one("#compare-prompt", Input).value == "a[b]" and screen.columns == []
        instructions = screen.query_one("#compare-help", Static)
        assert instructions.region.height == 2  # wrapped at 60 columns, not cut
        assert "Enter sends it to all of them." in " ".join(str(instructions.content).split())


async def test_f1_lists_the_compare_keys() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await compared(pilot, app)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = help_screen.table.plain
        compare = text[text.index("Compare (f3)") :]
        assert "right / ]" in compare and "[compare-next]" in compare
        assert "left / [" in compare and "[compare-previous]" in compare
