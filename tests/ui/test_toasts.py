"""Notifications hide nothing you type into and go soon (issue 20 item 6).

Toasts sit at the top right, one line each where they fit (the title leads the message), over the title bar and
the conversation: never over the prompt, the status bar or the footer, and over a dialog's rows not at all at
80x24 with the rate-limit dialog. They last 3 s (information), 6 s (warning) or 10 s (errors) unless the
caller says otherwise. Pilot checks the geometry; snapshots show it at 60x20, 80x24 and 120x40.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets._toast import Toast
from textual.worker import WorkerState

from llmconsole.ui import app as app_module
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.rate_limit import RateLimitModal
from tests.ui.helpers import FakeClock, demo_app, send, wait_ready, wait_until


@pytest.fixture
def lasting_toasts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Toasts stay for a minute (a loaded machine must not let one expire before it is looked at)."""
    monkeypatch.setattr(app_module, "TOAST_SECONDS", dict.fromkeys(app_module.TOAST_SECONDS, 60.0))
    yield


async def resend_cancelled(pilot: Pilot[Any], *, close_dialog: bool) -> LLMConsoleApp:
    """demo-ratelimited answers 429; the dialog is closed (or not) and ctrl+x cancels the automatic resend."""
    app = pilot.app
    assert isinstance(app, LLMConsoleApp)
    main = await wait_ready(pilot, app)
    main.prompt.cursor_blink = False
    main.select_model("demo-ratelimited")
    await send(pilot, app, "hello")
    await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
    if close_dialog:
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
    app.clear_notifications()
    await pilot.press("ctrl+x")
    await wait_until(pilot, lambda: bool(app.screen.query(Toast)) and context_settled(main))
    await pilot.pause()
    return app


async def new_conversation(pilot: Pilot[Any]) -> LLMConsoleApp:
    app = pilot.app
    assert isinstance(app, LLMConsoleApp)
    main = await wait_ready(pilot, app)
    main.prompt.cursor_blink = False
    await send(pilot, app, "hello")
    app.clear_notifications()
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: bool(app.screen.query(Toast)) and context_settled(main))
    await pilot.pause()
    return app


def context_settled(main: MainScreen) -> bool:
    """The context gauge's count by the proxy (debounced, then a worker) has come back or is not asked for: the
    status bar will not change from "≈" to exact while the screenshot is taken."""
    counting = [
        w for w in main.workers if w.group == "ctx-count" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
    ]
    return main._count_timer is None and not counting


def toast_regions(app: LLMConsoleApp) -> list[Region]:
    return [toast.region for toast in app.screen.query(Toast)]


def typed_into(main: MainScreen) -> list[Region]:
    """What must stay visible on the main screen: the prompt, the status bar, the footer, the sidebar's filter."""
    regions = [main.prompt.region, main.status_bar.region, main.query_one("#footer-row").region]
    if main.sidebar.display:
        regions.append(main.sidebar.filter_input.region)
    return regions


@pytest.mark.anyio
@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
@pytest.mark.parametrize("case", ["resend", "new"])
async def test_toasts_cover_nothing_typed_into(size: tuple[int, int], case: str, lasting_toasts: None) -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=size, notifications=True) as pilot:
        if case == "resend":
            await resend_cancelled(pilot, close_dialog=True)
        else:
            await new_conversation(pilot)
            app.notify("a long error " * 12, title="Request failed", severity="error")  # stacked, wrapped
            await wait_until(pilot, lambda: len(app.screen.query(Toast)) == 2)
            await pilot.pause()
        main = app.main_screen
        assert main is not None and app.screen is main
        toasts = toast_regions(app)
        assert toasts and all(toast.y <= 1 for toast in toasts[:1])  # at the top
        for toast in toasts:
            for region in typed_into(main):
                assert not toast.overlaps(region), (toast, region)


@pytest.mark.anyio
async def test_a_toast_keeps_off_the_rate_limit_dialog_at_80x24(lasting_toasts: None) -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await resend_cancelled(pilot, close_dialog=False)
        dialog = app.screen.query_one("#rl-dialog").region
        (toast,) = toast_regions(app)
        assert toast.height == 1 and not toast.overlaps(dialog)


@pytest.mark.anyio
async def test_toasts_are_short_lived_and_one_line_with_their_title() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_ready(pilot, app)
        app.clear_notifications()
        app.notify("done")
        app.notify("careful", severity="warning")
        app.notify("cannot attach x: no such file", title="Not attached", severity="error")
        app.notify("[not markup]", title="[b]", severity="error", markup=False)
        app.notify("kept", timeout=15)
        await pilot.pause()
        timeouts = {n.message: n.timeout for n in app._notifications}
        assert timeouts == {
            "done": 3.0,
            "careful": 6.0,
            "Not attached: cannot attach x: no such file": 10.0,
            "[b]: [not markup]": 10.0,
            "kept": 15,
        }
        await wait_until(pilot, lambda: len(app.screen.query(Toast)) == 5)
        assert all(region.height == 1 for region in toast_regions(app))


@pytest.mark.parametrize("size", [pytest.param((60, 20), id="60x20"), pytest.param((120, 40), id="120x40")])
class TestToastSnapshots:
    def test_resend_cancelled(self, snap_compare: Any, size: tuple[int, int], lasting_toasts: None) -> None:
        """ctrl+x after closing the rate-limit dialog: "Automatic resend cancelled." at the top right, over the
        title bar; the prompt, the status bar and the footer stay visible."""

        async def run_before(pilot: Pilot[Any]) -> None:
            await resend_cancelled(pilot, close_dialog=True)

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)

    def test_new_conversation(self, snap_compare: Any, size: tuple[int, int], lasting_toasts: None) -> None:
        """ctrl+n: "New conversation." at the top right, one line, away from the prompt."""

        async def run_before(pilot: Pilot[Any]) -> None:
            await new_conversation(pilot)

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)


def test_over_the_rate_limit_dialog_at_80x24(snap_compare: Any, lasting_toasts: None) -> None:
    """ctrl+x with the rate-limit dialog open: the toast takes the title bar's row, above the dialog."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await resend_cancelled(pilot, close_dialog=False)

    assert snap_compare(demo_app(clock=FakeClock()), terminal_size=(80, 24), run_before=run_before)
