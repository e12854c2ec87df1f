"""A theme picked in the command palette is kept for the next start (issue 20 item 12): ``theme = "…"`` in
config.toml, written only for that key; the next start shows it from its first frame."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from llmconsole.core.config import config_file_path, load_settings
from llmconsole.ui.app import LLMConsoleApp
from tests.ui.helpers import demo_app, type_text, wait_ready, wait_until

pytestmark = pytest.mark.anyio

CONFIG = '# mine\nsystem_prompt = "Be brief."\n\n[keys]\ncopy-code = "f12"\n'


def first_option(app: LLMConsoleApp) -> str:
    """The palette's first entry as shown ("" while there is none)."""
    if not isinstance(app.screen, CommandPalette):
        return ""
    options = app.screen.query_one(CommandList).options
    return str(options[0].prompt) if options else ""


def config() -> Path:
    path = config_file_path()
    assert str(path).startswith(os.environ["LLMCONSOLE_CONFIG_DIR"])  # (the test's own folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG, encoding="utf-8")
    return path


async def test_the_palette_theme_is_written_and_used_at_the_next_start() -> None:
    path = config()
    app = demo_app(settings=load_settings(demo=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+p")
        await type_text(pilot, "theme")
        await wait_until(pilot, lambda: first_option(app).startswith("Theme"))
        await pilot.press("enter")  # the palette's "Theme": the list of themes
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and first_option(app) != "")
        await type_text(pilot, "nord")
        await wait_until(pilot, lambda: first_option(app) == "nord")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.theme == "nord")
        await wait_until(pilot, lambda: 'theme = "nord"' in path.read_text(encoding="utf-8"))
        await app.workers.wait_for_complete()
    assert path.read_text(encoding="utf-8") == CONFIG.replace('Be brief."\n', 'Be brief."\ntheme = "nord"\n')

    again = demo_app(settings=load_settings(demo=True))
    assert again.theme == "nord" and "-theme-nord" in again.classes  # before it runs: the first frame has it
    async with again.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, again)
        assert again.theme == "nord" and again.current_theme.name == "nord"
        assert not again._notifications


async def test_an_unknown_theme_is_one_warning_and_the_default() -> None:
    path = config()
    path.write_text('theme = "no-such-theme"\n', encoding="utf-8")
    app = demo_app(settings=load_settings(demo=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        assert app.theme == "textual-dark"
        warnings = [n.message for n in app._notifications]
        assert len(warnings) == 1 and "no-such-theme" in warnings[0] and "\n" not in warnings[0]
    assert path.read_text(encoding="utf-8") == 'theme = "no-such-theme"\n'  # nothing was picked: not rewritten
