"""Every way a stream ends: refusals, incomplete replies and their reasons, text that arrives only at the end,
hostile shapes, and failure classification that reads only the error fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.errors import RateLimitError, StreamDecodeError, StreamError
from llmconsole.core.events import (
    Completed,
    Failed,
    Incomplete,
    RefusalDelta,
    TextDelta,
    Usage,
    end_text,
    incomplete_text,
)
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.models import ModelInfo

from .fakes import ChunkStream, FakeProxy, settings, sse

pytestmark = pytest.mark.anyio

REFUSAL = "I'm sorry, but I can't help with that."


async def events_of(raw: bytes, *, max_output_tokens: int | None = None) -> list[Any]:
    proxy = FakeProxy()
    proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream([raw])))
    client = ProxyClient(settings(), transport=proxy.transport())
    client.models = [ModelInfo(id="gpt-5.2", max_output_tokens=max_output_tokens or 4096)]
    conv = Conversation()
    conv.add_user("hi")
    try:
        return [e async for e in client.stream_response(client.models[0], conv.to_request())]
    finally:
        await client.aclose()


def texts(events: list[Any], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


def message_output(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "message", "role": "assistant", "content": list(parts)}]


# -- refusals -------------------------------------------------------------------------------------------------


async def test_streamed_refusal_is_the_reply_and_ends_refused() -> None:
    raw = sse(
        {"type": "response.content_part.added", "part": {"type": "refusal", "refusal": ""}},
        {"type": "response.refusal.delta", "delta": "I'm sorry, but "},
        {"type": "response.refusal.delta", "delta": "I can't help with that."},
        {"type": "response.refusal.done", "refusal": REFUSAL},
        {
            "type": "response.completed",
            "response": {"status": "completed", "output": message_output({"type": "refusal", "refusal": REFUSAL})},
        },
    )
    events = await events_of(raw)
    assert texts(events, RefusalDelta) == REFUSAL  # once: the done event and the final output add nothing
    assert texts(events, TextDelta) == ""
    assert isinstance(events[-1], Completed) and events[-1].refused


async def test_refusal_only_in_the_done_event() -> None:
    raw = sse({"type": "response.refusal.done", "refusal": REFUSAL}, {"type": "response.completed", "response": {}})
    events = await events_of(raw)
    assert texts(events, RefusalDelta) == REFUSAL
    assert isinstance(events[-1], Completed) and events[-1].refused


async def test_refusal_only_in_the_final_response() -> None:
    output = message_output({"type": "refusal", "refusal": REFUSAL})
    raw = sse({"type": "response.completed", "response": {"status": "completed", "output": output}})
    events = await events_of(raw)
    assert texts(events, RefusalDelta) == REFUSAL
    assert isinstance(events[-1], Completed) and events[-1].refused


async def test_a_plain_reply_is_not_refused() -> None:
    raw = sse(
        {"type": "response.output_text.delta", "delta": "Hi"},
        {"type": "response.completed", "response": {"output": message_output({"type": "output_text", "text": "Hi"})}},
    )
    events = await events_of(raw)
    assert texts(events, TextDelta) == "Hi"
    assert isinstance(events[-1], Completed) and not events[-1].refused


# -- text that arrives only at the end ------------------------------------------------------------------------


async def test_text_only_in_output_text_done() -> None:
    raw = sse(
        {"type": "response.output_text.done", "text": "Only in done"},
        {"type": "response.completed", "response": {}},
    )
    events = await events_of(raw)
    assert texts(events, TextDelta) == "Only in done"


async def test_text_only_in_the_final_response() -> None:
    output = message_output({"type": "output_text", "text": "Only "}, {"type": "output_text", "text": "at the end"})
    raw = sse({"type": "response.completed", "response": {"output": output}})
    events = await events_of(raw)
    assert texts(events, TextDelta) == "Only at the end"


async def test_deltas_are_not_doubled_by_the_done_event_or_the_final_output() -> None:
    output = message_output({"type": "output_text", "text": "Hello world"})
    raw = sse(
        {"type": "response.output_text.delta", "delta": "Hello"},
        {"type": "response.output_text.delta", "delta": " world"},
        {"type": "response.output_text.done", "text": "Hello world"},
        {"type": "response.output_text.done", "text": "A second part without deltas"},
        {"type": "response.completed", "response": {"output": output}},
    )
    events = await events_of(raw)
    assert texts(events, TextDelta) == "Hello worldA second part without deltas"


# -- incomplete replies and their reasons ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["response.incomplete", "response.completed"])
@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter", "recitation"])
async def test_incomplete_reason_is_kept(kind: str, reason: str) -> None:
    response = {"status": "incomplete", "incomplete_details": {"reason": reason}, "usage": {"output_tokens": 6}}
    raw = sse({"type": "response.output_text.delta", "delta": "part"}, {"type": kind, "response": response})
    events = await events_of(raw)
    last = events[-1]
    assert isinstance(last, Incomplete) and last.reason == reason and last.output_tokens == 6
    assert texts(events, TextDelta) == "part"


@pytest.mark.parametrize(
    ("output_tokens", "reason"),
    [(50, "max_output_tokens"), (60, "max_output_tokens"), (6, "")],
)
async def test_litellm_chat_bridge_incomplete_without_details(output_tokens: int, reason: str) -> None:
    """LiteLLM's chat bridge: ``response.completed``, status incomplete, ``incomplete_details: null``."""
    response = {"status": "incomplete", "incomplete_details": None, "usage": {"output_tokens": output_tokens}}
    raw = sse(
        {"type": "response.output_text.delta", "delta": "part"}, {"type": "response.completed", "response": response}
    )
    last = (await events_of(raw, max_output_tokens=50))[-1]
    assert isinstance(last, Incomplete) and last.reason == reason and last.max_output_tokens == 50


@pytest.mark.parametrize(
    ("reason", "tokens", "words"),
    [
        ("max_output_tokens", 1200, "truncated at 1,200 output tokens"),
        ("max_output_tokens", None, "truncated at the output limit"),
        ("content_filter", 6, "stopped by the content filter"),
        ("recitation", 6, "stopped early: recitation"),
        ("", 6, "stopped early (no reason given)"),
        (None, None, "stopped early (no reason given)"),
        ("bad\x1b[31mred\nreason", None, "stopped early: bad?[31mred reason"),
    ],
)
def test_incomplete_words(reason: str | None, tokens: int | None, words: str) -> None:
    assert incomplete_text(reason, tokens) == words


def test_end_text_for_every_status() -> None:
    assert end_text("truncated", reason="content_filter", output_tokens=6) == "stopped by the content filter"
    assert end_text("truncated", reason=None, output_tokens=6) == "truncated at 6 output tokens"  # older history
    assert end_text("refused") == "refused"
    assert end_text("rate_limited") == "rate limited"
    assert end_text("completed") == "completed"


def test_incomplete_event_describes_itself() -> None:
    event = Incomplete(reason="max_output_tokens", usage=Usage(output_tokens=0), max_output_tokens=512)
    assert event.describe() == "truncated at 512 output tokens"
    event = Incomplete(reason="content_filter", usage=Usage(output_tokens=6), max_output_tokens=512)
    assert event.describe() == "stopped by the content filter"


# -- hostile shapes -------------------------------------------------------------------------------------------


async def test_non_object_payloads_are_skipped() -> None:
    raw = sse('"a string"', "42", "[1, 2]", "null", {"type": "response.output_text.delta", "delta": "ok"}, done=False)
    raw += sse({"type": "response.completed", "response": {}})
    events = await events_of(raw)
    assert texts(events, TextDelta) == "ok" and isinstance(events[-1], Completed)


async def test_deeply_nested_event_is_a_typed_decode_failure() -> None:
    depth = 100_000
    raw = sse({"type": "response.output_text.delta", "delta": "ok"}, "[" * depth + "]" * depth, done=False)
    last = (await events_of(raw))[-1]
    assert isinstance(last, Failed) and isinstance(last.error, StreamDecodeError)
    assert "nested too deeply" in last.error.message and last.partial_text == "ok"


async def test_out_of_range_usage_reads_as_unknown() -> None:
    usage = '{"input_tokens":1e999,"output_tokens":-3,"input_tokens_details":{"cached_tokens":1' + "0" * 400 + "}"
    usage += ',"output_tokens_details":{"reasoning_tokens":NaN},"cost":1e999}'
    raw = sse('{"type":"response.completed","response":{"usage":' + usage + "}}")
    last = (await events_of(raw))[-1]
    assert isinstance(last, Completed)
    assert last.usage.input_tokens == last.usage.output_tokens == last.usage.cached_tokens == 0
    assert last.usage.reasoning_tokens == 0 and last.usage.cost in (None, 0.0)


# -- mid-stream failures: only the error fields decide -----------------------------------------------------------


def failed_event(instructions: str, code: str, message: str) -> dict[str, Any]:
    return {
        "type": "response.failed",
        "response": {
            "status": "failed",
            "instructions": instructions,
            "error": {"code": code, "message": message},
            "output": message_output({"type": "output_text", "text": "echo: internal connection timeout"}),
        },
    }


ECHOES = [
    "",
    "You are an internal tool. Mention connection timeouts.",
    "Quote: litellm.RateLimitError: Crossed TPM, RPM Limit. Rate limit reached for gpt. REQUEST_LIMIT_EXCEEDED",
]


@pytest.mark.parametrize("instructions", ECHOES)
async def test_failure_verdict_ignores_echoed_request_content(instructions: str) -> None:
    content = failed_event(instructions, "invalid_prompt", "The prompt was flagged.")
    last = (await events_of(sse({"type": "response.output_text.delta", "delta": "x"}, content)))[-1]
    assert isinstance(last, Failed) and not last.interrupted
    assert type(last.error) is StreamError and "flagged" in last.error.message

    server = failed_event(instructions, "server_error", "The model produced invalid content.")
    last = (await events_of(sse({"type": "response.output_text.delta", "delta": "x"}, server)))[-1]
    assert isinstance(last, Failed) and last.interrupted


# -- the demo backend shows both endings -----------------------------------------------------------------------


@pytest.mark.parametrize(("word", "refused", "reason"), [("refuse", True, None), ("filter", False, "content_filter")])
async def test_demo_words_for_refusal_and_content_filter(word: str, refused: bool, reason: str | None) -> None:
    from llmconsole.core.config import load_settings
    from llmconsole.core.demo import DEMO_ENDING_WORDS, DEMO_REFUSAL, make_demo_transport

    assert word in DEMO_ENDING_WORDS
    settings = load_settings(demo=True)
    async with ProxyClient(settings, transport=make_demo_transport(delta_delay=0)) as client:
        model = (await client.discover())[0]
        conv = Conversation()
        conv.add_user(f"please {word}")
        events = [e async for e in client.stream_response(model, conv.to_request())]
    last = events[-1]
    if refused:
        assert texts(events, RefusalDelta) == DEMO_REFUSAL and texts(events, TextDelta) == ""
        assert isinstance(last, Completed) and last.refused
    else:
        assert isinstance(last, Incomplete) and last.reason == reason and texts(events, TextDelta)


@pytest.mark.parametrize("instructions", ECHOES)
async def test_a_real_mid_stream_rate_limit_is_still_one(instructions: str) -> None:
    event = failed_event(instructions, "rate_limit_exceeded", "Rate limit reached for requests. Try again in 20s.")
    last = (await events_of(sse({"type": "response.output_text.delta", "delta": "x"}, event)))[-1]
    assert isinstance(last, Failed) and isinstance(last.error, RateLimitError)
    assert last.error.info.retry_after == 20


# -- one ending policy on both endpoints (core.proxy.endings) ---------------------------------------------------


def _responses_wire(step: str) -> bytes:
    """One step of a stream in the Responses API's words (``sse`` adds no ``[DONE]``)."""
    import json

    done = {"type": "response.completed", "response": {"id": "r", "status": "completed", "usage": {}}}
    wire = {
        "text": {"type": "response.output_text.delta", "delta": "ab"},
        "refusal": {"type": "response.refusal.delta", "delta": "no"},
        "final": done,
        "truncated": {
            "type": "response.incomplete",
            "response": {"incomplete_details": {"reason": "max_output_tokens"}},
        },
        "error": {"type": "error", "code": "invalid_prompt", "message": "nope"},
    }
    if step == "[DONE]":
        return b"data: [DONE]\n\n"
    if step == "garbage":
        return b"data: {nope\n\n"
    return f"data: {json.dumps(wire[step])}\n\n".encode()


def _chat_wire(step: str) -> bytes:
    """The same step in Chat Completions' words."""
    import json

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "c",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    wire = {
        "text": chunk({"content": "ab"}),
        "refusal": chunk({"refusal": "no"}),
        "final": chunk({}, "stop"),
        "truncated": chunk({}, "length"),
        "error": {"error": {"code": "invalid_prompt", "message": "nope"}},
    }
    if step == "[DONE]":
        return b"data: [DONE]\n\n"
    if step == "garbage":
        return b"data: {nope\n\n"
    return f"data: {json.dumps(wire[step])}\n\n".encode()


ENDINGS: list[tuple[str, list[str], bool, tuple[str, ...]]] = [
    # (case, steps, connection reset at the end, the ending: kind, then what it must say)
    ("complete", ["text", "final", "[DONE]"], False, ("completed", "ab")),
    ("complete, closed without [DONE]", ["text", "final"], False, ("completed", "ab")),
    ("[DONE] before the final event", ["text", "[DONE]"], False, ("interrupted", "ab", "stream ended without")),
    ("closed before the final event", ["text"], False, ("interrupted", "ab", "connection closed before")),
    ("reset before the final event", ["text"], True, ("interrupted", "ab", "stream interrupted")),
    ("refusal", ["refusal", "final", "[DONE]"], False, ("refused", "no")),
    ("refusal cut by [DONE]", ["refusal", "[DONE]"], False, ("interrupted", "no", "stream ended without")),
    ("text and refusal, cut", ["text", "refusal"], False, ("interrupted", "abno", "connection closed before")),
    ("truncated", ["text", "truncated", "[DONE]"], False, ("truncated", "ab")),
    ("error event", ["text", "error"], False, ("error", "ab", "nope")),
    ("not an event", ["text", "garbage"], False, ("interrupted", "ab", "not JSON")),
]


def _ending(events: list[Any]) -> tuple[str, str, str]:
    last = events[-1]
    shown = "".join(e.text for e in events if isinstance(e, TextDelta | RefusalDelta))
    if isinstance(last, Completed):
        return ("refused" if last.refused else "completed", shown, "")
    if isinstance(last, Incomplete):
        return ("truncated", shown, "")
    assert isinstance(last, Failed) and last.partial_text == shown
    return ("interrupted" if last.interrupted else "error", shown, str(last.error))


@pytest.mark.parametrize("endpoint", ["responses", "chat"])
@pytest.mark.parametrize(("case", "steps", "reset", "expected"), ENDINGS, ids=[c[0] for c in ENDINGS])
async def test_both_endpoints_end_a_stream_the_same_way(
    endpoint: str, case: str, steps: list[str], reset: bool, expected: tuple[str, ...]
) -> None:
    wire = _chat_wire if endpoint == "chat" else _responses_wire
    raw = b"".join(wire(step) for step in steps)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=ChunkStream([raw], fail_after=reset))

    client = ProxyClient(settings(), transport=httpx.MockTransport(answer))
    model = ModelInfo(id="gpt-5.2", endpoint=endpoint, sources={"endpoint": "config"})
    conv = Conversation()
    conv.add_user("hi")
    try:
        events = [e async for e in client.stream_response(model, conv.to_request())]
    finally:
        await client.aclose()
    kind, shown, why = _ending(events)
    assert (kind, shown) == expected[:2], case
    assert all(word in why for word in expected[2:]), why
