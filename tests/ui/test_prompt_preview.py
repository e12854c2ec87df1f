"""The first frame draws the empty prompt and the sidebar's empty filter; the widgets replace the drawings
just after it (startup, issue 11).

Nothing typed in between is lost or reordered, other keys work meanwhile, and each drawing has its widget's
cells exactly.
"""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import pytest
from textual._xterm_parser import XTermParser

from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.widgets.prompt_preview import PromptPreview
from tests.ui.helpers import FakeClock, demo_app, main_screen, wait_until

pytestmark = pytest.mark.anyio

SIZE = (120, 40)


def feed(app: LLMConsoleApp, chunk: str) -> None:
    """Deliver ``chunk`` as the terminal driver does with one read (keys typed ahead arrive this way)."""
    for event in XTermParser().feed(chunk):
        app.post_message(event)


@pytest.fixture
def held_editor(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The editor waits for this event before it replaces the drawing (the moment is ours to choose)."""
    release = asyncio.Event()
    original = MainScreen._mount_prompt

    async def held(self: MainScreen) -> None:
        await release.wait()
        await original(self)

    monkeypatch.setattr(MainScreen, "_mount_prompt", held)
    return release


async def _preview_up(pilot: Any, app: LLMConsoleApp) -> MainScreen:
    await wait_until(pilot, lambda: app.main_screen is not None and bool(app.main_screen.query(PromptPreview)))
    return main_screen(app)


async def test_text_typed_before_the_editor_goes_in_first_and_in_order(held_editor: asyncio.Event) -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await _preview_up(pilot, app)
        feed(app, "hel")
        feed(app, "\x1b[200~lo\x1b[201~")  # a bracketed paste
        await wait_until(pilot, lambda: len(main.query_one(PromptPreview).typed) == 4)
        assert not main.query("#prompt")  # the editor is not there yet
        assert main.focused is main.query_one(PromptPreview)
        held_editor.set()
        await wait_until(pilot, lambda: bool(main.query("#prompt")))
        feed(app, " you")
        await wait_until(pilot, lambda: main.prompt.text == "hello you")
        assert main.focused is main.prompt
        assert not main.query(PromptPreview)


async def test_enter_typed_before_the_editor_sends(held_editor: asyncio.Event) -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await _preview_up(pilot, app)
        await wait_until(pilot, lambda: bool(main.models))
        feed(app, "hi\r")
        await wait_until(pilot, lambda: len(main.query_one(PromptPreview).typed) == 3)
        held_editor.set()
        await wait_until(pilot, lambda: len(main.conversation.messages) == 2)
        assert main.conversation.messages[0].text == "hi"
        await wait_until(pilot, lambda: main.conversation.messages[1].status == "completed")
        assert main.prompt.text == ""


async def test_other_keys_work_while_the_drawing_stands_in(held_editor: asyncio.Event) -> None:
    """f1 (an app binding) and ctrl+l (the screen's model picker) are not swallowed by the drawing."""
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await _preview_up(pilot, app)
        await pilot.press("f1")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.query_one(PromptPreview).typed == []
        held_editor.set()
        await wait_until(pilot, lambda: bool(main.query("#prompt")))
        assert main.focused is main.prompt


_TEXT = re.compile(
    r'<text class="([^"]*)" x="([\d.]+)" y="([\d.]+)" textLength="[\d.]+" clip-path="[^"]*">(.*?)</text>'
)
_RECT = re.compile(r'<rect fill="(#[0-9a-fA-F]+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="24.65"')
_STYLE = re.compile(r"\.(terminal-[\w-]+) \{ ([^}]*) \}")
CELL_W, LINE_H = 12.2, 24.4


def _cells(svg: str, rows: range) -> dict[tuple[int, int], tuple[str, str | None, str | None]]:
    """(row, column) -> (character, its style, its background) for ``rows`` of an exported screenshot."""
    styles = dict(_STYLE.findall(svg))
    chars: dict[tuple[int, int], tuple[str, str | None]] = {}
    for cls, x, y, text in _TEXT.findall(svg):
        row = round((float(y) - 20) / LINE_H)
        if row in rows:
            for offset, char in enumerate(html.unescape(text).replace("\xa0", " ")):
                chars[(row, round(float(x) / CELL_W) + offset)] = (char, styles.get(cls))
    backgrounds: dict[tuple[int, int], str] = {}
    for fill, x, y, width in _RECT.findall(svg):
        row = round((float(y) - 1.5) / LINE_H)
        if row in rows:
            for column in range(round(float(x) / CELL_W), round((float(x) + float(width)) / CELL_W)):
                backgrounds[(row, column)] = fill
    keys = {key for key, (char, _) in chars.items() if char != " "} | set(backgrounds)
    return {key: (chars.get(key, (" ", None))[0], chars.get(key, (" ", None))[1], backgrounds.get(key)) for key in keys}


async def test_the_drawing_has_the_empty_editors_cells(held_editor: asyncio.Event) -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await _preview_up(pilot, app)
        await wait_until(pilot, lambda: bool(main.models))
        region = main.query_one(PromptPreview).region
        rows = range(region.y, region.bottom)
        await pilot.pause()
        drawing = _cells(app.export_screenshot(), rows)
        held_editor.set()
        await wait_until(pilot, lambda: bool(main.query("#prompt")))
        main.prompt.cursor_blink = False
        await pilot.pause()
        assert main.prompt.region == region
        editor = _cells(app.export_screenshot(), rows)
    assert drawing == editor
    assert any(char == "A" for char, _, _ in drawing.values())  # the placeholder is in it


async def test_the_sidebar_filter_drawing_has_the_empty_filters_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sidebar's filter is drawn for the first frame too, then mounted; f6 meanwhile does not fail."""
    from llmconsole.ui.widgets.sidebar import ModelSidebar

    original = ModelSidebar._mount_filter

    async def held(self: ModelSidebar) -> None:  # the test mounts the filter itself, when it chooses
        return

    monkeypatch.setattr(ModelSidebar, "_mount_filter", held)
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen is not None)
        main = main_screen(app)
        await wait_until(pilot, lambda: bool(main.models) and not main.query("#prompt-preview"))
        region = main.sidebar.query_one("#model-filter-drawing").region
        rows = range(region.y, region.bottom + 1)  # and the margin under it
        await pilot.pause()
        drawing = _cells(app.export_screenshot(), rows)
        await pilot.press("f6", "f6")  # hide and show the sidebar: focusing the filter waits for it
        await original(main.sidebar)
        await wait_until(pilot, lambda: bool(main.sidebar.query("#model-filter")))
        main.focus_prompt()
        await wait_until(pilot, lambda: main.focused is main.prompt)
        await pilot.pause()
        assert main.sidebar.filter_input.region == region
        filter_cells = _cells(app.export_screenshot(), rows)
    assert drawing == filter_cells
    assert "".join(char for (row, _), (char, _, _) in sorted(drawing.items()) if row == region.y).startswith("filter")
