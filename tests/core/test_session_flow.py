"""Sending never deletes: every failure kind x every way of sending x a following prompt, the busy state,
compaction, retries and the automatic resend's policy (``core.chat.session``, without any UI)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmconsole.core.chat.compact import SUMMARY_PROMPT
from llmconsole.core.chat.conversation import Conversation, Message
from llmconsole.core.chat.resend import MAX_AUTO_RESENDS, ResendCountdown
from llmconsole.core.chat.session import ChatSession, ReplyEnded, ReplyRun, TextReceived
from llmconsole.core.chat.tree import Tree
from llmconsole.core.errors import BudgetError, ContextOverflowError, ProxyConnectionError, RateLimitError, ServerError
from llmconsole.core.events import Completed, Failed, ResponseStarted, StreamEvent, TextDelta, Usage
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.ratelimit import RateLimitInfo
from tests.core.test_session import MODEL, MemoryRecorder, ScriptedClient, run_reply, session

pytestmark = pytest.mark.anyio

FAILURES: dict[str, list[StreamEvent] | Exception | None] = {
    "429": RateLimitError("slow down", status=429, info=RateLimitInfo(retry_after=5)),
    "dropped connection": ProxyConnectionError("Cannot reach the proxy: connection reset"),
    "http error": ServerError("HTTP 500: upstream failed", status=500),
    "cut stream": [
        ResponseStarted(),
        TextDelta("partial"),
        Failed(ServerError("stream cut", status=502), interrupted=True),
    ],
    "cancel": None,  # cancelled by the person after "partial" arrived
}
"""How a reply can fail; the cut stream and the cancel keep the text that arrived (``partial``)."""
KEEPS_TEXT = {"cut stream", "cancel"}


def comparison() -> tuple[Conversation, Message, Message]:
    """A comparison as compare mode keeps it: one prompt, each model's answer beside the others."""
    conv = Conversation(system_prompt="sys")
    user = conv.add_user("q1")
    chosen = Message("assistant", "a1", model="m-1", status="completed", parent_id=user.id)
    other = Message("assistant", "b1", model="m-2", status="completed", parent_id=user.id)
    conv.others += [chosen, other]
    return conv, chosen, other


def ok(text: str) -> list[StreamEvent]:
    return [ResponseStarted(), TextDelta(text), Completed(Usage())]


async def fail(chat: ChatSession, client: ScriptedClient, run: ReplyRun, kind: str) -> ReplyEnded:
    """Consume ``run`` as a failure of ``kind``."""
    script = FAILURES[kind]
    if script is not None:
        client.scripts.insert(0, script)
        events = [e async for e in run.events()]
        end = events[-1]
        assert isinstance(end, ReplyEnded)
        return end
    client.scripts.insert(0, [ResponseStarted(), TextDelta("partial"), TextDelta("never")])
    client.gate = asyncio.Event()
    seen: list[Any] = []

    async def consume() -> None:
        async for event in run.events():
            seen.append(event)

    task = asyncio.create_task(consume())
    while not any(isinstance(e, TextReceived) for e in seen):
        await asyncio.sleep(0)
    assert chat.busy == "reply"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    client.gate = None
    assert run.end is not None
    return run.end


async def start(chat: ChatSession, client: ScriptedClient, how: str) -> tuple[ReplyRun, list[str]]:
    """A conversation of one good turn (q1 → a1), then a reply started by ``how``; returns the run and
    what the good state before the failed reply carried (to which the following prompt is added)."""
    client.scripts += [ok("a1")]
    if how == "compare-continue":
        compared, chosen, _ = comparison()
        chat.continue_compare(compared, chosen)
    else:
        chat.add_prompt("q1")
        await run_reply(chat, client)
    path = chat.conversation.messages
    if how in ("send", "compare-continue"):
        chat.submit("q2")
        return chat.start_reply(client, MODEL), ["q1", "a1", "q2"]
    if how == "regenerate":
        return chat.regenerate(path[1], client, MODEL), ["q1", "a1"]
    assert how == "edit"
    assert chat.start_edit(path[0]) is None
    submitted = chat.submit("q1 edited")
    assert submitted.reshow and submitted.message.parent_id is None
    return chat.start_reply(client, MODEL), ["q1 edited"]


@pytest.mark.parametrize("kind", list(FAILURES))
@pytest.mark.parametrize("how", ["send", "regenerate", "edit", "compare-continue"])
async def test_a_failure_deletes_nothing_and_the_next_prompt_continues_from_the_last_good_state(
    how: str, kind: str
) -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    client = ScriptedClient()
    run, good = await start(chat, client, how)
    end = await fail(chat, client, run, kind)
    assert chat.busy is None
    failed = end.message
    assert failed.status in ("rate_limited", "error", "interrupted", "cancelled")
    assert (failed.text == "partial") == (kind in KEEPS_TEXT)
    assert end.outcome == {"429": "rate_limited", "cancel": "cancelled"}.get(kind, "failed")
    before = Tree.of(chat.conversation).messages
    # The following prompt.
    client.scripts.append(ok("a-next"))
    submitted = chat.submit("next")
    # A regeneration that failed with no text gives way to the answer it was to replace.
    assert submitted.reshow == (how == "regenerate" and kind not in KEEPS_TEXT)
    await run_reply(chat, client)
    expected = good if kind not in KEEPS_TEXT else ["q1", "partial"] if how == "regenerate" else [*good, "partial"]
    assert client.sent[-1] == [*expected, "next"]
    # Nothing is deleted: every message of the tree before the prompt is still in it, and stored.
    tree = Tree.of(chat.conversation)
    assert set(map(id, before)) <= set(map(id, tree.messages))
    assert all(m.id in recorder.stored for m in tree.messages)
    assert failed in tree.messages and failed.id in recorder.stored
    # The failed attempt is reachable: on the path, or a sibling of the answer beside it.
    assert failed in chat.conversation.messages or failed in tree.siblings(chat.conversation.messages[1])


async def test_busy_while_a_reply_streams_and_while_a_compaction_runs() -> None:
    chat = session()
    assert chat.busy is None and chat.busy_line() is None
    gate = asyncio.Event()
    client = ScriptedClient([[ResponseStarted(), TextDelta("never")]], gate=gate)
    chat.add_prompt("q")
    run = chat.start_reply(client, MODEL)
    assert chat.busy == "reply"
    line = chat.busy_line()
    assert line is not None and "waits" in line and "\n" not in line
    # A run whose consumer never started is ended by cancel_reply (Escape), keeping the session usable.
    end = chat.cancel_reply()
    assert end is not None and end.message.status == "cancelled" and run.end is end
    assert chat.busy is None and chat.cancel_reply() is None


class SlowSummariser:
    """Streams a summary once ``gate`` is set; records what it was asked."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.asked = 0

    async def stream_response(
        self, model: ModelInfo, conversation: Conversation, **kwargs: Any
    ) -> AsyncIterator[StreamEvent]:
        self.asked += 1
        await self.gate.wait()
        yield ResponseStarted()
        yield TextDelta("the summary")
        yield Completed(Usage(100, 0, 10))


async def turns(chat: ChatSession, count: int) -> None:
    client = ScriptedClient([ok(f"a{i}") for i in range(count)])
    for i in range(count):
        chat.add_prompt(f"q{i} " + "words " * 50)
        await run_reply(chat, client)


async def test_a_prompt_waits_while_a_compaction_runs_and_then_follows_the_summary() -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    await turns(chat, 4)
    summariser = SlowSummariser()
    task = asyncio.create_task(chat.compact(summariser, MODEL))
    while not summariser.asked:
        await asyncio.sleep(0)
    assert chat.busy == "compaction" and "compacted" in (chat.busy_line() or "")
    summariser.gate.set()
    done = await task
    assert done is not None and chat.busy is None
    chat.add_prompt("after")
    path = chat.conversation.messages
    assert [m.text for m in path[:2]] == [SUMMARY_PROMPT, "the summary"]
    assert path[-1].text == "after" and all(m.id in recorder.stored for m in path[:-1])


async def test_a_compaction_is_saved_into_its_conversation_after_ctrl_n() -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    await turns(chat, 4)
    compacted = chat.conversation
    summariser = SlowSummariser()
    task = asyncio.create_task(chat.compact(summariser, MODEL))
    while not summariser.asked:
        await asyncio.sleep(0)
    chat.new_conversation()
    assert chat.busy is None  # the new conversation is not busy
    summariser.gate.set()
    done = await task
    assert done is not None
    assert chat.conversation is not compacted and chat.conversation.messages == []
    assert any("the summary" in m.text for m in compacted.messages)
    assert all(m.id in recorder.stored for m in compacted.messages)  # the summary paid for is kept
    assert recorder.log[-1] == ("active", compacted.messages[-1].text)


async def test_retry_in_place_keeps_the_failed_reply_as_a_sibling() -> None:
    chat = session()
    client = ScriptedClient([ServerError("boom", status=500), ok("fine")])
    prompt = chat.add_prompt("q")
    _, failed = await run_reply(chat, client)
    plan = chat.retry()
    assert plan.kind == "in_place" and plan.prompt is prompt
    _, end = await run_reply(chat, client)
    assert [m.text for m in chat.conversation.messages] == ["q", "fine"]
    assert Tree.of(chat.conversation).siblings(end.message) == [failed.message, end.message]
    again = chat.retry()
    assert again.kind == "again" and again.prompt is prompt
    assert session().retry().kind == "nothing"


async def test_the_countdown_resends_at_zero_at_most_three_times_and_never_while_busy() -> None:
    chat = session()
    client = ScriptedClient([RateLimitError("slow", status=429, info=RateLimitInfo(retry_after=5))] * 5)
    chat.add_prompt("q")
    await run_reply(chat, client)
    for done in range(MAX_AUTO_RESENDS):
        countdown = ResendCountdown.start("m-1", RateLimitInfo(retry_after=5), 100.0, resends_done=done)
        assert countdown.pending
        assert chat.resend_step(countdown, 104.9) == "wait"
        assert chat.resend_step(countdown, 105.0) == "resend"
        assert countdown.fired and not countdown.pending and chat.resend_step(countdown, 106) == "wait"
        assert chat.retry().kind == "in_place"
        await run_reply(chat, client)
    countdown = ResendCountdown.start("m-1", RateLimitInfo(retry_after=5), 0.0, resends_done=MAX_AUTO_RESENDS)
    assert not countdown.pending and chat.resend_step(countdown, 10) == "stopped"
    # Busy: no resend (the countdown is spent, nothing is sent twice).
    chat.add_prompt("other")
    gate = asyncio.Event()
    client.scripts.insert(0, [ResponseStarted(), TextDelta("never")])
    client.gate = gate
    chat.start_reply(client, MODEL)
    countdown = ResendCountdown.start("m-1", RateLimitInfo(retry_after=5), 0.0)
    assert chat.resend_step(countdown, 10) == "stopped"
    chat.cancel_reply()
    # Cancelled (ctrl+x): no resend.
    countdown = ResendCountdown.start("m-1", RateLimitInfo(retry_after=5), 0.0)
    countdown.auto_resend = False
    assert chat.resend_step(countdown, 10) == "stopped"


async def test_what_an_end_means_overflow_and_budget() -> None:
    chat = session()
    client = ScriptedClient([ContextOverflowError("too long", status=400), BudgetError("Budget spent", status=400)])
    chat.add_prompt("q")
    _, end = await run_reply(chat, client)
    assert end.outcome == "overflow"  # the overflow offer, then a retry in place
    _, end = await run_reply(chat, client)
    assert end.outcome == "budget"  # no countdown, no resend


async def test_editing_an_unanswered_prompt_makes_a_sibling_and_keeps_it() -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    client = ScriptedClient([ServerError("boom", status=500), ok("yes")])
    first = chat.add_prompt("frist")
    _, failed = await run_reply(chat, client)
    assert chat.start_edit(failed.message) is not None  # a reply cannot be edited
    assert chat.start_edit(first) is None and chat.editing is first
    submitted = chat.submit("first")
    assert submitted.reshow and chat.editing is None
    await run_reply(chat, client)
    assert client.sent[-1] == ["first"]
    assert Tree.of(chat.conversation).siblings(submitted.message) == [first, submitted.message]
    assert first.id in recorder.stored and failed.message.id in recorder.stored
    assert chat.cancel_edit() is False


async def test_continuing_a_compared_answer_continues_that_conversation() -> None:
    recorder = MemoryRecorder()
    chat = session(recorder)
    compared, chosen, other = comparison()
    user, reply = chat.continue_compare(compared, chosen)
    assert chat.conversation is compared and reply is chosen and user is compared.messages[0]
    assert [m.text for m in compared.messages] == ["q1", "a1"] and compared.others == [other]
    assert sorted(m.text for m in Tree.of(compared).siblings(reply)) == ["a1", "b1"]
    assert {user.id, reply.id, other.id} <= set(recorder.stored)
    assert ("kind", "chat") in recorder.log and recorder.log[-1] == ("active", "a1")
    assert compared.model == "m-1" and chat.system_prompt == "sys"


def test_room_choices_offer_only_what_can_help() -> None:
    from llmconsole.core.chat.compact import room_choices

    model = ModelInfo(id="small", context_window=2_000, max_output_tokens=500)  # 1,500 tokens for the input
    small, big = "hi", "y " * 4_000  # ~2,000 tokens alone: nothing older is in the way
    q1, a1 = Message("user", "q1"), Message("assistant", "a1", status="completed")
    q2, a2 = Message("user", "q2"), Message("assistant", "a2", status="completed")
    assert room_choices([], model, None, prompt=big) == frozenset()  # a first prompt too big alone
    assert room_choices([q1, a1, q2, a2], model, None, prompt=big) == frozenset()
    assert room_choices([q1, a1], model, None, prompt=small) == {"drop"}  # one turn: nothing older to summarise
    assert room_choices([q1, a1, q2, a2], model, None, prompt=small) == {"compact", "drop"}
    assert room_choices([q1, a1], model, "x " * 3_000, prompt=small) == frozenset()  # the system prompt alone


async def test_room_choices_after_a_refused_prompt_look_at_that_prompt() -> None:
    chat = session()
    model = ModelInfo(id="small", context_window=2_000, max_output_tokens=500)
    client = ScriptedClient([ContextOverflowError("too long", status=400)])
    chat.add_prompt("y " * 4_000)
    _, end = await run_reply(chat, client)
    assert end.outcome == "overflow" and chat.room_choices(model) == frozenset()
