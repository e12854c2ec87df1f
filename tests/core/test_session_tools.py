"""Tool rounds in the session (no UI): the reply's calls, busy ``tools``, the next reply sending the results,
the round limit, a cancelled turn, and a backend that refuses tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from llmconsole.core.chat.conversation import Conversation, Message
from llmconsole.core.chat.session import ChatSession, ReplyEnded, ToolCallReceived, ToolsRefused
from llmconsole.core.chat.tool_round import ToolRunner, TurnCancelled
from llmconsole.core.events import Completed, ResponseStarted, StreamEvent, TextDelta, Usage
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.request import RequestInput
from llmconsole.core.tools.events import (
    ApprovalChoice,
    ToolApprovalRequest,
    ToolCallDone,
    ToolCallFinished,
    ToolRoundsExhausted,
)
from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec
from tests.core.test_session import MemoryRecorder

pytestmark = pytest.mark.anyio

MODEL = ModelInfo(id="gpt-5.2", function_calling=True)
ADD = ToolSpec("add", "Add two integers.", {"type": "object"}, "calc", "id-1")


def calling(*calls: ToolCall, text: str = "") -> list[StreamEvent]:
    return [ResponseStarted(), TextDelta(text), *(ToolCallDone(c) for c in calls), Completed(Usage())]


@dataclass
class Client:
    scripts: list[list[StreamEvent]]
    requests: list[RequestInput] = field(default_factory=list)

    async def stream_response(self, model: ModelInfo, request: RequestInput, **kw: Any) -> AsyncIterator[StreamEvent]:
        self.requests.append(request)
        for event in self.scripts.pop(0):
            yield event


@dataclass
class Recorder(MemoryRecorder):
    updates: list[tuple[str, list[str]]] = field(default_factory=list)

    def update(self, conversation: Conversation, message: Message) -> None:
        self.updates.append((message.id, [c.status for c in message.tool_calls]))


class Caller:
    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
        return ToolResult(call.call_id, "42")


def chat_with_tools(*answers: ApprovalChoice, max_rounds: int = 8) -> tuple[ChatSession, Recorder, list[str | None]]:
    recorder = Recorder()
    ticks = iter(range(1_000_000))
    chat = ChatSession(clock=lambda: float(next(ticks)), recorder=recorder)
    busy_when_asked: list[str | None] = []
    queue = list(answers)

    async def approve(request: ToolApprovalRequest) -> ApprovalChoice:
        busy_when_asked.append(chat.busy)
        return queue.pop(0)

    chat.tools = ToolRunner(Caller(), [ADD], approve=approve, max_rounds=max_rounds)
    return chat, recorder, busy_when_asked


async def reply(chat: ChatSession, client: Client) -> tuple[list[Any], ReplyEnded, Any]:
    run = chat.start_reply(client, MODEL)
    events = [event async for event in run.events()]
    assert isinstance(events[-1], ReplyEnded)
    return events, events[-1], run


async def test_a_round_answers_the_calls_and_the_next_reply_sends_the_results() -> None:
    chat, recorder, busy = chat_with_tools("once")
    client = Client(
        [
            calling(ToolCall("c1", "add", '{"a": 2}'), text="Let me add."),
            [ResponseStarted(), TextDelta("42."), Completed(Usage())],
        ]
    )
    chat.submit("2+40?")
    events, end, run = await reply(chat, client)
    assert [t["name"] for t in client.requests[0].tools] == ["add"]
    (received,) = [e for e in events if isinstance(e, ToolCallReceived)]
    assert received.exchange is run.message.tool_calls[0] and received.exchange.status == "pending"
    assert chat.wants_tools(end) and chat.busy is None
    round_events = [e async for e in chat.run_tools(run)]
    assert busy == ["tools"] and chat.busy is None and chat.tool_rounds == 1
    assert isinstance(round_events[-1], ToolCallFinished) and round_events[-1].result.text == "42"
    assert recorder.updates == [(run.message.id, ["ran"])]
    _, second, _ = await reply(chat, client)
    assert second.message.parent_id == run.message.id and second.message.text == "42."
    sent = client.requests[1].items
    assert sent[-2:] == [
        {"type": "function_call", "call_id": "c1", "name": "add", "arguments": '{"a": 2}'},
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
    ]
    assert not chat.wants_tools(second)
    chat.submit("again")
    assert chat.tool_rounds == 0  # counted per prompt


async def test_past_the_limit_the_calls_are_cancelled_and_one_event_says_so() -> None:
    chat, recorder, _ = chat_with_tools("always", max_rounds=1)
    client = Client([calling(ToolCall("c1", "add", "{}")), calling(ToolCall("c2", "add", "{}"))])
    chat.submit("loop")
    _, _, run = await reply(chat, client)
    assert [type(e) for e in [e async for e in chat.run_tools(run)]][-1] is ToolCallFinished
    _, end, run = await reply(chat, client)
    assert chat.wants_tools(end)
    (event,) = [e async for e in chat.run_tools(run)]
    assert isinstance(event, ToolRoundsExhausted) and event.limit == 1
    assert [c.status for c in run.message.tool_calls] == ["cancelled"]
    assert recorder.updates[-1] == (run.message.id, ["cancelled"])


async def test_cancel_ends_the_turn_and_saves_the_cancelled_calls() -> None:
    chat, recorder, _ = chat_with_tools("cancel")
    client = Client([calling(ToolCall("c1", "add", "{}"))])
    chat.submit("hi")
    _, _, run = await reply(chat, client)
    with pytest.raises(TurnCancelled):
        [e async for e in chat.run_tools(run)]
    assert chat.busy is None and recorder.updates == [(run.message.id, ["cancelled"])]


async def test_no_tools_for_a_model_that_cannot_call_functions_and_none_without_a_runner() -> None:
    chat, _, _ = chat_with_tools()
    client = Client([[ResponseStarted(), TextDelta("hi"), Completed(Usage())]] * 2)
    chat.submit("hi")
    run = chat.start_reply(client, ModelInfo(id="acme-large"))
    [e async for e in run.events()]
    assert client.requests[0].tools == []
    chat.tools = None
    _, end, _ = await reply(chat, client)
    assert client.requests[1].tools == [] and not chat.wants_tools(end)


async def test_a_backend_refusing_tools_is_one_event() -> None:
    chat, _, _ = chat_with_tools()
    client = Client([[ResponseStarted(dropped_params=("tools",)), TextDelta("hi"), Completed(Usage())]])
    chat.submit("hi")
    events, _, _ = await reply(chat, client)
    (refused,) = [e for e in events if isinstance(e, ToolsRefused)]
    assert refused.describe().startswith("gpt-5.2 does not accept tools")


async def test_a_failed_reply_after_a_round_is_retried_in_place_with_the_results() -> None:
    from llmconsole.core.errors import RateLimitError
    from llmconsole.core.proxy.ratelimit import RateLimitInfo

    class Failing(Client):
        async def stream_response(
            self, model: ModelInfo, request: RequestInput, **kw: Any
        ) -> AsyncIterator[StreamEvent]:
            self.requests.append(request)
            script = self.scripts.pop(0)
            if not script:
                raise RateLimitError("slow down", status=429, info=RateLimitInfo(retry_after=1))
            for event in script:
                yield event

    chat, _, _ = chat_with_tools("once")
    client = Failing(
        [calling(ToolCall("c1", "add", "{}")), [], [ResponseStarted(), TextDelta("42."), Completed(Usage())]]
    )
    chat.submit("2+40?")
    _, _, run = await reply(chat, client)
    [e async for e in chat.run_tools(run)]
    assert chat.unanswered() is run.message  # the results wait for the model
    _, failed, _ = await reply(chat, client)
    assert failed.outcome == "rate_limited" and chat.unanswered() is run.message
    assert chat.retry().kind == "in_place"
    _, answered, _ = await reply(chat, client)
    assert answered.message.parent_id == run.message.id and answered.message.text == "42."
    assert client.requests[2].items[-1] == {"type": "function_call_output", "call_id": "c1", "output": "42"}
    assert chat.unanswered() is None
