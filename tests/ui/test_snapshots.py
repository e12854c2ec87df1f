"""Snapshot tests (pytest-textual-snapshot): the main screen, the model picker and the rate-limit modal.

Deterministic: the demo transport with no delay, a frozen clock, a fixed model list, a fixed size, and no
cursor blink. Update with ``--snapshot-update`` only after looking at the report.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.model_picker import ModelPickerModal
from llmconsole.ui.screens.rate_limit import RateLimitModal
from tests.ui.helpers import FakeClock, demo_app, send, wait_ready, wait_until


def _app() -> LLMConsoleApp:
    return demo_app(clock=FakeClock())


async def _ready(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, LLMConsoleApp)
    main = await wait_ready(pilot, app)
    main.prompt.cursor_blink = False
    await app.workers.wait_for_complete()


class TestMainScreen:
    def test_finished_reply_120x40(self, snap_compare: Any) -> None:
        """The sidebar with badges (demo-gpt-5 current), a finished Markdown reply with a table and its telemetry
        line, and the status bar with the model, context use and last usage."""

        async def run_before(pilot: Pilot[Any]) -> None:
            await _ready(pilot)
            app = pilot.app
            assert isinstance(app, LLMConsoleApp)
            await send(pilot, app, "show a table")
            await pilot.pause()

        assert snap_compare(_app(), terminal_size=(120, 40), run_before=run_before)

    def test_small_terminal_80x24(self, snap_compare: Any) -> None:
        """At 80x24 the sidebar starts hidden (f6 shows it): the reply has the full width, and the status bar
        keeps the model with its badges; conversation, prompt, status bar and footer all fit."""

        async def run_before(pilot: Pilot[Any]) -> None:
            await _ready(pilot)
            app = pilot.app
            assert isinstance(app, LLMConsoleApp)
            await send(pilot, app, "hi")

        assert snap_compare(_app(), terminal_size=(80, 24), run_before=run_before)


class TestModelPicker:
    def test_filtered_picker(self, snap_compare: Any) -> None:
        """ctrl+l then "claude": the two Claude models, the current one marked, the first highlighted."""

        async def run_before(pilot: Pilot[Any]) -> None:
            await _ready(pilot)
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, ModelPickerModal))
            await pilot.press(*"claude")
            await pilot.pause()

        assert snap_compare(_app(), terminal_size=(120, 40), run_before=run_before)


class TestRateLimitModal:
    def test_rate_limit_modal(self, snap_compare: Any) -> None:
        """demo-ratelimited answers 429: the modal shows the model, "input tokens per minute",
        "Limit: 200000 | Current: 200150", "Retry in 15s" (frozen clock), the What-to-do list with the
        Databricks line, the auto-resend checkbox (on) and the buttons."""

        async def run_before(pilot: Pilot[Any]) -> None:
            await _ready(pilot)
            app = pilot.app
            assert isinstance(app, LLMConsoleApp)
            main = app.main_screen
            assert main is not None
            main.select_model("demo-ratelimited")
            await send(pilot, app, "hello")
            await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
            await pilot.pause()

        assert snap_compare(_app(), terminal_size=(120, 40), run_before=run_before)
