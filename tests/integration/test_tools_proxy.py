"""Tools through LiteLLM's MCP gateway: the real proxy runs tests/proxy/mcp_tool_server.py (official ``mcp`` SDK,
stdio) as two servers, ``testtools`` and ``mirror`` (see conftest.MCP_SERVERS)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tests.faultserver import assert_no_secret, cli_env, run_cli
from tests.integration.conftest import MCP_SERVERS
from tests.proxy.litellm_proxy import MASTER_KEY, MCP_TOOL_SERVER, UPSTREAM_KEY, LiteLLMProxy

from llmconsole.core.chat.toolbox import Toolbox
from llmconsole.core.config import McpServerConfig, Settings
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.gateway import GatewayTools
from llmconsole.core.tools.catalog import offered_names
from llmconsole.core.tools.values import MAX_RESULT_BYTES, ToolCall, ToolSpec

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]
SECRETS = (MASTER_KEY, UPSTREAM_KEY)


def settings_for(proxy: LiteLLMProxy, **kw: object) -> Settings:
    return Settings(base_url=proxy.base_url, api_key=proxy.master_key, **kw)  # type: ignore[arg-type]


async def listed(proxy: LiteLLMProxy) -> dict[str, ToolSpec]:
    async with ProxyClient(settings_for(proxy)) as client:
        listing = await GatewayTools(client).list_tools()
    assert listing.note is None
    return {t.qualified_name: t for t in listing.tools}


async def test_the_gateway_lists_every_servers_tools_with_server_names_and_ids(proxy: LiteLLMProxy) -> None:
    tools = await listed(proxy)
    for server in MCP_SERVERS:
        for name in ("add", "echo", "fail", "big", "env_has", "slow"):
            spec = tools[f"{server}/{name}"]
            assert spec.source == "proxy" and spec.server_id and spec.description
    add = tools["testtools/add"]
    assert add.summary() == "Add two integers." and add.input_schema["required"] == ["a", "b"]
    assert tools["testtools/add"].server_id != tools["mirror/add"].server_id
    names = offered_names(tools.values())
    assert "testtools__add" in names and "mirror__add" in names  # the same name on two servers


async def test_calls_run_on_the_named_server_keep_is_error_and_are_capped(proxy: LiteLLMProxy) -> None:
    tools = await listed(proxy)
    async with ProxyClient(settings_for(proxy)) as client:
        gateway = GatewayTools(client, call_timeout=30)
        added = await gateway.call(tools["mirror/add"], ToolCall("c1", "mirror__add", '{"a": 2, "b": 40}'))
        assert (added.call_id, added.text, added.is_error) == ("c1", "42", False)
        failed = await gateway.call(tools["testtools/fail"], ToolCall("c2", "fail", '{"message": "boom"}'))
        assert failed.is_error and "boom" in failed.text
        big = await gateway.call(tools["testtools/big"], ToolCall("c3", "big", '{"size": 100000}'))
        assert big.truncated and big.text.endswith(f"[result cut at {MAX_RESULT_BYTES:,} of 100,000 bytes]")
        echoed = await gateway.call(tools["testtools/echo"], ToolCall("c4", "echo", json.dumps({"text": MASTER_KEY})))
        assert MASTER_KEY not in echoed.text and "[REDACTED]" in echoed.text
        unknown = await gateway.call(replace(tools["testtools/add"], name="nope"), ToolCall("c5", "nope", "{}"))
        assert unknown.is_error and unknown.call_id == "c5"


async def test_a_call_past_its_timeout_is_an_error_result(proxy: LiteLLMProxy) -> None:
    tools = await listed(proxy)
    async with ProxyClient(settings_for(proxy)) as client:
        result = await GatewayTools(client, call_timeout=1).call(
            tools["testtools/slow"], ToolCall("c1", "slow", '{"seconds": 4}')
        )
    assert result.is_error and result.text == "slow: no answer within 1 s"


async def test_a_wrong_key_lists_no_tools_and_says_so(proxy: LiteLLMProxy) -> None:
    settings = Settings(base_url=proxy.base_url, api_key="sk-not-the-master-key-5566778899")
    async with ProxyClient(settings) as client:
        listing = await GatewayTools(client).list_tools()
    assert listing.tools == () and listing.note is not None
    assert "sk-not-the-master-key" not in listing.note


async def test_the_toolbox_joins_gateway_and_local_tools(proxy: LiteLLMProxy) -> None:
    local = {"calc": McpServerConfig(sys.executable, (str(MCP_TOOL_SERVER), "calc"))}
    async with ProxyClient(settings_for(proxy, mcp_servers=local, tool_timeout=30.0)) as client:
        box = Toolbox(client)
        try:
            listing = await box.discover()
            by_name = {t.qualified_name: t for t in listing.tools}
            assert {"testtools/add", "mirror/add", "calc/add"} <= set(by_name)
            assert by_name["calc/add"].source == "local" and by_name["mirror/add"].source == "proxy"
            for qualified in ("calc/add", "mirror/add"):
                result = await box.call(by_name[qualified], ToolCall("c", "add", '{"a": 1, "b": 2}'))
                assert result.text == "3", qualified
            # the local server never sees the proxy key (nor does the gateway's: LiteLLM's own environment)
            env = await box.call(by_name["calc/env_has"], ToolCall("c", "env_has", '{"name": "OPENAI_API_KEY"}'))
            assert env.text == "OPENAI_API_KEY is not set"
        finally:
            await box.aclose()


def test_llmconsole_tools_lists_server_name_and_description(proxy: LiteLLMProxy, tmp_path: Path) -> None:
    env = cli_env(tmp_path, proxy.base_url, proxy.master_key)
    result = run_cli("tools", env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SERVER", "TOOL", "DESCRIPTION"]
    assert any(line.split()[:2] == ["mirror", "add"] and line.endswith("Add two integers.") for line in lines)
    assert len(lines) == 1 + 6 * len(MCP_SERVERS)
    as_json = run_cli("tools", "--json", env=env, timeout=60)
    tools = json.loads(as_json.stdout)
    add = next(t for t in tools if (t["server"], t["name"]) == ("testtools", "add"))
    assert add["source"] == "proxy" and add["server_id"] and add["input_schema"]["required"] == ["a", "b"]
    assert_no_secret((result.stdout, result.stderr, as_json.stdout, as_json.stderr), SECRETS)
