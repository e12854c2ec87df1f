"""The tool-round flow without Textual: offering, approval answers, results, the round limit, cancelling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmconsole.core.chat.conversation import Conversation, Message
from llmconsole.core.chat.tool_round import ToolRunner, TurnCancelled, function_tools, tool_turn
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.request import RequestInput
from llmconsole.core.tools.events import (
    ApprovalChoice,
    ToolApprovalRequest,
    ToolCallFinished,
    ToolCallRunning,
    ToolRoundsExhausted,
)
from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec

pytestmark = pytest.mark.anyio

ADD = ToolSpec("add", "Add two integers.", {"type": "object"}, "calc", "id-1")
ECHO = ToolSpec("echo", "Echo.", {"type": "object"}, "calc", "id-1")
CAPABLE = ModelInfo(id="gpt-5.2", function_calling=True)


class Caller:
    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, str]] = []
        self.delay = delay

    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
        self.calls.append((spec.qualified_name, call.arguments))
        await asyncio.sleep(self.delay)
        return ToolResult(call.call_id, f"{spec.name} ran")


def answering(*choices: ApprovalChoice) -> tuple[Any, list[ToolApprovalRequest]]:
    asked: list[ToolApprovalRequest] = []
    queue = list(choices)

    async def approve(request: ToolApprovalRequest) -> ApprovalChoice:
        asked.append(request)
        return queue.pop(0)

    return approve, asked


def reply_with(runner: ToolRunner, *calls: ToolCall) -> Message:
    reply = Message(role="assistant", text="", status="completed")
    for call in calls:
        runner.record(reply, call)
    return reply


async def collect(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


def test_tools_are_offered_only_to_models_that_call_functions() -> None:
    approve, _ = answering()
    runner = ToolRunner(Caller(), [ADD, ToolSpec("add", server_name="mirror")], approve=approve)
    request = RequestInput(items=[{"role": "user", "content": "hi"}])
    offered = runner.with_tools(request, CAPABLE).tools
    assert [t["name"] for t in offered] == ["calc__add", "mirror__add"]
    assert (
        offered[0]
        == function_tools({"calc__add": ADD})[0]
        == {
            "type": "function",
            "name": "calc__add",
            "description": "Add two integers.",
            "parameters": {"type": "object"},
        }
    )
    assert runner.with_tools(request, ModelInfo(id="acme-large")) is request
    assert ToolRunner(Caller(), [], approve=approve).with_tools(request, CAPABLE) is request


async def test_once_always_and_decline() -> None:
    caller = Caller()
    approve, asked = answering("once", "always", "decline")
    runner = ToolRunner(caller, [ADD, ECHO], approve=approve, clock=iter(range(100)).__next__)
    reply = reply_with(runner, ToolCall("c1", "add", '{"a":1}'), ToolCall("c2", "echo", "{}"))
    events = await collect(runner.run_round(reply))
    assert [type(e) for e in events] == [ToolCallRunning, ToolCallFinished, ToolCallRunning, ToolCallFinished]
    assert [r.title for r in asked] == ["calc/add", "calc/echo"]
    assert caller.calls == [("calc/add", '{"a":1}'), ("calc/echo", "{}")]
    assert [(c.status, c.output, c.server, c.duration_s) for c in reply.tool_calls] == [
        ("ran", "add ran", "calc", 1),
        ("ran", "echo ran", "calc", 1),
    ]
    # echo is approved for good in this conversation; add asks again, and is declined
    again = reply_with(runner, ToolCall("c3", "echo", "{}"), ToolCall("c4", "add", "{}"))
    events = await collect(runner.run_round(again))
    assert len(asked) == 3 and asked[2].call.call_id == "c4"
    declined = again.tool_calls[1]
    assert (declined.status, declined.outcome, declined.is_error) == ("declined", "declined", False)
    assert "declined" in declined.sent_output and caller.calls[-1] == ("calc/echo", "{}")
    assert isinstance(events[-1], ToolCallFinished) and events[-1].result.declined
    runner.new_conversation()
    assert runner.always == set()


async def test_a_tool_never_offered_is_an_error_result_without_asking() -> None:
    approve, asked = answering()
    runner = ToolRunner(Caller(), [ADD], approve=approve)
    reply = reply_with(runner, ToolCall("c1", "rm_rf", "{}"))
    (event,) = await collect(runner.run_round(reply))
    assert isinstance(event, ToolCallFinished) and event.spec is None and event.result.is_error
    assert asked == [] and reply.tool_calls[0].outcome == "error"
    assert reply.tool_calls[0].server is None


async def test_cancel_ends_the_turn_and_cancels_every_call_not_answered() -> None:
    caller = Caller()
    approve, _ = answering("once", "cancel")
    runner = ToolRunner(caller, [ADD, ECHO], approve=approve)
    reply = reply_with(runner, ToolCall("c1", "add", "{}"), ToolCall("c2", "echo", "{}"), ToolCall("c3", "add", "{}"))
    with pytest.raises(TurnCancelled):
        await collect(runner.run_round(reply))
    assert [c.status for c in reply.tool_calls] == ["ran", "cancelled", "cancelled"]
    assert caller.calls == [("calc/add", "{}")]


async def test_escape_during_a_call_cancels_it_and_the_rest() -> None:
    approve, _ = answering("always")
    runner = ToolRunner(Caller(delay=30), [ADD], approve=approve)
    reply = reply_with(runner, ToolCall("c1", "add", "{}"), ToolCall("c2", "add", "{}"))
    running = asyncio.Event()

    async def consume() -> None:
        async for event in runner.run_round(reply):
            if isinstance(event, ToolCallRunning):
                running.set()

    task = asyncio.create_task(consume())
    await running.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [c.status for c in reply.tool_calls] == ["cancelled", "cancelled"]


class FakeRun:
    """A reply that asks for ``calls`` (or answers with text when there are none)."""

    def __init__(self, conversation: Conversation, runner: ToolRunner, calls: list[ToolCall]) -> None:
        self.conversation, self.runner, self.calls = conversation, runner, calls
        self.message = conversation.add_assistant("gpt-5.2")

    async def events(self) -> AsyncIterator[Any]:
        for call in self.calls:
            self.runner.record(self.message, call)
        self.message.text = "" if self.calls else "done"
        self.message.status = "completed"
        yield self.message.text


async def test_tool_turn_runs_rounds_until_a_reply_asks_for_nothing() -> None:
    approve, _ = answering("always")
    runner = ToolRunner(Caller(), [ADD], approve=approve)
    conversation = Conversation()
    conversation.add_user("2+2?")
    script = [[ToolCall("c1", "add", "{}")], [ToolCall("c2", "add", "{}")], []]
    events = await collect(tool_turn(lambda: FakeRun(conversation, runner, script.pop(0)), runner))
    assert [e for e in events if isinstance(e, str)] == ["", "", "done"]
    replies = [m for m in conversation.messages if m.role == "assistant"]
    assert [m.parent_id for m in replies] == [conversation.messages[0].id, replies[0].id, replies[1].id]
    assert [c.status for m in replies for c in m.tool_calls] == ["ran", "ran"]
    items = conversation.to_input_items()
    assert [i.get("type", i.get("role")) for i in items] == [
        "user",
        "function_call",
        "function_call_output",
        "function_call",
        "function_call_output",
        "assistant",
    ]


async def test_past_the_round_limit_the_turn_stops_with_one_event() -> None:
    approve, _ = answering(*["always"])
    runner = ToolRunner(Caller(), [ADD], approve=approve, max_rounds=2)
    conversation = Conversation()
    conversation.add_user("loop")
    count = iter(range(100))
    events = await collect(
        tool_turn(lambda: FakeRun(conversation, runner, [ToolCall(f"c{next(count)}", "add", "{}")]), runner)
    )
    assert isinstance(events[-1], ToolRoundsExhausted) and events[-1].limit == 2
    assert sum(isinstance(e, ToolCallRunning) for e in events) == 2
    last = conversation.messages[-1]
    assert [c.status for c in last.tool_calls] == ["cancelled"]


async def test_without_a_runner_or_tools_a_turn_is_one_reply() -> None:
    approve, _ = answering()
    runner = ToolRunner(Caller(), [ADD], approve=approve)
    conversation = Conversation()
    conversation.add_user("hi")
    events = await collect(tool_turn(lambda: FakeRun(conversation, runner, [ToolCall("c1", "add", "{}")]), None))
    assert events == [""] and conversation.messages[-1].tool_calls[0].status == "pending"
