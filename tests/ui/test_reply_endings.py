"""The console shows how each reply ended: a refusal is the reply (marked refused), a truncation says why,
and no reply stays "streaming" after its worker ended, whatever ended it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.demo import make_demo_transport
from llmconsole.core.events import Usage
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.store.history import AsyncHistory, HistoryStore
from llmconsole.ui.app import make_app

from .helpers import FakeClock, demo_app, demo_settings, send, wait_ready

pytestmark = pytest.mark.anyio

SIZE = (120, 36)
REFUSAL = "I'm sorry, but I can't help with that."


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes], error: Exception | None) -> None:
        self.chunks, self.error = chunks, error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error


class ScriptedStream(httpx.AsyncBaseTransport):
    """The demo proxy, except that every ``POST /v1/responses`` streams these events (then maybe raises)."""

    def __init__(self, *events: dict[str, Any], error: Exception | None = None) -> None:
        self.demo = make_demo_transport(delta_delay=0)
        self.chunks = [f"data: {json.dumps(e)}\n\n".encode() for e in events]
        self.error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/responses"):
            stream = _Chunks(self.chunks, self.error)
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)
        return await self.demo.handle_async_request(request)


def incomplete(reason: str | None, output_tokens: int) -> dict[str, Any]:
    details = {"reason": reason} if reason else None
    response = {"status": "incomplete", "incomplete_details": details, "usage": {"output_tokens": output_tokens}}
    return {"type": "response.incomplete", "response": response}


async def test_refusal_is_shown_as_the_reply_and_marked_refused() -> None:
    transport = ScriptedStream(
        {"type": "response.refusal.delta", "delta": "I'm sorry, but "},
        {"type": "response.refusal.delta", "delta": "I can't help with that."},
        {"type": "response.completed", "response": {"status": "completed", "usage": {"output_tokens": 9}}},
    )
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "something forbidden")
        reply = main.pane.replies[0]
        assert reply.message.status == "refused"
        assert reply.message.text == REFUSAL and reply.text == REFUSAL
        assert str(reply.telemetry.render()).endswith("· refused")
        assert reply.has_class("-caveat") and not reply.has_class("-failed")
        assert "last reply refused" in main.status_bar.plain
        assert reply.message in main.conversation.messages  # kept: it is the answer


async def test_content_filter_says_so_everywhere_in_the_console() -> None:
    transport = ScriptedStream(
        {"type": "response.output_text.delta", "delta": "Part of"}, incomplete("content_filter", 6)
    )
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "tell me")
        reply = main.pane.replies[0]
        assert (reply.message.status, reply.message.end_reason) == ("truncated", "content_filter")
        telemetry = str(reply.telemetry.render())
        assert telemetry.endswith("· stopped by the content filter") and "6 output tokens" not in telemetry
        assert "last reply stopped by the content filter" in main.status_bar.plain
        assert reply.text == "Part of"
        await pilot.press("ctrl+n")  # a new conversation: the last reply's ending no longer applies
        await pilot.pause()
        assert "last reply" not in main.status_bar.plain


async def test_other_reasons_are_named_and_a_missing_one_is_said() -> None:
    for reason, words in (("recitation", "stopped early: recitation"), (None, "stopped early (no reason given)")):
        app = demo_app(ScriptedStream({"type": "response.output_text.delta", "delta": "x"}, incomplete(reason, 3)))
        async with app.run_test(size=SIZE) as pilot:
            main = await wait_ready(pilot, app)
            await send(pilot, app, "go")
            assert str(main.pane.replies[0].telemetry.render()).endswith(f"· {words}")
            assert f"last reply {words}" in main.status_bar.plain


async def test_text_that_only_arrives_at_the_end_is_shown() -> None:
    output = [{"type": "message", "content": [{"type": "output_text", "text": "All at once"}]}]
    app = demo_app(ScriptedStream({"type": "response.completed", "response": {"output": output}}))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "go")
        reply = main.pane.replies[0]
        assert (reply.message.status, reply.text) == ("completed", "All at once")
        assert "last reply" not in main.status_bar.plain


async def test_an_unexpected_exception_in_the_stream_ends_the_reply_as_an_error() -> None:
    transport = ScriptedStream({"type": "response.output_text.delta", "delta": "half"}, error=RuntimeError("bug"))
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "go")
        reply = main.pane.replies[0]
        assert reply.message.status == "error"
        assert reply.message.error is not None and "RuntimeError" in reply.message.error
        assert reply.text == "half" and reply.has_class("-failed")
        assert not main.pane.streaming and app.is_running
        assert "streaming" not in main.status_bar.plain


async def test_an_unreadable_image_keeps_the_prompt_and_sends_nothing(tmp_path: Any) -> None:
    from .helpers import ScriptedDemo, type_text

    transport = ScriptedDemo()
    app = demo_app(transport)
    missing = tmp_path / "gone.png"
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        main.prompt.set_prompt(f"what is this @{missing}")
        await pilot.pause()
        await type_text(pilot, " ok")
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert transport.posts == []
        assert main.prompt.text == f"what is this @{missing} ok"
        assert main.pane.replies == []
        messages = [n.message for n in app._notifications]
        assert any(f"cannot attach {missing}: no such file" in m for m in messages), messages


async def test_an_opened_conversation_shows_how_its_last_reply_ended(tmp_path: Any) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    conv = Conversation(id="c" * 32)
    store.add_message(conv, conv.add_user("tell me"))
    reply = conv.add_assistant("demo-gpt-5")
    reply.text, reply.status, reply.end_reason = "Part of", "truncated", "content_filter"
    reply.usage = Usage(input_tokens=3, output_tokens=6)
    store.add_message(conv, reply)
    settings = demo_settings()
    client = ProxyClient(settings, transport=make_demo_transport(delta_delay=0))
    app = make_app(settings, client=client, history=AsyncHistory(store), clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert await app.open_conversation("last")
        await pilot.pause()
        shown = main.pane.replies[-1]
        assert str(shown.telemetry.render()).endswith("· stopped by the content filter")
        assert "last reply stopped by the content filter" in main.status_bar.plain
    store.close()
