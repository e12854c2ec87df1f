"""Tool calls in the console: search hits, the approval dialog, the folded call blocks, the tool picker.

Snapshots: what the reviewer should see is said in each docstring. Deterministic: the demo transport, a frozen
clock, no cursor blink.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from llmconsole.core.chat.conversation import Conversation, ToolExchange
from llmconsole.core.config import load_settings
from llmconsole.core.demo import make_demo_transport
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.store.history import AsyncHistory, HistoryStore, SearchHit
from llmconsole.core.tools.events import ApprovalChoice, ToolApprovalRequest
from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.conversations import hit_prompt
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.tool_approval import ToolApprovalModal, ask_approval, shown_arguments
from llmconsole.ui.screens.tool_picker import ToolPickerModal, tool_row
from llmconsole.ui.widgets.tool_block import FoldedBlock, ToolCallBlock, ToolResultBlock, fold
from tests.ui.helpers import FakeClock, demo_app, type_text, wait_ready, wait_until
from tests.ui.test_history_ui import history_app, open_list

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


# -- the call and its result in the conversation ------------------------------------------------------------

RESULT_LINES = "\n".join(f"{i:02d}:00  {6 + i % 3} m  [chart](https://tides.example/{i})" for i in range(12))


def tool_conversation() -> Conversation:
    """A prompt, a reply that called three tools (one ran with a long result, one failed, one was declined),
    and the answer that followed."""
    conv = Conversation(id="7001" * 8, title="Tides")
    conv.add_user("When is high tide in Brest, and in Cork?")
    asking = conv.add_assistant("demo-gpt-5")
    asking.text, asking.status = "Let me look that up.", "completed"
    asking.tool_calls = [
        ToolExchange("c1", "tide_table", '{"port": "Brest", "days": 1}', "ocean", "ran", RESULT_LINES, duration_s=0.4),
        ToolExchange("c2", "tide_table", '{"port": "Cork"}', "ocean", "ran", "port not found: Cork", is_error=True),
        ToolExchange("c3", "send_email", '{"to": "me@example.com"}', "mail", "declined", "The user declined."),
    ]
    final = conv.add_assistant("demo-gpt-5")
    final.text, final.status = "High tide in Brest is at 06:00; Cork is not in the table.", "completed"
    return conv


async def _open_tool_conversation(pilot: Pilot[Any], store: HistoryStore) -> tuple[LLMConsoleApp, MainScreen]:
    app = await _ready(pilot)
    conv = tool_conversation()
    for message in conv.messages:
        store.add_message(conv, message)
    main = app.main_screen
    assert main is not None
    assert await main.open_conversation(conv.id)
    await pilot.pause()
    return app, main


@pytest.mark.anyio
async def test_calls_and_results_are_folded_blocks_of_their_own() -> None:
    with HistoryStore() as store:
        app = history_app(store)
        async with app.run_test(size=(100, 40)) as pilot:
            _, main = await _open_tool_conversation(pilot, store)
            blocks = list(main.pane.query(FoldedBlock))
            assert [type(b).__name__ for b in blocks] == ["ToolCallBlock", "ToolResultBlock"] * 3
            call, result, _, error, _, declined = blocks
            assert call.border_title == "tool call · ocean · tide_table"
            assert str(call.render()) == '{"port":"Brest","days":1}'  # one line while folded
            await pilot.click(call)
            assert str(call.render()).splitlines() == [
                "{",
                '  "port": "Brest",',
                '  "days": 1',
                "}",
                "click or space folds",
            ]
            assert result.border_title == "result · 0.4 s"
            # Folded: three lines, then how many more; the link text stays text.
            assert str(result.render()).splitlines() == [
                "00:00  6 m  [chart](https://tides.example/0)",
                "01:00  7 m  [chart](https://tides.example/1)",
                "02:00  8 m  [chart](https://tides.example/2)",
                "… 9 more lines · click or space expands",
            ]
            assert error.has_class("-error") and error.border_title == "error"
            assert declined.has_class("-declined") and declined.border_title == "declined by you"
            # The order in the transcript: prompt, reply, its calls and results, the answer.
            kinds = [type(w).__name__ for w in main.pane.mounted_widgets]
            assert kinds == [
                "UserMessage",
                "AssistantReply",
                *["ToolCallBlock", "ToolResultBlock"] * 3,
                "AssistantReply",
            ]


@pytest.mark.anyio
async def test_a_click_or_space_on_the_selected_block_expands_and_folds_it() -> None:
    with HistoryStore() as store:
        app = history_app(store)
        async with app.run_test(size=(100, 40)) as pilot:
            _, main = await _open_tool_conversation(pilot, store)
            result = main.pane.query(ToolResultBlock).first()
            main.pane.anchor(False)
            main.pane.scroll_to_widget(result, top=True, animate=False, immediate=True)
            await pilot.pause()
            await pilot.click(result)
            assert result.expanded
            assert len(str(result.render()).splitlines()) == 13  # 12 lines and "click or space folds"
            await pilot.click(result)
            assert not result.expanded
            # Keys: ctrl+up selects the last message, up moves onto the blocks, space toggles the selected one.
            await pilot.press("ctrl+up")
            for _ in range(5):  # the answer, then result 3, call 3, result 2, call 2, result 1
                await pilot.press("up")
            await pilot.pause()
            assert result.has_class("-selected")
            await pilot.press("space")
            assert result.expanded
            await pilot.press("o")
            assert not result.expanded
            await pilot.press("c")  # copies the block's whole text, not the reply's
            assert app.clipboard == RESULT_LINES


@pytest.mark.anyio
async def test_a_live_call_is_shown_waiting_then_with_its_result() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        main = (await _ready(pilot)).main_screen
        assert main is not None
        conv = tool_conversation()
        asking = conv.messages[1]
        exchange = ToolExchange("c9", "tide_table", '{"port": "Brest"}', "ocean")
        main.pane.add_reply(asking, streaming=False)
        call, result = main.pane.add_tool_call(asking, exchange)
        await pilot.pause()
        assert isinstance(result, ToolResultBlock)
        assert result.border_title == "waiting…" and result.has_class("-waiting")
        exchange.settle(ToolResult.capped("c9", "06:12 high water " * 4000), 1.5)
        main.pane.update_tool(exchange)
        assert result.border_title == "result · 1.5 s" and not result.has_class("-waiting")
        assert result.border_subtitle == "cut at the cap"
        assert isinstance(call, ToolCallBlock) and str(call.render()) == '{"port":"Brest"}'


def test_fold_cuts_long_lines_and_huge_texts() -> None:
    assert fold("a\nb", expanded=False) == ("a\nb", 0)
    assert fold("1\n2\n3\n4\n5", expanded=False) == ("1\n2\n3\n4\n5", 0)  # five lines: whole
    shown, left = fold("x" * 1000 + "\ny\nz\nw\nv\nu", expanded=False)
    assert shown.splitlines() == ["x" * 400 + "…", "y", "z"] and left == 3
    shown, left = fold("line\n" * 20_000, expanded=True)
    assert len(shown) == 64_000 and left == 20_000 - 12_800


@pytest.mark.parametrize("size", SIZES)
def test_tool_blocks(snap_compare: Any, size: tuple[int, int]) -> None:
    """A stored conversation with tool calls, scrolled to the first call: each call (tool call · server · tool,
    the arguments on one line) and under it its result, as framed blocks of their own: a 12-line result folded
    to three lines and "… 9 more lines" (the [chart](…) text literal), an error in red, a declined call in
    yellow; then the answer."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, LLMConsoleApp)
        store = app.history.history
        assert isinstance(store, HistoryStore)
        _, main = await _open_tool_conversation(pilot, store)
        main.pane.anchor(False)
        main.pane.scroll_to_widget(main.pane.query(ToolCallBlock).first(), top=True, animate=False, immediate=True)
        app.clear_notifications()
        await pilot.pause()

    with HistoryStore() as store:
        assert snap_compare(history_app(store), terminal_size=size, run_before=run_before)


# -- the tool picker ----------------------------------------------------------------------------------------

TOOLS = (
    SPEC,
    ToolSpec("tide_table", "High and low water for a port.", server_name="ocean"),
    ToolSpec("send_email", "Send an email as you.", server_name="mail"),
    ToolSpec("read_file", "Read a file under the project.", server_name="files", source="local"),
)


async def _open_picker(
    pilot: Pilot[Any], offered: tuple[ToolSpec, ...], tools: tuple[ToolSpec, ...] = TOOLS
) -> tuple[LLMConsoleApp, asyncio.Future[tuple[ToolSpec, ...] | None]]:
    app = await _ready(pilot)
    picked: asyncio.Future[tuple[ToolSpec, ...] | None] = asyncio.get_running_loop().create_future()
    app.push_screen(ToolPickerModal(tools, offered), picked.set_result)
    await wait_until(pilot, lambda: isinstance(app.screen, ToolPickerModal))
    await pilot.pause()
    return app, picked


@pytest.mark.anyio
async def test_the_picker_checks_what_is_offered_and_applies_the_new_choice() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        _, picked = await _open_picker(pilot, offered=(TOOLS[1],))
        screen = app.screen
        assert isinstance(screen, ToolPickerModal)
        assert screen.selection_list.selected == ["ocean/tide_table"]
        title = screen.query_one("#tools-title", Static)
        assert str(title.render()) == "Tools offered to models: 1 of 4"
        await pilot.press("space")  # the first row: travel/search_flights
        assert str(title.render()) == "Tools offered to models: 2 of 4"
        await pilot.press("down", "down", "space")  # mail/send_email
        await pilot.press("enter")
        assert await asyncio.wait_for(picked, 5) == (TOOLS[0], TOOLS[1], TOOLS[2])


@pytest.mark.anyio
@pytest.mark.parametrize(("key", "expected"), [("a", TOOLS), ("n", ())])
async def test_all_and_none(key: str, expected: tuple[ToolSpec, ...]) -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        _, picked = await _open_picker(pilot, offered=(TOOLS[2],))
        await pilot.press(key, "enter")
        assert await asyncio.wait_for(picked, 5) == expected


@pytest.mark.anyio
async def test_escape_changes_nothing() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        _, picked = await _open_picker(pilot, offered=(TOOLS[2],))
        await pilot.press("a", "escape")
        assert await asyncio.wait_for(picked, 5) is None


def test_a_row_says_where_the_tool_lives() -> None:
    assert tool_row(TOOLS[3]).plain == "local files · read_file  Read a file under the project."
    assert tool_row(ToolSpec("bare")).plain == "bare"


@pytest.mark.parametrize("size", SIZES)
def test_tool_picker(snap_compare: Any, size: tuple[int, int]) -> None:
    """f7's picker over four tools, two checked: one row each (server · tool and the description's first line,
    cut with "…" where narrow), the local server's tool marked local, the keys under the list."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app, _ = await _open_picker(pilot, offered=(TOOLS[0], TOOLS[3]))
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(demo_app(clock=FakeClock()), terminal_size=size, run_before=run_before)


@pytest.mark.anyio
async def test_f1_lists_the_tool_keys_by_place() -> None:
    from llmconsole.ui.screens.help import HelpScreen, KeyTable

    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        words = " ".join(app.screen.query_one("#help-keys", KeyTable).plain.split())
        for expected in (
            "space / o Expand or fold the selected tool call or result [toggle-tool-block]",
            "Tool approval (before a tool call runs)",
            "y Tool approval: run this call once [tool-once]",
            "escape Tool approval: cancel the turn [tool-cancel]",
            "Tool picker (f7)",
            "a Tool picker: check every tool [tools-all]",
        ):
            assert expected in words


@pytest.mark.anyio
async def test_a_stored_call_never_answered_says_so() -> None:
    with HistoryStore() as store:
        app = history_app(store)
        async with app.run_test(size=(100, 40)) as pilot:
            await _ready(pilot)
            conv = Conversation(title="Died")
            conv.add_user("tides?")
            asking = conv.add_assistant("demo-gpt-5")
            asking.status = "completed"
            asking.tool_calls = [ToolExchange("c1", "tide_table", "{}", "ocean")]  # pending when the console died
            for message in conv.messages:
                store.add_message(conv, message)
            main = app.main_screen
            assert main is not None and await main.open_conversation(conv.id)
            await pilot.pause()
            result = main.pane.query(ToolResultBlock).first()
            assert result.border_title == "not answered" and result.has_class("-declined")
            assert "never answered" in str(result.render())


@pytest.mark.anyio
async def test_ctrl_o_search_finds_a_tool_result_and_opens_at_its_reply() -> None:
    with HistoryStore() as store:
        conv = tool_conversation()
        for message in conv.messages:
            store.add_message(conv, message)
        app = history_app(AsyncHistory(store))
        async with app.run_test(size=(100, 30)) as pilot:
            main = (await _ready(pilot)).main_screen
            assert main is not None
            screen = await open_list(pilot, app)
            await type_text(pilot, "tides.example")
            await wait_until(pilot, lambda: bool(screen.hits))
            hit = screen.hits[0]
            assert (hit.role, hit.tool, hit.message_id) == ("tool", "tide_table", conv.messages[1].id)
            assert "tool tide_table: " in str(screen.option_list.get_option_at_index(0).prompt)
            await pilot.press("enter")
            await wait_until(pilot, lambda: main.conversation.id == conv.id and bool(main.pane.query(ToolResultBlock)))


@pytest.mark.anyio
async def test_a_tools_name_no_tool_has_is_one_warning() -> None:
    from llmconsole.ui.app import make_app

    settings = replace(load_settings(demo=True), tools=("roll_dice", "no_such_tool"))
    client = ProxyClient(settings, transport=make_demo_transport(delta_delay=0))
    app = make_app(settings, client=client, clock=FakeClock())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        main = (await _ready(pilot)).main_screen
        assert main is not None
        await wait_until(pilot, lambda: main.tools is not None and main.tools.discovered)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert len(messages) == 1 and "No tool named no_such_tool (f7 lists the tools there are)." in messages[0]
        assert main.tools is not None and [t.name for t in main.tools.offered] == ["roll_dice"]


@pytest.mark.anyio
async def test_an_answer_typed_as_the_dialog_opens_is_taken() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot)
        task = asyncio.create_task(ask_approval(app, request()))
        await wait_until(pilot, lambda: isinstance(app.screen, ToolApprovalModal))
        await pilot.press("y")  # before its first layout settled
        assert await asyncio.wait_for(task, 5) == "once"
        await pilot.pause()
        assert not isinstance(app.screen, ToolApprovalModal)
