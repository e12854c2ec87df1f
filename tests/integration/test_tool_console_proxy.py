"""Tool rounds in the console through the real LiteLLM proxy: the fake upstream (gpt-5.2, served directly) asks for
a tool of the MCP servers behind the proxy's gateway (conftest.MCP_SERVERS); the approval dialog is answered on
the keyboard, the call runs on the gateway, its blocks show, and the next request carries the result back.

Escape while a call runs on the gateway ends the turn there: the call is cancelled, nothing more is sent, the
prompt and the reply stay in the history, and a prompt sent while the round ran waited (it is still in the
editor, sent afterwards with the cancelled call answered as not run). A local server ([mcp.servers]) is offered and
called beside the gateway in the same flow, and stops when the console quits."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.faultserver import assert_no_secret
from tests.integration.test_tool_rounds_proxy import SECRETS, offered, sent_back
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, MCP_TOOL_SERVER, LiteLLMProxy
from tests.ui.helpers import FakeClock, type_text, wait_ready, wait_until
from textual.pilot import Pilot

from llmconsole.core.chat.session import BUSY_LINES
from llmconsole.core.config import McpServerConfig, Settings
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.secret import Secret
from llmconsole.core.store.history import HistoryStore
from llmconsole.ui.app import LLMConsoleApp, make_app
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.tool_approval import ToolApprovalModal
from llmconsole.ui.widgets.tool_block import ToolCallBlock, ToolResultBlock

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

SIZE = (120, 40)
MODEL = "gpt-5.2"


def tools_app(
    proxy: LiteLLMProxy, store: HistoryStore, tools: tuple[str, ...], local: dict[str, McpServerConfig] | None = None
) -> LLMConsoleApp:
    settings = Settings(
        base_url=proxy.base_url,
        api_key=Secret(MASTER_KEY),
        default_model=MODEL,
        idle_timeout=30.0,
        tools=tools,
        mcp_servers=local or {},
    )
    return make_app(settings, client=ProxyClient(settings), history=store, clock=FakeClock())


async def ready(pilot: Pilot[Any], app: LLMConsoleApp) -> MainScreen:
    main = await wait_ready(pilot, app)
    await wait_until(pilot, lambda: main.tools is not None and main.tools.discovered, timeout=60)
    return main


async def ask(pilot: Pilot[Any], app: LLMConsoleApp, prompt: str) -> ToolApprovalModal:
    await type_text(pilot, prompt)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ToolApprovalModal), timeout=60)
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ToolApprovalModal)
    return dialog


async def test_a_round_on_the_gateway_answered_with_y(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    upstream.script(
        MODEL,
        Behaviour.call_tools(("add", {"a": 2, "b": 40}), text="Let me add.", times=1),
        Behaviour.reply("The sum is 42.", times=1),
    )
    with HistoryStore(tmp_path / "history.db") as store:
        app = tools_app(proxy, store, ("testtools/add",))
        async with app.run_test(size=SIZE) as pilot:
            main = await ready(pilot, app)
            dialog = await ask(pilot, app, "what is 2+40")
            assert dialog.request.title == "testtools/add"
            assert '"b": 40' in dialog.request.pretty_arguments
            await pilot.press("y")
            await wait_until(
                pilot, lambda: len(main.conversation.messages) == 3 and main.session.busy is None, timeout=60
            )
            await app.workers.wait_for_complete()
            await pilot.pause()
            prompt, asking, answer = main.conversation.messages
            (exchange,) = asking.tool_calls
            assert (exchange.status, exchange.output, exchange.server) == ("ran", "42", "testtools")
            assert asking.text == "Let me add." and answer.text == "The sum is 42."
            assert answer.status == "completed"
            call_block = main.pane.query_one(ToolCallBlock)
            result_block = main.pane.query_one(ToolResultBlock)
            assert call_block.border_title == "tool call · testtools · add"
            assert result_block.border_title.startswith("result · ") and "42" in str(result_block.render())
            assert [r.text for r in main.pane.replies] == ["Let me add.", "The sum is 42."]
        first, second = upstream.requests_for(MODEL)[-2:]
        assert offered(first) == ["add"] and sent_back(first) == []
        assert sent_back(second) == [(exchange.call_id, "42")]
        stored = store.load(main.conversation.id)
        assert [m.text for m in stored.messages] == ["what is 2+40", "Let me add.", "The sum is 42."]
        assert stored.messages[1].tool_calls == [exchange]
        assert_no_secret(["\n".join(store.db.iterdump())], SECRETS)


async def test_escape_ends_a_running_call_and_a_prompt_waits_meanwhile(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    # `mirror` (not `testtools`): the slow call may still run behind the gateway after the console let go.
    upstream.script(MODEL, Behaviour.call_tools(("slow", {"seconds": 8}), text="Wait for it.", times=1))
    with HistoryStore(tmp_path / "history.db") as store:
        app = tools_app(proxy, store, ("mirror/slow",))
        async with app.run_test(size=SIZE) as pilot:
            main = await ready(pilot, app)
            await ask(pilot, app, "be slow")
            await pilot.press("y")
            result_block = main.pane.query_one(ToolResultBlock)
            await wait_until(pilot, lambda: result_block.border_title == "running…", timeout=30)
            assert main.session.busy == "tools"
            # A prompt sent while the round runs waits: it stays in the editor, one line says why.
            app.clear_notifications()
            await type_text(pilot, "meanwhile")
            await pilot.press("enter")
            await pilot.pause()
            assert main.prompt.text == "meanwhile"
            assert [n.message for n in app._notifications] == [BUSY_LINES["tools"]]
            assert len(main.conversation.messages) == 2
            requests = len(upstream.requests_for(MODEL))
            await pilot.press("escape")
            await wait_until(pilot, lambda: main.session.busy is None and not main.pane.streaming, timeout=10)
            await app.workers.wait_for_complete()
            await pilot.pause()
            prompt, asking = main.conversation.messages
            (exchange,) = asking.tool_calls
            assert exchange.status == "cancelled" and not exchange.output
            assert result_block.border_title == "cancelled"
            assert len(upstream.requests_for(MODEL)) == requests, "nothing more was sent"
            stored = store.load(main.conversation.id)
            assert [m.text for m in stored.messages] == ["be slow", "Wait for it."]
            assert [c.status for c in stored.messages[1].tool_calls] == ["cancelled"]
            # The waiting prompt goes now; the model is told the cancelled call was not run.
            upstream.script(MODEL, Behaviour.reply("Fine, no waiting.", times=1))
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: len(main.conversation.messages) == 4 and main.session.busy is None, timeout=60
            )
            assert main.conversation.messages[-1].text == "Fine, no waiting."
        (answered,) = sent_back(upstream.requests_for(MODEL)[-1])
        assert answered[0] == exchange.call_id and answered[1] == exchange.sent_output


def _running(argument: str) -> bool:
    """Whether a process of this machine has ``argument`` on its command line."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if argument.encode() in cmdline.read_bytes().split(b"\0"):
                return True
        except OSError:  # gone meanwhile
            continue
    return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process list from /proc")
async def test_a_local_server_tool_runs_beside_the_gateway_and_stops_with_the_console(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    name = f"local-{uuid.uuid4().hex[:8]}"  # (its command line tells its process apart)
    local = {name: McpServerConfig(sys.executable, (str(MCP_TOOL_SERVER), name))}
    upstream.script(
        MODEL,
        Behaviour.call_tools(("echo", {"text": "from this machine"}), times=1),
        Behaviour.reply("It echoed.", times=1),
    )
    with HistoryStore(tmp_path / "history.db") as store:
        app = tools_app(proxy, store, (f"{name}/echo",), local)
        async with app.run_test(size=SIZE) as pilot:
            main = await ready(pilot, app)
            assert main.tools is not None
            servers = {(t.source, t.server_name) for t in main.tools.all_tools}
            assert {("proxy", "testtools"), ("proxy", "mirror"), ("local", name)} <= servers
            assert [t.qualified_name for t in main.tools.offered] == [f"{name}/echo"]
            dialog = await ask(pilot, app, "echo something")
            assert "a local MCP server" in str(dialog.query_one("#tool-who").render())
            await pilot.press("y")
            await wait_until(
                pilot, lambda: len(main.conversation.messages) == 3 and main.session.busy is None, timeout=60
            )
            (exchange,) = main.conversation.messages[1].tool_calls
            assert (exchange.status, exchange.server, exchange.output) == ("ran", name, "from this machine")
            assert main.conversation.messages[2].text == "It echoed."
            assert _running(name), "the local server runs while the console does"
        assert sent_back(upstream.requests_for(MODEL)[-1]) == [(exchange.call_id, "from this machine")]
        assert not _running(name), "the local server stopped with the console"
