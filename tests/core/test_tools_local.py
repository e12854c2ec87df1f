"""Local MCP servers over stdio, with the real ``mcp`` SDK on both sides (tests/proxy/mcp_tool_server.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llmconsole.core.config import McpServerConfig
from llmconsole.core.tools.local import LocalServers
from llmconsole.core.tools.values import MAX_RESULT_BYTES, ToolCall, ToolSpec
from tests.core.fakes import KEY
from tests.proxy.litellm_proxy import MCP_TOOL_SERVER

pytestmark = pytest.mark.anyio


def server(name: str = "calc", **env: str) -> McpServerConfig:
    return McpServerConfig(sys.executable, (str(MCP_TOOL_SERVER), name), dict(env))


async def test_lists_and_calls_tools_and_keeps_is_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # in the console's environment, never in the server's
    servers = LocalServers(
        {"calc": server(GREETING="hi", LEAK=f"Bearer {KEY}")}, secrets=lambda: (KEY,), call_timeout=20
    )
    try:
        listing = await servers.list_tools()
        assert listing.note is None
        specs = {t.name: t for t in listing.tools}
        assert {"add", "echo", "fail", "big", "env_has", "slow"} <= set(specs)
        add = specs["add"]
        assert (add.server_name, add.source, add.server_id) == ("calc", "local", None)
        assert add.summary() == "Add two integers." and add.input_schema["required"] == ["a", "b"]

        assert (await servers.call(add, ToolCall("c1", "add", '{"a": 2, "b": 40}'))).text == "42"
        failed = await servers.call(specs["fail"], ToolCall("c2", "fail", '{"message": "boom"}'))
        assert failed.is_error and "fail" in failed.text
        big = await servers.call(specs["big"], ToolCall("c3", "big", f'{{"size": {2 * MAX_RESULT_BYTES}}}'))
        assert big.truncated and len(big.text.encode()) < MAX_RESULT_BYTES + 100

        async def env_has(name: str) -> str:
            return (await servers.call(specs["env_has"], ToolCall("c", "env_has", f'{{"name": "{name}"}}'))).text

        assert await env_has("GREETING") == "GREETING is set (2 characters)"
        assert await env_has("OPENAI_API_KEY") == "OPENAI_API_KEY is not set"
        assert await env_has("LEAK") == "LEAK is not set"  # an env value holding the key is left out
        echoed = await servers.call(specs["echo"], ToolCall("c4", "echo", f'{{"text": "{KEY}"}}'))
        assert KEY not in echoed.text and "[REDACTED]" in echoed.text
    finally:
        await servers.aclose()


async def test_a_slow_call_times_out_as_an_error_and_the_server_goes_on() -> None:
    servers = LocalServers({"calc": server()}, call_timeout=1.0)
    try:
        specs = {t.name: t for t in (await servers.list_tools()).tools}
        timed_out = await servers.call(specs["slow"], ToolCall("c1", "slow", '{"seconds": 30}'))
        assert timed_out.is_error and timed_out.text == "slow: no answer within 1 s"
        assert (await servers.call(specs["add"], ToolCall("c2", "add", '{"a": 1, "b": 1}'))).text == "2"
    finally:
        await servers.aclose()


async def test_a_server_that_cannot_start_offers_nothing_and_says_why(tmp_path: Path) -> None:
    servers = LocalServers(
        {"gone": McpServerConfig(str(tmp_path / "no-such-program")), "calc": server()}, call_timeout=20
    )
    try:
        listing = await servers.list_tools()
        assert listing.tools and all(t.server_name == "calc" for t in listing.tools)
        assert listing.note is not None and listing.note.startswith("local server gone: ")
        result = await servers.call(ToolSpec("x", server_name="gone", source="local"), ToolCall("c", "x", "{}"))
        assert result.is_error and result.text.startswith("x: ")
        unknown = await servers.call(ToolSpec("x", server_name="nowhere", source="local"), ToolCall("c", "x", "{}"))
        assert unknown.is_error and "no local server 'nowhere'" in unknown.text
    finally:
        await servers.aclose()
