"""A tool round's client-side overhead (issue 19), next to the time of the call itself.

One round, as the console runs it (``ChatSession`` + ``ReplyRun`` + ``ToolRunner``, no UI): the proxy (an
``httpx.MockTransport`` serving prepared Responses streams, so no network time is counted) streams a reply that
calls ``add``; the session asks for approval (answered at once), the call runs on the real MCP test server over
stdio (tests/proxy/mcp_tool_server.py, official ``mcp`` SDK), and the next reply is requested with the result.

- ``approval_ms``: from the reply's last byte to the approval being asked (the events, the reply's end, the
  session's decision, the request built for the dialog);
- ``next_request_ms``: from the call's result to the next request reaching the proxy (the call settled and
  saved, the next reply started, its body built with the conversation and the tools, sent);
- ``call_ms``: the call itself (a round trip to the local MCP server).

Medians over ``rounds`` rounds, after one warm-up round.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

MCP_SERVER = Path(__file__).resolve().parent.parent / "tests" / "proxy" / "mcp_tool_server.py"


def _sse(*events: dict[str, Any]) -> bytes:
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


def _calling(n: int) -> bytes:
    item = {"type": "function_call", "id": f"fc_{n}", "call_id": f"call_{n}", "name": "add", "arguments": ""}
    arguments = json.dumps({"a": n, "b": 40})
    return _sse(
        {"type": "response.created", "response": {"id": f"r{n}"}},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.function_call_arguments.delta", "item_id": f"fc_{n}", "delta": arguments},
        {"type": "response.function_call_arguments.done", "item_id": f"fc_{n}", "arguments": arguments},
        {"type": "response.output_item.done", "output_index": 0, "item": {**item, "arguments": arguments}},
        {"type": "response.completed", "response": {"id": f"r{n}", "status": "completed", "output": []}},
    )


_ANSWER = _sse(
    {"type": "response.created", "response": {"id": "a"}},
    {"type": "response.output_text.delta", "delta": "The sum."},
    {"type": "response.completed", "response": {"id": "a", "status": "completed", "output": []}},
)


class _Stream(httpx.AsyncByteStream):
    def __init__(self, body: bytes, marks: dict[str, list[float]]) -> None:
        self.body, self.marks = body, marks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.marks["last_byte"].append(time.perf_counter())
        yield self.body


async def measure_tool_rounds(rounds: int = 20) -> dict[str, float]:
    """Medians (ms) of ``approval_ms``, ``next_request_ms`` and ``call_ms`` over ``rounds`` rounds."""
    from llmconsole.core.chat.session import ChatSession
    from llmconsole.core.chat.tool_round import ToolRunner
    from llmconsole.core.config import McpServerConfig, Settings
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.core.tools.events import ApprovalChoice, ToolApprovalRequest
    from llmconsole.core.tools.local import LocalServers
    from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec

    marks: dict[str, list[float]] = {"last_byte": [], "asked": [], "result": [], "request": []}
    turn = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        marks["request"].append(time.perf_counter())
        body = json.loads(request.content)
        last = body["input"][-1]
        stream = _ANSWER if last.get("type") == "function_call_output" else _calling(turn["n"])
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Stream(stream, marks))

    servers = LocalServers({"calc": McpServerConfig(sys.executable, (str(MCP_SERVER), "calc"))}, call_timeout=30)

    class Caller:
        async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
            result = await servers.call(spec, call)
            marks["result"].append(time.perf_counter())
            return result

    async def approve(request: ToolApprovalRequest) -> ApprovalChoice:
        marks["asked"].append(time.perf_counter())
        return "once"

    tools = (await servers.list_tools()).tools
    settings = Settings(base_url="http://bench.invalid", api_key="sk-bench")
    client = ProxyClient(settings, transport=httpx.MockTransport(handler))
    model = ModelInfo(id="bench-tools", function_calling=True)
    chat = ChatSession(clock=time.perf_counter)
    chat.tools = ToolRunner(Caller(), [t for t in tools if t.name == "add"], approve=approve)
    approval: list[float] = []
    next_request: list[float] = []
    calls: list[float] = []
    try:
        for n in range(rounds + 1):
            turn["n"] = n
            for key in marks:
                marks[key].clear()
            chat.submit(f"{n} + 40?")
            run = chat.start_reply(client, model)
            async for _ in run.events():
                pass
            assert run.end is not None and chat.wants_tools(run.end)
            finished = [e async for e in chat.run_tools(run)]
            answer = chat.start_reply(client, model)
            async for _ in answer.events():
                pass
            assert answer.message.text == "The sum." and finished
            if n == 0:
                continue  # warm-up: imports, the server's start, the pooled connection
            approval.append((marks["asked"][0] - marks["last_byte"][0]) * 1000)
            next_request.append((marks["request"][1] - marks["result"][0]) * 1000)
            calls.append(finished[-1].duration_s * 1000)
    finally:
        await client.aclose()
        await servers.aclose()
    return {
        "approval_ms": statistics.median(approval),
        "next_request_ms": statistics.median(next_request),
        "call_ms": statistics.median(calls),
        "rounds": float(rounds),
    }


if __name__ == "__main__":  # pragma: no cover
    import asyncio

    print(json.dumps(asyncio.run(measure_tool_rounds()), indent=2))
