"""Tool calls in the console: search hits, the approval dialog, the folded call blocks, the tool picker.

Snapshots: what the reviewer should see is said in each docstring. Deterministic: the demo transport, a frozen
clock, no cursor blink.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from llmconsole.core.store.history import SearchHit
from llmconsole.core.tools.events import ApprovalChoice, ToolApprovalRequest
from llmconsole.core.tools.values import ToolCall, ToolSpec
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.conversations import hit_prompt
from llmconsole.ui.screens.tool_approval import ToolApprovalModal, ask_approval, shown_arguments
from tests.ui.helpers import FakeClock, demo_app, wait_ready, wait_until

SIZES = [pytest.param((60, 20), id="60x20"), pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

SPEC = ToolSpec(
    "search_flights",
    "Find flights between two airports on a date.\nReturns up to 20 offers with prices.",
    {"type": "object"},
    server_name="travel",
    server_id="srv-1",
)
ARGUMENTS = (
    '{"from":"KEF","to":"CDG","date":"2026-12-24","passengers":[{"type":"adult"},{"type":"child","age":7}],'
    '"cabin":"economy","flexible_days":2,"note":"window seats if possible, [not a link](https://x.example)"}'
)


def request(spec: ToolSpec | None = SPEC, arguments: str = ARGUMENTS) -> ToolApprovalRequest:
    return ToolApprovalRequest(ToolCall("call_1", "search_flights", arguments), spec)


async def _ready(pilot: Pilot[Any]) -> LLMConsoleApp:
    app = pilot.app
    assert isinstance(app, LLMConsoleApp)
    main = await wait_ready(pilot, app)
    main.prompt.cursor_blink = False
    await app.workers.wait_for_complete()
    return app


async def _open_dialog(pilot: Pilot[Any], req: ToolApprovalRequest) -> tuple[LLMConsoleApp, asyncio.Task[Any]]:
    app = await _ready(pilot)
    task = asyncio.create_task(ask_approval(app, req))
    await wait_until(pilot, lambda: isinstance(app.screen, ToolApprovalModal))
    await pilot.pause()
    return app, task


def test_a_tool_hit_says_which_tool_matched() -> None:
    hit = SearchHit("c" * 32, "m" * 32, "Tides", "High water 06:12", "tool", ((0, 4),), 0.0, "tide_table")
    assert "tool tide_table: High water 06:12" in hit_prompt(hit).plain


# -- the approval dialog ------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(("key", "choice"), [("y", "once"), ("a", "always"), ("n", "decline"), ("escape", "cancel")])
async def test_each_key_answers_the_flow(key: str, choice: ApprovalChoice) -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        _, task = await _open_dialog(pilot, request())
        screen = app.screen
        assert isinstance(screen, ToolApprovalModal)
        # Focus is on the arguments, never on a button: Enter alone runs nothing.
        assert isinstance(app.focused, TextArea)
        await pilot.press("enter")
        await pilot.pause()
        assert not task.done() and app.screen is screen
        await pilot.press(key)
        assert await asyncio.wait_for(task, 5) == choice
        await pilot.pause()
        assert not isinstance(app.screen, ToolApprovalModal)


@pytest.mark.anyio
async def test_buttons_answer_too_and_the_arguments_are_shown_pretty_and_literal() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        _, task = await _open_dialog(pilot, request())
        args = app.screen.query_one("#tool-args", TextArea)
        assert args.text == request().pretty_arguments
        assert '  "from": "KEF",' in args.text
        assert args.read_only
        # Typing into the arguments changes nothing (read only); other letters do nothing either.
        await pilot.press("x", "delete")
        assert args.text == request().pretty_arguments
        await pilot.click("#tool-decline")
        assert await asyncio.wait_for(task, 5) == "decline"


@pytest.mark.anyio
async def test_a_tool_that_was_not_offered_says_it_will_not_run() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        _, task = await _open_dialog(pilot, request(spec=None, arguments="not json at all"))
        who = app.screen.query_one("#tool-who")
        assert "not offered: it will not run" in str(who.render())
        assert app.screen.query_one("#tool-args", TextArea).text == "not json at all"
        await pilot.press("n")
        assert await asyncio.wait_for(task, 5) == "decline"


@pytest.mark.anyio
async def test_cancelling_the_waiting_turn_closes_the_dialog() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        _, task = await _open_dialog(pilot, request())
        task.cancel()
        await wait_until(pilot, lambda: not isinstance(app.screen, ToolApprovalModal))
        assert task.cancelled()


def test_huge_arguments_are_shown_cut_and_say_so() -> None:
    text = shown_arguments("x" * 250, limit=100)
    assert text.startswith("x" * 100 + "\n")
    assert text.endswith("(150 more characters not shown; the tool gets them all)")
    assert shown_arguments("short", limit=100) == "short"


@pytest.mark.parametrize("size", SIZES)
def test_approval_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    """A call to travel · search_flights: the server and tool, the description's first line, the arguments as
    indented JSON (the link text literal) in a box that scrolls, and the four choices with their keys; at 60x20
    the arguments shrink and every button stays visible."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app, _ = await _open_dialog(pilot, request())
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)
