"""The gateway client against a scripted proxy (httpx.MockTransport): listing, calling, and every way to have none."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import pytest

from llmconsole.core.chat.toolbox import Toolbox
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.gateway import GatewayTools
from llmconsole.core.tools import catalog
from llmconsole.core.tools.values import MAX_RESULT_BYTES, ToolCall, ToolSpec
from tests.core.fakes import KEY, settings

pytestmark = pytest.mark.anyio

TOOL = {
    "name": "add",
    "description": "Add two integers.\n\nReturns the sum.",
    "inputSchema": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
    "mcp_info": {"server_name": "calc", "server_id": "0123abcd", "alias": None},
}


def gateway(handler: Any, **kw: Any) -> GatewayTools:
    return GatewayTools(ProxyClient(settings(**kw), transport=httpx.MockTransport(handler)))


def answer(status: int, body: Any) -> Any:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


async def test_lists_tools_with_server_name_and_id_and_sends_the_key() -> None:
    handler = answer(200, {"tools": [TOOL, TOOL, {"name": ""}, "junk"], "error": None, "message": "ok"})
    listing = await gateway(handler).list_tools()
    assert listing.note is None
    assert listing.tools == (ToolSpec("add", TOOL["description"], TOOL["inputSchema"], "calc", "0123abcd", "proxy"),)
    request = handler.seen[0]
    assert request.url == "http://proxy.test/mcp-rest/tools/list"
    assert request.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("status", "body", "note"),
    [
        (404, {"detail": "Not Found"}, "this proxy has no MCP gateway"),
        (403, {"detail": {"error": "access_denied", "message": "no"}}, "this key may use no MCP server"),
        (
            200,
            {
                "tools": [],
                "error": "unexpected_error",
                "message": "An unexpected error occurred: {'error': 'access_denied', 'message': "
                "'The key is not allowed to access any MCP servers.'}",
            },
            "this key may use no MCP server",
        ),
        (500, {"error": {"message": f"boom {KEY}"}}, "the tool list failed: HTTP 500"),
        (200, ["not", "a", "dict"], "not JSON"),
    ],
)
async def test_no_gateway_or_no_servers_is_no_tools_and_one_note(status: int, body: Any, note: str) -> None:
    listing = await gateway(answer(status, body)).list_tools()
    assert listing.tools == ()
    assert listing.note is not None and note in listing.note and KEY not in listing.note


async def test_a_broken_connection_is_no_tools_and_a_note() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    listing = await gateway(handler).list_tools()
    assert listing.tools == () and listing.note == "the tool list failed: refused"


async def test_a_call_sends_name_arguments_and_server_id_and_keeps_is_error() -> None:
    handler = answer(200, {"content": [{"type": "text", "text": "boom"}], "isError": True})
    spec = ToolSpec.from_json_dict({**TOOL, "input_schema": TOOL["inputSchema"], "server_id": "0123abcd"})
    result = await gateway(handler).call(spec, ToolCall("c1", "add", '{"a": 1}'))
    assert (result.call_id, result.text, result.is_error) == ("c1", "boom", True)
    sent = json.loads(handler.seen[0].content)
    assert sent == {"name": "add", "arguments": {"a": 1}, "server_id": "0123abcd"}
    assert handler.seen[0].url.path == "/mcp-rest/tools/call"


async def test_a_call_without_a_server_id_names_the_server() -> None:
    handler = answer(200, {"content": [{"type": "text", "text": "3"}], "isError": False})
    await gateway(handler).call(ToolSpec("add", server_name="calc"), ToolCall("c1", "add", "{}"))
    assert json.loads(handler.seen[0].content)["server_id"] == "calc"


async def test_results_are_plain_text_capped_and_redacted() -> None:
    contents = [
        {"type": "text", "text": f"key {KEY} " + "y" * MAX_RESULT_BYTES},
        {"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"},
    ]
    handler = answer(200, {"content": contents, "isError": False})
    result = await gateway(handler).call(ToolSpec("t", server_id="s"), ToolCall("c1", "t", "{}"))
    assert KEY not in result.text and "[REDACTED]" in result.text
    assert result.truncated and result.text.endswith("bytes]") and not result.is_error
    only_image = answer(200, {"content": contents[1:]})
    image = await gateway(only_image).call(ToolSpec("t", server_id="s"), ToolCall("c1", "t", "{}"))
    assert image.text == "[image: image/png, about 6 bytes, not shown]"
    structured = answer(200, {"content": [], "structuredContent": {"n": 3}})
    assert (await gateway(structured).call(ToolSpec("t"), ToolCall("c", "t", "{}"))).text == '{"n": 3}'


async def test_refused_timed_out_and_malformed_calls_are_error_results() -> None:
    spec = ToolSpec("add", server_id="s")
    refused = await gateway(answer(403, {"detail": {"error": "access_denied"}})).call(spec, ToolCall("c", "add", "{}"))
    assert refused.is_error and "the gateway refused the call: HTTP 403" in refused.text

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    client = gateway(slow)
    client.call_timeout = 2.5
    timed_out = await client.call(spec, ToolCall("c", "add", "{}"))
    assert timed_out.is_error and timed_out.text == "add: no answer within 2.5 s"
    handler = answer(200, {})
    bad = await gateway(handler).call(spec, ToolCall("c", "add", "[1]"))
    assert bad.is_error and "not a JSON object" in bad.text and handler.seen == []  # nothing was sent


async def test_toolbox_caches_the_listing_per_proxy_and_profile() -> None:
    handler = answer(200, {"tools": [TOOL]})
    box = Toolbox(ProxyClient(settings(), transport=httpx.MockTransport(handler)))
    assert box.cached() == ()
    listing = await box.discover()
    assert [t.qualified_name for t in listing.tools] == ["calc/add"] and box.tools == listing.tools
    again = Toolbox(ProxyClient(settings(), transport=httpx.MockTransport(answer(404, {}))))
    assert again.cached() == listing.tools and again.tools == listing.tools
    other_profile = Toolbox(ProxyClient(replace(settings(), profile="work"), transport=httpx.MockTransport(handler)))
    assert other_profile.cached() == ()
    assert KEY not in catalog._cache_path(settings()).read_text()


def test_selection_by_name_server_and_qualified_name() -> None:
    tools = [
        ToolSpec("add", server_name="calc"),
        ToolSpec("add", server_name="mirror"),
        ToolSpec("echo", server_name="mirror"),
    ]
    assert catalog.select_tools(tools, ["all"]) == (tools, [])
    assert catalog.select_tools(tools, ["mirror/add", "nope"]) == ([tools[1]], ["nope"])
    assert catalog.select_tools(tools, ["mirror"]) == (tools[1:], [])
    assert catalog.select_tools(tools, ["add"]) == (tools[:2], [])
    assert catalog.select_tools(tools, []) == ([], [])


def test_offered_names_are_valid_and_unique() -> None:
    tools = [
        ToolSpec("add", server_name="calc"),
        ToolSpec("add", server_name="mirror"),
        ToolSpec("read.file/v2", server_name="fs"),
        ToolSpec("x" * 80, server_name="a"),
    ]
    names = catalog.offered_names(tools)
    assert list(names) == ["calc__add", "mirror__add", "read_file_v2", "x" * 64]
    assert list(names.values()) == tools
