"""The overflow offer offers only what can help, and every choice is checked again before sending (issue 20
item 5)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.widgets import Button

from llmconsole.core.config import ModelOverride
from llmconsole.ui.screens.overflow import ContextOverflowModal
from tests.ui.helpers import ScriptedDemo, demo_app, demo_settings, send, wait_ready, wait_until

SIZE = (120, 40)
pytestmark = pytest.mark.anyio


def small_window(tokens: int) -> Any:
    return replace(demo_settings(), models={"demo-gpt-5": ModelOverride(context_window=tokens)})


def buttons(modal: ContextOverflowModal) -> list[str]:
    return [b.id or "" for b in modal.query(Button)]


async def test_a_first_prompt_too_big_alone_is_offered_no_compaction() -> None:
    transport = ScriptedDemo()
    app = demo_app(transport, settings=small_window(2_000))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        main.prompt.load_text("y " * 4_000)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal))
        modal = app.screen
        assert isinstance(modal, ContextOverflowModal)
        assert buttons(modal) == ["ov-send", "ov-cancel"]
        assert "prompt alone is larger than the window" in str(modal.query_one("#ov-help").render())
        await pilot.press("c", "d")  # not offered: nothing happens
        await pilot.pause()
        assert app.screen is modal and transport.posts == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.prompt.text.startswith("y y") and transport.posts == []


async def test_after_compacting_it_checks_again_and_offers_again_instead_of_sending() -> None:
    transport = ScriptedDemo()
    app = demo_app(transport, settings=small_window(4_000))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        for prompt in ("one", "two"):
            await send(pilot, app, prompt)
        posts = len(transport.posts)
        main.prompt.load_text("y " * 2_600)  # fits alone, not after the (long) demo turns, nor after a summary
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal))
        first = app.screen
        assert isinstance(first, ContextOverflowModal) and buttons(first)[:2] == ["ov-compact", "ov-drop"]
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal) and app.screen is not first)
        await app.workers.wait_for_complete()
        again = app.screen
        assert isinstance(again, ContextOverflowModal)
        assert len(transport.posts) == posts + 1  # the summary only: the prompt was not sent over the window
        assert main.prompt.text.startswith("y y")
        await pilot.press("escape")
