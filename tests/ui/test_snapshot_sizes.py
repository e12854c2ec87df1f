"""Every screen at 60x20, 80x24 and 120x40 (issue 12): what a narrow terminal shows.

What the reviewer should see at every size: no row wrapped under its first column (lists end with "…"),
the status bar and reply lines with whole parts (never a cut "$0.0…"), F1 first in the footer. Below 100
columns the sidebar is hidden and the status bar shows the model and its badges. Deterministic: the demo
transport, a frozen clock, no cursor blink, stored conversations with fixed times in UTC.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from llmconsole.core.store.history import AsyncHistory, HistoryStore
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.compare import CompareScreen
from llmconsole.ui.screens.help import HelpScreen
from llmconsole.ui.screens.model_picker import ModelPickerModal
from llmconsole.ui.screens.rate_limit import RateLimitModal
from tests.ui.helpers import FakeClock, demo_app, send, wait_ready, wait_until
from tests.ui.test_history_ui import history_app, make_conversation, open_list

SIZES = [pytest.param((60, 20), id="60x20"), pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def _ready(pilot: Pilot[Any]) -> LLMConsoleApp:
    app = pilot.app
    assert isinstance(app, LLMConsoleApp)
    main = await wait_ready(pilot, app)
    main.prompt.cursor_blink = False
    await app.workers.wait_for_complete()
    return app


@pytest.fixture
def utc() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


@pytest.mark.parametrize("size", SIZES)
class TestEveryScreen:
    def test_main(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """A finished reply with a table: its line ends with "completed"; the status bar keeps the model."""

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            await send(pilot, app, "show a table")
            app.clear_notifications()
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)

    def test_sidebar_shown(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """f6 toggles the sidebar: shown below 100 columns (hidden at first), hidden at 120 (shown at first)."""

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            await pilot.press("f6")
            await pilot.pause()
            for widget in app.screen.query(Input):
                widget.cursor_blink = False
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)

    def test_model_picker(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """ctrl+l: every model with its badges, the current one marked."""

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
            for widget in app.screen.query(Input):
                widget.cursor_blink = False
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)

    def test_help(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """F1: the filter line, then the keys by place with their binding ids; a description too long for the
        width wraps under itself (nothing cut at 60 columns), and 120 columns are used."""

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            await pilot.press("f1")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)

    def test_rate_limit(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """demo-ratelimited answers 429: the dialog with the countdown (frozen clock) and ctrl+x in its footer."""

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            main = app.main_screen
            assert main is not None
            main.select_model("demo-ratelimited")
            await send(pilot, app, "hello")
            await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
            app.clear_notifications()
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)

    def test_compare(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """Three replies: the line above them says "1/3 · ← → or [ ] move · …" (wrapped, never cut) and each
        column's title starts with its place ("2/3 demo-claude-haiku-4-5"); below 100 columns one or two columns
        show at a time."""

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            await pilot.press("f3")
            await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            assert screen.start("hello there", ["demo-gpt-5", "demo-claude-haiku-4-5", "demo-ratelimited"])
            await wait_until(pilot, lambda: all(c.finished for c in screen.columns))
            await app.workers.wait_for_complete()
            app.clear_notifications()
            screen.columns[0].focus()
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)

    def test_conversations(self, snap_compare: Any, size: tuple[int, int], utc: None) -> None:
        """ctrl+o over two stored conversations: the long model id whole where there is room; where there is not,
        the model, then the date ("01-01"), then the id (6 characters) shorten before the title, which keeps 24
        cells (at 60 columns too), the rest cut with "…"."""
        with HistoryStore() as setup:
            base = 1_735_689_600.0  # 2025-01-01 00:00 UTC
            make_conversation(
                setup,
                "0a1b2c3d" * 4,
                "How do I reverse a list in Python without copying it, and what does reversed() return?",
                "Use reversed().",
                when=base,
                model="databricks-claude-sonnet-4-5-20250929",
            )
            make_conversation(
                setup, "4e5f6a7b" * 4, "Summarise the meeting notes", "partial", when=base + 3_600, status="interrupted"
            )
        store = HistoryStore()

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            screen = await open_list(pilot, app)
            await wait_until(pilot, lambda: len(screen.summaries) == 2)
            screen.search_input.cursor_blink = False
            screen.query_one(OptionList).highlighted = 0
            await pilot.pause()

        try:
            assert snap_compare(history_app(AsyncHistory(store)), terminal_size=size, run_before=run_before)
        finally:
            store.close()

    def test_welcome(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """No proxy configured: how to connect, and d for the demo."""
        from llmconsole.core.config import Settings
        from llmconsole.ui.screens.welcome import WelcomeScreen

        app = demo_app(settings=Settings(), clock=FakeClock())
        app.client = None  # as run_app makes it: no proxy configured

        async def run_before(pilot: Pilot[Any]) -> None:
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, WelcomeScreen))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=run_before)

    def test_settings(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """F2: the system prompt (from now on) and the reasoning effort."""
        from llmconsole.ui.screens.settings import SettingsModal

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            await pilot.press("f2")
            await wait_until(pilot, lambda: isinstance(app.screen, SettingsModal))
            for widget in app.screen.query("TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)

    def test_attachments(self, snap_compare: Any, size: tuple[int, int]) -> None:
        """A 120-line paste is a chip above the prompt; f9 lists it."""
        from textual import events

        from llmconsole.ui.screens.attachments import AttachmentsModal

        async def run_before(pilot: Pilot[Any]) -> None:
            app = await _ready(pilot)
            main = app.main_screen
            assert main is not None
            main.prompt.post_message(events.Paste("\n".join(f"line {i}" for i in range(120))))
            await wait_until(pilot, lambda: bool(main.attachments.pastes))
            app.clear_notifications()
            await pilot.press("f9")
            await wait_until(pilot, lambda: isinstance(app.screen, AttachmentsModal))
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)
