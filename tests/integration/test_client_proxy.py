"""The core :class:`ProxyClient` against a real LiteLLM proxy: typed events, typed errors, filtering and learning."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.proxy.fake_upstream import RATELIMIT_HEADERS, Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, UPSTREAM_KEY, LiteLLMProxy

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import Settings
from llmconsole.core.errors import (
    AuthenticationError,
    NotFoundError,
    ProxyTimeoutError,
    RateLimitError,
    ServerError,
)
from llmconsole.core.events import (
    Completed,
    Failed,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    TextDelta,
)
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.params import LearnedParams
from llmconsole.core.secret import Secret

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

TEXT = "AAAABBBBCCCCDDDD"


def settings(proxy: LiteLLMProxy, key: str = MASTER_KEY, **kw: Any) -> Settings:
    return Settings(base_url=proxy.base_url, api_key=Secret(key), **kw)


@pytest.fixture
async def client(proxy: LiteLLMProxy, tmp_path: Path) -> AsyncIterator[ProxyClient]:
    async with ProxyClient(settings(proxy), learned=LearnedParams(tmp_path / "learned.json")) as c:
        with anyio.fail_after(20):
            await c.discover()
        yield c


async def stream(
    client: ProxyClient, model: ModelInfo | str, prompt: str = "Say hello", **kw: Any
) -> list[StreamEvent]:
    info = client.find_model(model) if isinstance(model, str) else model
    conversation = Conversation(model=info.id)
    conversation.add_user(prompt)
    with anyio.fail_after(20):
        return [e async for e in client.stream_response(info, conversation.to_request(), **kw)]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_native_stream_events_usage_and_quota(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.reply(TEXT, deltas=4, cached_tokens=3, headers=RATELIMIT_HEADERS))
    events = await stream(client, "gpt-5.2")
    assert isinstance(events[0], ResponseStarted) and isinstance(events[-1], Completed)
    assert text_of(events) == TEXT
    started, done = events[0], events[-1]
    assert started.quota is not None and started.quota.remaining_tokens == 84000
    assert done.usage.input_tokens > 0 and done.usage.output_tokens > 0 and done.usage.cached_tokens == 3
    assert done.usage.cost is not None and done.usage.cost > 0  # from /model/info prices (no cost in stream)


async def test_bridged_stream_with_reasoning(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("claude-opus-4-6", Behaviour.reply(TEXT, reasoning="Thinking hard."))
    events = await stream(client, "claude-opus-4-6", reasoning_effort="low")
    assert isinstance(events[-1], Completed) and text_of(events) == TEXT
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Thinking hard."
    assert events[-1].usage.cached_tokens == 0  # no input_tokens_details on the bridge: optional
    (sent,) = upstream.requests_for("claude-opus-4-6")
    assert sent.body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


@pytest.mark.parametrize("param", ["reasoning_summary", "prompt_cache_key"])
async def test_litellm_refusal_is_learned_when_discovery_got_it_wrong(
    client: ProxyClient, upstream: FakeUpstream, param: str
) -> None:
    """Claimed supported (e.g. a stale cache), refused by LiteLLM itself: dropped, retried once, remembered."""
    model = client.find_model("claude-opus-4-6")
    wrong = replace(model, params={**model.params, param: True})
    events = await stream(client, wrong, reasoning_effort="low")
    assert isinstance(events[-1], Completed) and text_of(events)
    assert isinstance(events[0], ResponseStarted) and param in events[0].dropped_params
    assert param in client.learned.rejected(client.proxy_key, "claude-opus-4-6")
    assert len(upstream.requests_for("claude-opus-4-6")) == 1  # the refused request never reached it
    assert param in LearnedParams(client.learned.path).rejected(client.proxy_key, "claude-opus-4-6")  # on disk


async def test_upstream_rejection_then_learned(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("acme-large", Behaviour.reject("prompt_cache_key", style="openai"))
    events = await stream(client, "acme-large")
    assert isinstance(events[-1], Completed)
    assert [("prompt_cache_key" in r.body) for r in upstream.requests_for("acme-large")] == [True, False]
    events = await stream(client, "acme-large")
    assert isinstance(events[-1], Completed)
    assert len(upstream.requests_for("acme-large")) == 3


async def test_rate_limit_is_typed_with_its_details(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("ratelimited-model", Behaviour.rate_limit(limit=1000, current=1200, retry_after=21))
    with pytest.raises(RateLimitError) as info:
        await stream(client, "ratelimited-model")
    rate = info.value.info
    assert (rate.limit_type, rate.limit, rate.current, rate.retry_after) == ("input_tokens_per_minute", 1000, 1200, 21)
    assert info.value.status == 429 and info.value.exit_code == 3


async def test_model_the_proxy_does_not_serve(client: ProxyClient, upstream: FakeUpstream) -> None:
    ghost = replace(client.find_model("acme-large"), id="no-such-model")
    with pytest.raises(NotFoundError) as info:
        await stream(client, ghost)
    assert info.value.status == 400 and "llmconsole --list-models" in info.value.message
    assert upstream.requests_for("no-such-model") == []


async def test_wrong_key(proxy: LiteLLMProxy) -> None:
    async with ProxyClient(settings(proxy, key="sk-wrong-key-0011223344")) as c:
        with anyio.fail_after(10), pytest.raises(AuthenticationError) as info:
            await c.discover()
    assert "OPENAI_API_KEY" in info.value.message and "sk-wrong" not in repr(info.value)


async def test_upstream_401_key_echo_is_redacted(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.unauthorized())
    with pytest.raises(AuthenticationError) as info:
        await stream(client, "gpt-5.2")
    error = info.value
    for text in (str(error), repr(error), error.body, *map(str, error.args)):
        assert UPSTREAM_KEY not in text and MASTER_KEY not in text


async def test_html_502_is_a_server_error(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.html_502())
    with pytest.raises(ServerError) as info:
        await stream(client, "gpt-5.2")
    assert info.value.message.startswith("HTTP 502: 502 Bad Gateway")


@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6"])
async def test_cut_is_an_interruption_with_the_partial_text(
    client: ProxyClient, upstream: FakeUpstream, model: str
) -> None:
    upstream.script(model, Behaviour.cut(after=2, reset=True, text=TEXT, deltas=4, delay=0.05))
    events = await stream(client, model)
    last = events[-1]
    assert isinstance(last, Failed) and last.interrupted and last.partial_text == "AAAABBBB"


async def test_stall_ends_at_the_idle_timeout(proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path) -> None:
    upstream.script("gpt-5.2", Behaviour.stall(after=2, timeout=30, text=TEXT, deltas=4))
    learned = LearnedParams(tmp_path / "learned.json")
    async with ProxyClient(settings(proxy, idle_timeout=1.0), learned=learned) as c:
        await c.discover()
        started = time.monotonic()
        events = await stream(c, "gpt-5.2")
        elapsed = time.monotonic() - started
    last = events[-1]
    assert isinstance(last, Failed) and last.interrupted and isinstance(last.error, ProxyTimeoutError)
    assert last.partial_text == "AAAABBBB" and elapsed >= 1.0  # not before the timeout (upper bound: fail_after)


async def test_cancelling_the_consumer_closes_at_once(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.stall(after=1, timeout=30, text=TEXT, deltas=4))
    model = client.find_model("gpt-5.2")
    conversation = Conversation(model=model.id)
    conversation.add_user("Say hello")
    with anyio.fail_after(10):
        gen = client.stream_response(model, conversation.to_request())
        async for event in gen:
            if isinstance(event, TextDelta):
                break
        started = time.monotonic()
        await gen.aclose()  # type: ignore[attr-defined]
        assert time.monotonic() - started < 0.5
        upstream.release()
        events = await stream(client, "claude-opus-4-6")  # the pooled client still works
    assert isinstance(events[-1], Completed)


@pytest.mark.parametrize("endpoint", ["responses", "chat"])
@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6"])
async def test_a_reply_that_explains_sse_arrives_whole(
    client: ProxyClient, upstream: FakeUpstream, model: str, endpoint: str
) -> None:
    """A reply whose text holds ``data: ``, ``event: ``, blank lines and CRLFs (the wire then carries a literal
    ``data: `` inside JSON) arrives as sent, on both endpoints (tests/core/test_sse.py splits it every way)."""
    from tests.data.make_sse_in_text import TEXT as SSE_TEXT

    upstream.script(model, Behaviour.reply(SSE_TEXT, deltas=24))
    info = replace(client.find_model(model), endpoint=endpoint, sources={"endpoint": "config"})
    events = await stream(client, info, "Explain SSE")
    assert text_of(events) == SSE_TEXT
    assert isinstance(events[-1], Completed)
