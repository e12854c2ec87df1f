"""Function calls on both endpoints: offered in the request, streamed back as the same typed events
(httpx.MockTransport; through the real proxy in tests/integration/test_tool_rounds_proxy.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llmconsole.core.events import Completed, Failed, Incomplete, ResponseStarted, TextDelta
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.endpoints import LearnedEndpoints
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.params import LearnedParams
from llmconsole.core.proxy.request import RequestInput
from llmconsole.core.proxy.toolcalls import ChatToolCalls, ResponsesToolCalls
from llmconsole.core.tools.events import ToolCallDelta, ToolCallDone, ToolCallStarted
from llmconsole.core.tools.values import ToolCall

from .fakes import ChunkStream, settings, sse

pytestmark = pytest.mark.anyio

TOOL = {
    "type": "function",
    "name": "add",
    "description": "Add two integers.",
    "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
}
REQUEST = RequestInput(items=[{"role": "user", "content": "2+40?"}], tools=[TOOL])
COMPLETED = {"type": "response.completed", "response": {"id": "resp_1", "status": "completed", "output": []}}


def call_item(item_id: str, call_id: str, name: str, arguments: str = "") -> dict[str, Any]:
    return {"type": "function_call", "id": item_id, "call_id": call_id, "name": name, "arguments": arguments}


def args_delta(item_id: str, index: int, text: str) -> dict[str, Any]:
    return {"type": "response.function_call_arguments.delta", "item_id": item_id, "output_index": index, "delta": text}


def item_event(kind: str, index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": f"response.output_item.{kind}", "output_index": index, "item": item}


def responses_two_calls() -> bytes:
    """Two calls, their argument pieces interleaved, as OpenAI streams them."""
    return sse(
        {"type": "response.created", "response": {"id": "resp_1"}},
        item_event("added", 0, call_item("fc_1", "call_a", "add")),
        item_event("added", 1, call_item("fc_2", "call_b", "echo")),
        args_delta("fc_1", 0, '{"a":'),
        args_delta("fc_2", 1, '{"t'),
        args_delta("fc_1", 0, " 2}"),
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_1",
            "output_index": 0,
            "arguments": '{"a": 2}',
        },
        item_event("done", 0, call_item("fc_1", "call_a", "add", '{"a": 2}')),
        args_delta("fc_2", 1, 'ext":"x"}'),
        item_event("done", 1, call_item("fc_2", "call_b", "echo", '{"text":"x"}')),
        COMPLETED,
    )


def chat_two_calls(finish: str = "tool_calls") -> bytes:
    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"id": "c1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    def entry(index: int, **kw: Any) -> dict[str, Any]:
        return {"tool_calls": [{"index": index, **kw}]}

    return sse(
        chunk({"role": "assistant", "content": "Let me add."}),
        chunk(entry(0, id="call_a", type="function", function={"name": "add", "arguments": ""})),
        chunk(entry(0, function={"arguments": '{"a":'})),
        chunk(entry(1, id="call_b", type="function", function={"name": "echo", "arguments": '{"text"'})),
        chunk(entry(0, function={"arguments": " 2}"})),
        chunk(entry(1, function={"arguments": ':"x"}'})),
        chunk({}, finish),
    )


class Server:
    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status = body, status
        self.bodies: list[dict[str, Any]] = []
        self.rejections: list[dict[str, Any]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if self.rejections:
            return httpx.Response(400, json=self.rejections.pop(0))
        return httpx.Response(self.status, stream=ChunkStream([self.body]))


async def stream(server: Server, endpoint: str = "responses", request: RequestInput = REQUEST) -> list[Any]:
    client = ProxyClient(
        settings(),
        transport=httpx.MockTransport(server.handler),
        learned=LearnedParams(),
        learned_endpoints=LearnedEndpoints(),
    )
    model = ModelInfo(id="m", endpoint=endpoint, sources={"endpoint": "config"})  # type: ignore[arg-type]
    return [e async for e in client.stream_response(model, request)]


def tool_events(events: list[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, ToolCallStarted | ToolCallDelta | ToolCallDone)]


EXPECTED_CALLS = [ToolCall("call_a", "add", '{"a": 2}'), ToolCall("call_b", "echo", '{"text":"x"}')]


async def test_responses_offer_function_tools_and_stream_every_call_before_completed() -> None:
    server = Server(responses_two_calls())
    events = await stream(server)
    assert server.bodies[0]["tools"] == [TOOL]
    tools = tool_events(events)
    assert tools[:2] == [ToolCallStarted("call_a", "add", 0), ToolCallStarted("call_b", "echo", 1)]
    assert [e.text for e in tools if isinstance(e, ToolCallDelta) and e.call_id == "call_b"] == ['{"t', 'ext":"x"}']
    assert [e.call for e in tools if isinstance(e, ToolCallDone)] == EXPECTED_CALLS
    assert isinstance(events[-1], Completed)
    assert events.index(tools[-1]) < len(events) - 1


async def test_calls_only_in_the_final_output_still_arrive() -> None:
    final = {
        "type": "response.completed",
        "response": {"id": "r", "output": [call_item("fc_9", "call_z", "add", '{"a": 1}')]},
    }
    events = await stream(Server(sse({"type": "response.created", "response": {}}, final)))
    assert tool_events(events) == [
        ToolCallStarted("call_z", "add", 0),
        ToolCallDelta("call_z", '{"a": 1}'),
        ToolCallDone(ToolCall("call_z", "add", '{"a": 1}')),
    ]


async def test_chat_completions_offer_nested_tools_and_give_the_same_events() -> None:
    server = Server(chat_two_calls())
    events = await stream(server, "chat")
    assert server.bodies[0]["tools"] == [
        {"type": "function", "function": {k: v for k, v in TOOL.items() if k != "type"}}
    ]
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Let me add."]
    tools = tool_events(events)
    assert tools[0] == ToolCallStarted("call_a", "add", 0)
    assert [e.call for e in tools if isinstance(e, ToolCallDone)] == EXPECTED_CALLS
    assert isinstance(events[-1], Completed)


async def test_a_truncated_or_broken_reply_runs_no_half_written_call() -> None:
    truncated = await stream(Server(chat_two_calls(finish="length")), "chat")
    assert isinstance(truncated[-1], Incomplete)
    assert not [e for e in truncated if isinstance(e, ToolCallDone)]
    cut = responses_two_calls().split(b"data: ")[:4]  # stops after the first delta: no terminal event
    broken = await stream(Server(b"data: ".join(cut)))
    assert isinstance(broken[-1], Failed)
    assert not [e for e in broken if isinstance(e, ToolCallDone)]


async def test_a_backend_rejecting_tools_is_learned_and_the_request_goes_without() -> None:
    server = Server(sse({"type": "response.created", "response": {}}, COMPLETED))
    server.rejections.append({"error": {"message": "Unsupported parameter: 'tools'", "param": "tools"}})
    events = await stream(server)
    assert "tools" in server.bodies[0] and "tools" not in server.bodies[1]
    started = next(e for e in events if isinstance(e, ResponseStarted))
    assert "tools" in started.dropped_params


def test_chat_pieces_without_index_or_id_continue_the_last_call() -> None:
    calls = ChatToolCalls()
    calls.feed([{"id": "c1", "function": {"name": "add", "arguments": '{"a"'}}])
    calls.feed([{"function": {"arguments": ": 1}"}}])
    assert calls.finish() == [ToolCallDone(ToolCall("c1", "add", '{"a": 1}'))]


def test_responses_done_arguments_win_over_the_pieces() -> None:
    calls = ResponsesToolCalls()
    calls.feed("response.output_item.added", {"output_index": 0, "item": call_item("fc", "c", "add")})
    calls.feed("response.function_call_arguments.delta", {"item_id": "fc", "delta": '{"a": 1'})
    done = calls.feed("response.function_call_arguments.done", {"item_id": "fc", "arguments": '{"a": 12}'})
    assert done == [ToolCallDone(ToolCall("c", "add", '{"a": 12}'))]
    assert calls.finish({"output": [call_item("fc", "c", "add", '{"a": 12}')]}) == []  # not twice
