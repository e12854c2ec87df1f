"""The command palette lists `model: <id>` entries and the app's actions."""

from __future__ import annotations

import pytest

from .helpers import demo_app, main_screen, type_text, wait_until


@pytest.mark.anyio
async def test_palette_switches_model_by_name() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        assert "demo-claude-haiku-4-5" not in str(app.title) + str(app.sub_title)
        await pilot.pause(0.3)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "model: demo-claude-haiku")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: "demo-claude-haiku-4-5" in str(app.title) + str(app.sub_title))


@pytest.mark.anyio
async def test_palette_lists_actions() -> None:
    from textual.command import CommandPalette

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "compare")
        await pilot.pause(0.5)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        texts = " ".join(str(option.prompt) for option in palette.query_one("CommandList").options)  # type: ignore[attr-defined]
        assert "ompare" in texts
