"""The console against the real LiteLLM proxy (issue 3): real keys through ``App.run_test``, the real
:class:`ProxyClient` over HTTP, the fake upstream scripted per test.

The client's transport is the real ``httpx.AsyncHTTPTransport`` wrapped to record whether each
``/v1/responses`` body was closed (the cancel test needs to see the HTTP response go away).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, LiteLLMProxy
from tests.ui.helpers import FakeClock, type_text, wait_ready, wait_until

from llmconsole.core.config import Settings
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.secret import Secret
from llmconsole.ui.app import LLMConsoleApp, make_app
from llmconsole.ui.screens.model_picker import ModelPickerModal
from llmconsole.ui.screens.rate_limit import RateLimitModal
from llmconsole.ui.widgets.prompt import PromptInput

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

SIZE = (120, 40)
CHAT_MODELS = {
    "gpt-5.2",
    "claude-opus-4-6",
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "gemini-2-5-pro",
    "acme-large",
    "gpt-balanced",
    "ratelimited-model",
}
"""Every chat model of the proxy's config (``text-embedding-3-small`` is not one)."""


class _TrackedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self.inner = inner
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True
        await self.inner.aclose()


class TrackingTransport(httpx.AsyncBaseTransport):
    """The real HTTP transport; remembers the body stream of every ``POST .../responses``."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.streams: list[_TrackedStream] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/responses"):
            assert isinstance(response.stream, httpx.AsyncByteStream)
            tracked = _TrackedStream(response.stream)
            self.streams.append(tracked)
            return httpx.Response(
                response.status_code, headers=response.headers, stream=tracked, extensions=response.extensions
            )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def proxy_app(
    proxy: LiteLLMProxy, *, clock: FakeClock | None = None, default_model: str = "gpt-5.2"
) -> tuple[LLMConsoleApp, TrackingTransport]:
    settings = Settings(
        base_url=proxy.base_url, api_key=Secret(MASTER_KEY), default_model=default_model, idle_timeout=30.0
    )
    transport = TrackingTransport()
    client = ProxyClient(settings, transport=transport)
    return make_app(settings, client=client, clock=clock or FakeClock()), transport


def option_text(app: LLMConsoleApp, model_id: str) -> str:
    main = app.main_screen
    assert main is not None
    prompt: Any = main.sidebar.option_list.get_option(model_id).prompt
    return str(getattr(prompt, "plain", prompt))


async def test_sidebar_lists_every_chat_model_with_badges(proxy: LiteLLMProxy) -> None:
    app, _ = proxy_app(proxy)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert set(main.sidebar.shown_ids) == CHAT_MODELS
        assert "text-embedding-3-small" not in main.sidebar.shown_ids
        gpt = option_text(app, "gpt-5.2")
        assert "think" in gpt and "img" in gpt and "272K" in gpt
        assert "1M" in option_text(app, "claude-opus-4-6")
        # two deployments behind one name (128K and 64K): the smaller context window wins
        assert option_text(app, "gpt-balanced").split() == ["gpt-balanced", "64K", "out", "4.1K"]
        assert main.model is not None and main.model.id == "gpt-5.2"
        assert main.status_bar.plain.startswith("gpt-5.2 think img 272K")
        assert app.sub_title.endswith("gpt-5.2") and f"127.0.0.1:{proxy.port}" in app.sub_title


async def test_ctrl_l_letters_enter_switches_model(proxy: LiteLLMProxy) -> None:
    app, _ = proxy_app(proxy)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        await type_text(pilot, "haiku")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.model is not None and main.model.id == "claude-haiku-4-5"
        assert main.status_bar.plain.startswith("claude-haiku-4-5")
        assert isinstance(app.focused, PromptInput)


async def test_prompt_streams_the_upstream_reply(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    text = "# Title\n\nThe proxy says **hello** in several deltas.\n"
    upstream.script("gpt-5.2", Behaviour.reply(text, deltas=6, reasoning="Thinking it over."))
    app, _ = proxy_app(proxy)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "say hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(main.pane.replies) and not main.streaming, timeout=30)
        reply = main.pane.replies[0]
        assert reply.message.status == "completed"
        assert reply.text == text, "the scripted upstream text arrived in the MarkdownView"
        telemetry = str(reply.telemetry.render())
        assert "gpt-5.2" in telemetry and "completed" in telemetry
        sent = upstream.last_for("gpt-5.2", "responses").body
        assert sent["input"][-1]["content"] == "say hello" and sent["stream"] is True


async def test_escape_cancels_a_slow_reply_and_closes_the_request(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.stall(after=2, timeout=30, text="AAAABBBBCCCCDDDD", deltas=4))
    app, transport = proxy_app(proxy)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "slow")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(main.pane.replies) and main.pane.replies[0].text == "AAAABBBB", timeout=30)
        assert main.streaming
        await pilot.press("escape")
        await wait_until(pilot, lambda: not main.streaming, timeout=5)
        await pilot.pause()
        reply = main.pane.replies[0]
        assert reply.message.status == "cancelled"
        assert reply.text == "AAAABBBB" and reply.has_class("-cancelled")
        assert transport.streams and transport.streams[-1].closed, "the HTTP response to the proxy was closed"
        assert main.conversation.messages[-1].text == "AAAABBBB"
        upstream.release()
        # the app carries on: the next prompt gets a full reply
        upstream.script("gpt-5.2", Behaviour.reply("After the cancel."))
        await type_text(pilot, "again")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(main.pane.replies) == 2 and not main.streaming, timeout=30)
        assert main.pane.replies[-1].text == "After the cancel."


async def test_rate_limit_modal_countdown_and_automatic_resend(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(
        "ratelimited-model",
        Behaviour.rate_limit(retry_after=15, times=1),
        Behaviour.reply("Answered after the wait."),
    )
    clock = FakeClock()
    app, _ = proxy_app(proxy, clock=clock, default_model="ratelimited-model")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert main.model is not None and main.model.id == "ratelimited-model"
        await type_text(pilot, "hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal), timeout=30)
        modal = app.screen
        assert isinstance(modal, RateLimitModal)
        assert "input tokens per minute" in str(modal.query_one("#rl-type").render())
        assert "Limit: 200000 | Current: 200150" in str(modal.query_one("#rl-limits").render())
        assert "Retry in 15s" in str(modal.countdown_line.render())
        clock.advance(4.2)
        main.tick()
        assert "Retry in 11s" in str(modal.countdown_line.render())
        assert "11s" in main.status_bar.plain
        assert len(upstream.requests_for("ratelimited-model")) == 1
        clock.advance(11)
        main.tick()
        await wait_until(
            pilot, lambda: app.screen is main and not main.streaming and main.countdown is None, timeout=30
        )
        await wait_until(pilot, lambda: main.pane.replies[-1].message.status == "completed", timeout=30)
        assert main.pane.replies[-1].text == "Answered after the wait."
        assert len(upstream.requests_for("ratelimited-model")) == 2, "resent once, by itself"
        assert [m.role for m in main.conversation.messages] == ["user", "assistant"]


async def test_switching_model_sends_the_history_without_reasoning(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.reply("First answer.", reasoning="Private chain of thought."))
    upstream.script("acme-large", Behaviour.reply("Second answer."))
    app, _ = proxy_app(proxy)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "first question")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(main.pane.replies) and not main.streaming, timeout=30)
        assert main.pane.replies[0].message.reasoning, "gpt-5.2 streamed a reasoning summary"
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        await type_text(pilot, "acme")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.model is not None and main.model.id == "acme-large"
        await type_text(pilot, "second question")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(main.pane.replies) == 2 and not main.streaming, timeout=30)
        assert main.pane.replies[-1].text == "Second answer."
        sent = upstream.last_for("acme-large", "responses").body
        items = sent["input"]
        assert [(i.get("role"), i.get("content")) for i in items] == [
            ("user", "first question"),
            ("assistant", "First answer."),
            ("user", "second question"),
        ]
        assert all(i.get("type", "message") == "message" for i in items), "no reasoning items"
        assert "Private chain of thought." not in str(sent)
