"""The model picker matches as the command palette does (issue 20 item 9): ``gpt5`` finds ``demo-gpt-5``, and
a query that matches nothing says so."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.model_picker import ModelPickerModal
from tests.ui.helpers import demo_app, type_text, wait_ready, wait_until

pytestmark = pytest.mark.anyio


async def open_picker(pilot: Pilot[Any], app: LLMConsoleApp) -> tuple[MainScreen, ModelPickerModal]:
    main = await wait_ready(pilot, app)
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
    picker = app.screen
    assert isinstance(picker, ModelPickerModal)
    return main, picker


async def test_letters_in_order_find_the_model_and_enter_picks_it() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        main, picker = await open_picker(pilot, app)
        await type_text(pilot, "ch45")
        assert picker.highlighted_id == "demo-claude-haiku-4-5"
        assert picker.option_list.option_count == 1
        await pilot.press("ctrl+a", "ctrl+k")  # (clear the filter)
        await type_text(pilot, "llama70")
        assert picker.highlighted_id == "demo-llama-3-70b"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.model is not None and main.model.id == "demo-llama-3-70b"


async def test_no_match_says_so_and_enter_keeps_the_picker_open() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        main, picker = await open_picker(pilot, app)
        hint = picker.query_one("#picker-hint", Static)
        assert "no model" not in str(hint.content)
        await type_text(pilot, "gpt9")
        assert picker.option_list.option_count == 0
        assert str(hint.content) == "no model matches 'gpt9' · esc closes"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is picker and main.model is not None and main.model.id == "demo-gpt-5"
        await pilot.press("backspace")
        await type_text(pilot, "5")
        assert picker.highlighted_id == "demo-gpt-5" and "no model" not in str(hint.content)
