"""F1 (issue 20 items 7 and 13): typing filters the keys; descriptions wrap at 60 columns and use the room at 120;
every place's keys are listed (compare's too)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.help import HelpScreen, KeyTable
from tests.ui.helpers import demo_app, type_text, wait_ready, wait_until

pytestmark = pytest.mark.anyio


async def open_help(pilot: Pilot[Any], app: LLMConsoleApp) -> tuple[HelpScreen, KeyTable]:
    await wait_ready(pilot, app)
    await pilot.press("f1")
    await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return screen, screen.table


async def test_typing_filters_the_keys_and_escape_clears_then_closes() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        main = app.main_screen
        screen, table = await open_help(pilot, app)
        everything = table.plain
        assert "Compare (f3)" in everything and "A selected message (ctrl+up)" in everything
        await type_text(pilot, "copy")
        shown = table.plain
        assert "[copy-reply]" in shown and "[copy-code]" in shown and "[new-conversation]" not in shown
        assert "Compare (f3)" not in shown  # a place with no match is left out
        await type_text(pilot, " code")
        assert "[copy-code]" in table.plain and "[copy-reply]" not in table.plain  # every word must match
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "zzz")
        assert table.plain == "no key matches 'zzz'"
        await pilot.press("escape")
        assert app.screen is screen and table.plain == everything  # the filter is cleared first
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)


async def test_keys_remapped_in_config_are_found_by_their_new_key() -> None:
    from dataclasses import replace

    from tests.ui.helpers import demo_settings

    app = demo_app(settings=replace(demo_settings(), keys={"copy-code": "f12"}))
    async with app.run_test(size=(80, 24)) as pilot:
        _, table = await open_help(pilot, app)
        await type_text(pilot, "f12")
        assert table.plain.splitlines()[1].startswith("f12") and "[copy-code]" in table.plain


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
async def test_nothing_is_cut_and_wide_screens_are_used(size: tuple[int, int]) -> None:
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        _, table = await open_help(pilot, app)
        await pilot.pause()
        lines = table.plain.splitlines()
        width = table.content_region.width
        assert "…" not in table.plain and max(len(line) for line in lines) <= width
        assert width >= min(size[0] - 12, 105)  # the dialog takes the room there is (to 120 columns)
        one_line = [line for line in lines if line.startswith("escape ")]
        if size[0] >= 100:  # room for the whole row: one line
            assert one_line and one_line[0].rstrip().endswith("[cancel-reply]")
