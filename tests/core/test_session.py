"""The conversation flow without any UI: sending, retries, resends, drops, saving (``core.chat.session``)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from llmconsole.core.chat.conversation import Conversation, Message, MessageStatus
from llmconsole.core.chat.session import (
    ChatSession,
    ReasoningReceived,
    ReplyAccepted,
    ReplyEnded,
    RunEvent,
    TextReceived,
    continuable,
)
from llmconsole.core.errors import RateLimitError, ServerError
from llmconsole.core.events import (
    Completed,
    Failed,
    Incomplete,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    StreamEvent,
    TextDelta,
    Usage,
)
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.ratelimit import RateLimitInfo
from llmconsole.core.proxy.request import RequestInput

pytestmark = pytest.mark.anyio


def item_text(item: dict[str, Any]) -> str:
    """The text of one request input item (a user message with attachments: its ``input_text`` part)."""
    content = item["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") == "input_text")


MODEL = ModelInfo(id="m-1")


@dataclass
class ScriptedClient:
    """Streams scripted replies; records what each request carried."""

    scripts: list[list[StreamEvent] | Exception] = field(default_factory=list)
    sent: list[list[str]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    closed: int = 0

    async def stream_response(
        self,
        model: ModelInfo,
        request: RequestInput,
        *,
        reasoning_effort: str | None = None,
        system_prompt: str | None = None,
    ) -> AsyncIterator[StreamEvent]:
        self.sent.append([item_text(item) for item in request.items])
        script = self.scripts.pop(0) if self.scripts else [ResponseStarted(), TextDelta("ok"), Completed(Usage())]
        if isinstance(script, Exception):
            raise script
        try:
            for event in script:
                if self.gate is not None and isinstance(event, TextDelta) and event.text == "never":
                    await self.gate.wait()  # the stream stalls before this delta
                yield event
        finally:
            self.closed += 1


@dataclass
class Saver:
    log: list[tuple[str, Any]]
    reply: Message

    async def start(self) -> None:
        self.log.append(("start", self.reply.id))

    def append(self, delta: str) -> None:
        self.log.append(("text", delta))

    def append_reasoning(self, delta: str) -> None:
        self.log.append(("reasoning", delta))

    def finish(self, status: MessageStatus, usage: Usage | None = None, error: str | None = None) -> None:
        self.log.append(("finish", status))


@dataclass
class MemoryRecorder:
    """The recorder the console uses, reduced to a set of stored ids and a log."""

    stored: dict[str, Message] = field(default_factory=dict)
    log: list[tuple[str, Any]] = field(default_factory=list)

    def reply_saver(self, conversation: Conversation, reply: Message) -> Saver:
        for message in conversation.messages:
            self.stored[message.id] = message
        return Saver(self.log, reply)

    def record_turn(self, conversation: Conversation, reply: Message) -> None:
        for message in conversation.messages:  # what is not stored yet, up to the reply (as the console's)
            self.stored[message.id] = message
            if message is reply:
                break

    def new_conversation(self) -> None:
        self.log.append(("new", None))

    def adopt(self, conversation: Conversation, stored: list[Message] | None = None) -> None:
        self.stored = {m.id: m for m in (stored or conversation.messages)}

    def set_active(self, conversation: Conversation, leaf: Message) -> None:
        self.log.append(("active", leaf.text))

    def record(self, conversation: Conversation, message: Message) -> None:
        self.stored[message.id] = message

    def set_kind(self, conversation: Conversation, kind: str) -> None:
        self.log.append(("kind", kind))


def session(recorder: MemoryRecorder | None = None) -> ChatSession:
    ticks = iter(range(1_000_000))
    return ChatSession(clock=lambda: float(next(ticks)), recorder=recorder, system_prompt="be brief")


async def run_reply(chat: ChatSession, client: ScriptedClient) -> tuple[list[RunEvent], ReplyEnded]:
    run = chat.start_reply(client, MODEL)
    events = [event async for event in run.events()]
    end = events[-1]
    assert isinstance(end, ReplyEnded) and run.end is end
    assert chat.busy is None
    return events, end


async def test_a_reply_streams_into_typed_events_and_is_saved_while_it_streams() -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    client = ScriptedClient(
        [
            [
                ResponseStarted(cost=0.5),
                ReasoningDelta("think"),
                TextDelta("Hel"),
                TextDelta("lo"),
                Completed(Usage(5, 0, 2)),
            ]
        ]
    )
    chat.add_prompt("hi")
    events, end = await run_reply(chat, client)
    assert [type(e) for e in events] == [ReplyAccepted, ReasoningReceived, TextReceived, TextReceived, ReplyEnded]
    message = end.message
    assert (message.text, message.reasoning, message.status) == ("Hello", "think", "completed")
    assert message.usage is not None and message.usage.cost == 0.5  # the proxy's header cost
    assert message.ttft_s is not None and message.duration_s is not None
    assert recorder.log == [
        ("start", message.id),
        ("reasoning", "think"),
        ("text", "Hel"),
        ("text", "lo"),
        ("finish", "completed"),
    ]
    assert [m.role for m in chat.conversation.messages] == ["user", "assistant"]
    assert message.id in recorder.stored


async def test_truncated_and_failed_replies_end_with_their_status() -> None:
    chat = session()
    client = ScriptedClient(
        [
            [ResponseStarted(), TextDelta("part"), Incomplete("max_output_tokens", Usage(1, 0, 9))],
            [ResponseStarted(), TextDelta("half"), Failed(ServerError("upstream died", status=502), interrupted=True)],
        ]
    )
    chat.add_prompt("one")
    _, end = await run_reply(chat, client)
    assert end.message.status == "truncated" and end.max_output_tokens == 9
    chat.add_prompt("two")
    _, end = await run_reply(chat, client)
    assert end.message.status == "interrupted" and end.message.error == "upstream died"
    assert end.message in chat.conversation.messages  # its text stays


async def test_a_refusal_is_the_reply_and_ends_refused() -> None:
    chat = session()
    client = ScriptedClient([[ResponseStarted(), RefusalDelta("I can't help."), Completed(Usage(), refused=True)]])
    chat.add_prompt("bad idea")
    events, end = await run_reply(chat, client)
    assert TextReceived("I can't help.") in events
    assert (end.message.text, end.message.status) == ("I can't help.", "refused")


async def test_an_empty_failure_leaves_the_prompt_unanswered_and_the_next_prompt_follows_it() -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    client = ScriptedClient([ServerError("boom", status=500)])
    first = chat.add_prompt("first try")
    _, end = await run_reply(chat, client)
    assert end.pre_stream and end.message.status == "error" and end.outcome == "failed"
    assert chat.unanswered() is first
    assert chat.conversation.messages == [first, end.message]  # the failed reply stays, stored
    assert end.message.id in recorder.stored
    second = chat.add_prompt("second")
    assert second.parent_id == end.message.id
    await run_reply(chat, client)
    assert client.sent[-1] == ["first try", "second"]  # nothing deleted: the question goes along
    assert first.id in recorder.stored and end.message.id in recorder.stored
    assert chat.conversation.title == "first try"


async def test_retry_sends_the_unanswered_prompt_in_place() -> None:
    chat = session()
    client = ScriptedClient(
        [[ResponseStarted(), TextDelta("cut"), Failed(ServerError("x", status=500), interrupted=True)]]
    )
    prompt = chat.add_prompt("again")
    await run_reply(chat, client)
    assert chat.unanswered() is prompt
    assert chat.rewind_to_unanswered() is prompt
    _, end = await run_reply(chat, client)
    assert end.message.text == "ok"
    assert client.sent[-1] == ["again"]  # the failed reply was not sent back
    assert [m.text for m in chat.conversation.messages] == ["again", "ok"]
    assert chat.unanswered() is None and chat.rewind_to_unanswered() is None


async def test_automatic_resends_are_counted_per_prompt() -> None:
    chat = session()
    client = ScriptedClient([RateLimitError("slow down", status=429, info=RateLimitInfo())] * 4)
    chat.add_prompt("busy")
    for _ in range(3):
        _, end = await run_reply(chat, client)
        assert end.message.status == "rate_limited"
        assert chat.take_auto_resend()
        chat.rewind_to_unanswered()
    await run_reply(chat, client)
    assert not chat.take_auto_resend()  # three at most
    chat.add_prompt("new prompt")
    assert chat.auto_resends == 0


async def test_cancelling_the_consumer_keeps_the_text_and_closes_the_stream() -> None:
    chat = session()
    gate = asyncio.Event()
    client = ScriptedClient([[ResponseStarted(), TextDelta("partial"), TextDelta("never")]], gate=gate)
    chat.add_prompt("long")
    run = chat.start_reply(client, MODEL)
    seen: list[RunEvent] = []

    async def consume() -> None:
        async for event in run.events():
            seen.append(event)

    task = asyncio.create_task(consume())
    while not any(isinstance(e, TextReceived) for e in seen):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.end is not None and run.end.message.status == "cancelled"
    assert run.end.message.text == "partial"
    assert client.closed == 1
    assert run.cancel() is run.end  # idempotent


async def test_open_continues_a_stored_conversation_without_its_replaced_prompts() -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    conv = Conversation(system_prompt="stored prompt")
    a = conv.add_user("a")
    b = conv.add_user("b")
    r = Message(role="assistant", text="answer", status="completed")
    conv.messages.append(r)
    shown, unsent = chat.open(conv)
    assert shown == [a, b, r] and unsent == {a.id}
    assert chat.conversation.messages == [b, r]
    assert chat.system_prompt == "stored prompt"
    assert set(recorder.stored) == {a.id, b.id, r.id}


def test_continuable_keeps_what_the_live_rules_keep_and_mends_older_histories() -> None:
    a, b, c = Message("user", "a"), Message("user", "b"), Message("user", "c")
    failed = Message("assistant", "", status="error")
    cut = Message("assistant", "half", status="interrupted")
    good = Message("assistant", "done", status="completed")
    # Live: a failed reply stays and the next prompt follows it.
    assert continuable([a, failed, b, good]) == ([a, failed, b, good], set())
    # Older histories: a prompt replaced before its answer, and a retried failure, leave what is sent.
    kept, unsent = continuable([a, b, cut, good, c])
    assert kept == [b, good, c] and unsent == {a.id}


def test_the_session_module_imports_no_ui() -> None:
    import subprocess

    code = "import llmconsole.core.chat.session, sys; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert not [m for m in out if m.split(".")[0] in ("textual", "rich") or m.startswith("llmconsole.ui")]


async def test_edit_regenerate_and_switch_make_and_walk_sibling_branches() -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    client = ScriptedClient([[ResponseStarted(), TextDelta(t), Completed(Usage())] for t in ("a1", "a2", "b2", "c1")])
    q1 = chat.add_prompt("q1")
    await run_reply(chat, client)
    chat.add_prompt("q2")
    _, a2 = await run_reply(chat, client)
    # Regenerate a2 (another model may answer): a sibling reply; a2 stays in the tree.
    run = chat.regenerate(a2.message, client, ModelInfo(id="m-2"))
    events = [e async for e in run.events()]
    assert isinstance(events[-1], ReplyEnded)
    assert [m.text for m in chat.conversation.messages] == ["q1", "a1", "q2", "b2"]
    assert client.sent[-1] == ["q1", "a1", "q2"]  # the request carries the active path only
    assert a2.message in chat.conversation.others
    # Edit q1: a sibling prompt; the first branch stays whole.
    edited = chat.edit(q1, "q1 again")
    assert edited.parent_id is None
    await run_reply(chat, client)
    assert [m.text for m in chat.conversation.messages] == ["q1 again", "c1"]
    assert client.sent[-1] == ["q1 again"]
    # Switch back: the first branch with its newest reply.
    assert chat.switch(edited, -1) is q1
    assert [m.text for m in chat.conversation.messages] == ["q1", "a1", "q2", "b2"]
    assert recorder.log[-1] == ("active", "b2")
    assert chat.switch(chat.conversation.messages[-1], 1) is a2.message
    assert chat.conversation.messages[-1].text == "a2"
    assert chat.switch(chat.conversation.messages[1]) is None  # a1 has no sibling


async def test_a_search_hit_opens_on_its_branch() -> None:
    chat = session()
    conv = Conversation()
    q = conv.add_user("q")
    conv.messages.append(Message("assistant", "old answer", status="completed", parent_id=q.id))
    old = conv.messages[-1]
    conv.messages.pop()
    conv.others.append(old)
    conv.messages.append(Message("assistant", "new answer", status="completed", parent_id=q.id))
    shown, _ = chat.open(conv, focus=old.id)
    assert [m.text for m in shown] == ["q", "old answer"]
