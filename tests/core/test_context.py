"""The context gauge: local estimates, exact counts from the proxy (cached per message), the window."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llmconsole.core.chat.context import ContextMeter, ProxyTokenCounter, available_window
from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.models import ModelInfo
from tests.core.fakes import settings

pytestmark = pytest.mark.anyio

MODEL = ModelInfo(id="m-1", context_window=200_000, max_output_tokens=8_000)


def conversation() -> Conversation:
    conv = Conversation(system_prompt="be brief")
    conv.add_user("x" * 400)
    reply = conv.add_assistant("m-1")
    reply.text, reply.status = "y" * 800, "completed"
    return conv


def test_the_local_estimate_counts_system_path_prompt_and_images() -> None:
    meter = ContextMeter()
    conv = conversation()
    gauge = meter.gauge(MODEL, conv.system_prompt, conv.messages, prompt="z" * 40, images=1)
    assert gauge.window == available_window(MODEL) == 192_000
    assert gauge.tokens == (2 + 4) + (100 + 4) + (200 + 4) + (10 + 4) + 1_000
    assert not gauge.exact
    assert gauge.text() == "ctx ≈1.3K/192K · 1%"
    assert gauge.level == "ok" and gauge.fits
    small = ModelInfo(id="s", context_window=1_000, max_output_tokens=4_000)
    assert available_window(small) == 500  # the reservation is at most half the window
    full = meter.gauge(small, None, conv.messages, prompt="p" * 1_600)
    assert full.level == "danger" and not full.fits


async def test_exact_counts_are_asked_once_per_message_and_the_gauge_says_so() -> None:
    asked: list[list[dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/utils/token_counter"
        body = json.loads(request.content)
        asked.append(body["messages"])
        return httpx.Response(200, json={"total_tokens": 7 * len(body["messages"][0]["content"]) // 10})

    async with ProxyClient(settings(), transport=httpx.MockTransport(handler)) as client:
        meter = ContextMeter(ProxyTokenCounter(client))
        conv = conversation()
        assert await meter.refine(MODEL, conv.system_prompt, conv.messages, prompt="hello")
        assert len(asked) == 4
        gauge = meter.gauge(MODEL, conv.system_prompt, conv.messages, prompt="hello")
        assert gauge.exact and gauge.tokens == 5 + 280 + 560 + 3
        assert gauge.text() == "ctx 848/192K · 0%"
        assert not await meter.refine(MODEL, conv.system_prompt, conv.messages, prompt="hello")
        assert len(asked) == 4  # cached: nothing asked again
        conv.add_user("more")
        assert not meter.gauge(MODEL, conv.system_prompt, conv.messages).exact
        assert await meter.refine(MODEL, conv.system_prompt, conv.messages)
        assert len(asked) == 5


async def test_a_proxy_without_the_route_is_asked_once() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(404, json={"detail": "Not Found"})

    async with ProxyClient(settings(), transport=httpx.MockTransport(handler)) as client:
        counter = ProxyTokenCounter(client)
        meter = ContextMeter(counter)
        conv = conversation()
        assert not await meter.refine(MODEL, conv.system_prompt, conv.messages)
        assert not await meter.refine(MODEL, conv.system_prompt, conv.messages)
        assert counter.available is False and calls <= 3  # the first batch only
        assert not meter.gauge(MODEL, conv.system_prompt, conv.messages).exact
