"""A whole tool round in the console, through the demo backend's own tool (roll_dice): the call shown, the approval
dialog answered with each of its keys, the result shown and sent, the next reply, the history, the picker on f7.

The demo proxy runs in-process (its transport), so these are the console's wiring end to end without a network:
the request carries the tools, the model's function_call comes back as typed events, the session runs the round
and the next request carries the function_call_output.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import SelectionList

from llmconsole.core.config import load_settings
from llmconsole.core.demo import make_demo_transport
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.store.history import HistoryStore
from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec
from llmconsole.ui.app import LLMConsoleApp, make_app
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.tool_approval import ToolApprovalModal
from llmconsole.ui.screens.tool_picker import ToolPickerModal
from llmconsole.ui.widgets.conversation import ConversationPane
from llmconsole.ui.widgets.tool_block import ToolCallBlock, ToolResultBlock
from tests.ui.helpers import FakeClock, type_text, wait_ready, wait_until

pytestmark = pytest.mark.anyio


class RecordingDemo(httpx.AsyncBaseTransport):
    """The demo transport, keeping every request body sent to a model."""

    def __init__(self) -> None:
        self.demo = make_demo_transport(delta_delay=0)
        self.bodies: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith(("/responses", "/chat/completions")):
            self.bodies.append(json.loads(request.content))
        return await self.demo.handle_async_request(request)


def tools_app(
    *, tools: tuple[str, ...] = ("all",), history: object | None = None
) -> tuple[LLMConsoleApp, RecordingDemo]:
    settings = replace(load_settings(demo=True), tools=tools)
    demo = RecordingDemo()
    client = ProxyClient(settings, transport=demo)
    return make_app(settings, client=client, history=history, clock=FakeClock()), demo


async def ready(pilot: Pilot[Any], app: LLMConsoleApp) -> MainScreen:
    main = await wait_ready(pilot, app)
    main.prompt.cursor_blink = False
    await wait_until(pilot, lambda: main.tools is not None and main.tools.discovered)
    return main


async def answer(pilot: Pilot[Any], app: LLMConsoleApp, key: str) -> MainScreen:
    """Ask for dice in a ready console and answer the approval dialog with ``key``."""
    main = await ready(pilot, app)
    await ask_for_dice(pilot, app)
    await pilot.press(key)
    return main


async def ask_for_dice(pilot: Pilot[Any], app: LLMConsoleApp) -> ToolApprovalModal:
    await type_text(pilot, "roll two dice")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ToolApprovalModal))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ToolApprovalModal)
    return screen


async def settle(pilot: Pilot[Any], app: LLMConsoleApp, main: MainScreen, messages: int) -> None:
    """Wait until the conversation has ``messages`` messages and nothing streams any more."""
    await wait_until(pilot, lambda: len(main.conversation.messages) == messages and not main.pane.streaming)
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_y_runs_the_call_shows_it_and_sends_the_result_on() -> None:
    with HistoryStore() as store:
        app, demo = tools_app(history=store)
        async with app.run_test(size=(100, 40)) as pilot:
            main = await ready(pilot, app)
            dialog = await ask_for_dice(pilot, app)
            assert dialog.request.call.name == "roll_dice"
            assert demo.bodies[-1]["tools"][0]["name"] == "roll_dice"  # offered in the request
            result = main.pane.query(ToolResultBlock).first()
            assert result.border_title == "waiting…"
            await pilot.press("y")
            await settle(pilot, app, main, 3)
            asking, answer = main.conversation.messages[1:]
            (exchange,) = asking.tool_calls
            assert exchange.status == "ran" and exchange.output.startswith("rolled 2d6: ")
            assert result.border_title.startswith("result · ")
            assert "rolled 2d6" in str(result.render())
            assert "The demo tool answered" in answer.text
            # The next request carried the call and its output.
            items = demo.bodies[-1]["input"]
            kinds = [i.get("type", i.get("role")) for i in items]
            assert kinds[-2:] == ["function_call", "function_call_output"]
            assert items[-1]["output"] == exchange.output
            # The widgets in order: prompt, the asking reply, the call, its result, the answer.
            names = [type(w).__name__ for w in main.pane.mounted_widgets]
            assert names == ["UserMessage", "AssistantReply", "ToolCallBlock", "ToolResultBlock", "AssistantReply"]
        # Stored: the call with its result; the key appears in no row of the history.
        conv = store.load(main.conversation.id)
        assert conv.messages[1].tool_calls == [exchange]
        dump = "\n".join(store.db.iterdump())
        assert "demo-key" not in dump


async def test_a_runs_and_does_not_ask_again_in_this_conversation() -> None:
    app, _ = tools_app()
    async with app.run_test(size=(100, 40)) as pilot:
        main = await answer(pilot, app, "a")
        await settle(pilot, app, main, 3)
        await type_text(pilot, "roll again")
        await pilot.press("enter")
        await settle(pilot, app, main, 6)
        assert not isinstance(app.screen, ToolApprovalModal)
        assert main.conversation.messages[4].tool_calls[0].status == "ran"


async def test_n_declines_and_the_model_is_told() -> None:
    app, demo = tools_app()
    async with app.run_test(size=(100, 40)) as pilot:
        main = await answer(pilot, app, "n")
        await settle(pilot, app, main, 3)
        (exchange,) = main.conversation.messages[1].tool_calls
        assert exchange.status == "declined"
        assert main.pane.query(ToolResultBlock).first().border_title == "declined by you"
        assert demo.bodies[-1]["input"][-1]["output"] == exchange.output
        assert "declined" in exchange.output


async def test_the_next_reply_goes_once_only_from_the_reply_that_asked() -> None:
    """A round's end arriving after the conversation went on from the asking reply (a prompt sent just as the
    round ended, whose reply carries the results) starts no second reply."""
    app, demo = tools_app()
    ended: list[ConversationPane.ToolRoundEnded] = []
    async with app.run_test(size=(100, 40), message_hook=lambda m: ended.extend(_round_ends(m))) as pilot:
        main = await answer(pilot, app, "y")
        await settle(pilot, app, main, 3)
        (end,) = {id(m): m for m in ended}.values()  # (the hook sees it at each node it bubbles to)
        assert end.go_on and end.run.message is main.conversation.messages[1]
        sent = len(demo.bodies)
        main.post_message(ConversationPane.ToolRoundEnded(end.run, go_on=True))
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert len(main.conversation.messages) == 3 and len(demo.bodies) == sent


def _round_ends(message: object) -> list[ConversationPane.ToolRoundEnded]:
    return [message] if isinstance(message, ConversationPane.ToolRoundEnded) else []


async def test_escape_cancels_the_turn_and_nothing_more_is_sent() -> None:
    with HistoryStore() as store:
        app, demo = tools_app(history=store)
        async with app.run_test(size=(100, 40)) as pilot:
            main = await ready(pilot, app)
            await ask_for_dice(pilot, app)
            sent = len(demo.bodies)
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, ToolApprovalModal))
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(demo.bodies) == sent
            assert len(main.conversation.messages) == 2
            assert main.conversation.messages[1].tool_calls[0].status == "cancelled"
            assert main.pane.query(ToolResultBlock).first().border_title == "cancelled"
            assert main.session.busy is None  # the prompt is free again
        # Nothing lost: the prompt and the reply that asked are in the history, the call marked cancelled.
        stored = store.load(main.conversation.id).messages
        assert [m.text for m in stored] == [m.text for m in main.conversation.messages]
        assert stored[0].text == "roll two dice" and [c.status for c in stored[1].tool_calls] == ["cancelled"]


async def test_f7_picks_none_and_the_model_gets_no_tools() -> None:
    app, demo = tools_app()
    async with app.run_test(size=(100, 40)) as pilot:
        main = await ready(pilot, app)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolPickerModal))
        await pilot.press("n", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ToolPickerModal))
        assert main.tools is not None and main.tools.offered == ()
        await type_text(pilot, "roll two dice")
        await pilot.press("enter")
        await settle(pilot, app, main, 2)
        assert "tools" not in demo.bodies[-1]
        assert not main.pane.query(ToolCallBlock)


class StuckTool:
    """A tool that runs until cancelled (Escape must end it)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        raise AssertionError("never answers")


async def test_escape_ends_a_running_call_and_the_turn() -> None:
    app, demo = tools_app()
    async with app.run_test(size=(100, 40)) as pilot:
        main = await ready(pilot, app)
        stuck = StuckTool()
        assert main.tools is not None
        main.tools.runner.caller = stuck
        await ask_for_dice(pilot, app)
        sent = len(demo.bodies)
        await pilot.press("y")
        await wait_until(pilot, stuck.started.is_set)
        await pilot.pause()
        result = main.pane.query(ToolResultBlock).first()
        assert result.border_title == "running…"
        assert main.session.busy == "tools"
        await pilot.press("escape")
        await wait_until(pilot, lambda: stuck.cancelled and not main.pane.streaming)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.conversation.messages[1].tool_calls[0].status == "cancelled"
        assert result.border_title == "cancelled"
        assert len(demo.bodies) == sent and main.session.busy is None


async def test_a_reopened_tool_conversation_continues_with_its_calls() -> None:
    with HistoryStore() as store:
        app, demo = tools_app(history=store)
        async with app.run_test(size=(100, 40)) as pilot:
            main = await answer(pilot, app, "y")
            await settle(pilot, app, main, 3)
            conv_id = main.conversation.id
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert await main.open_conversation(conv_id)
            await pilot.pause()
            assert [type(w).__name__ for w in main.pane.query(ToolResultBlock)] == ["ToolResultBlock"]
            await type_text(pilot, "thanks")
            await pilot.press("enter")
            await settle(pilot, app, main, 5)
            kinds = [i.get("type", i.get("role")) for i in demo.bodies[-1]["input"]]
            assert kinds == ["user", "assistant", "function_call", "function_call_output", "assistant", "user"]


def test_a_round_waiting_for_approval(snap_compare: Any) -> None:
    """The demo model asked to roll dice: its reply, the call block (demo · roll_dice, its arguments on one line)
    and the result block waiting, with the approval dialog over them (demo server, local)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, LLMConsoleApp)
        await ready(pilot, app)
        await ask_for_dice(pilot, app)
        app.clear_notifications()
        await pilot.pause()

    app, _ = tools_app()
    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


async def test_the_palette_offers_the_picker() -> None:
    app, _ = tools_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot, app)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        command = commands["Tools: pick which are offered"]
        assert "(f7)" in command.help
        command.callback()
        await wait_until(pilot, lambda: isinstance(app.screen, ToolPickerModal))
        await pilot.pause()
        assert isinstance(app.focused, SelectionList)
