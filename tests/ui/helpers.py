"""Reusable helpers for the UI tests (also usable against the real LiteLLM proxy fixture).

- :class:`FakeClock`: the injected monotonic clock, advanced by hand.
- :class:`ScriptedDemo`: the demo transport with scripted failures in front of it (rate limits per model,
  connection errors, a gated stream that only finishes when released, a custom model list).
- :func:`demo_app`: ``make_app(load_settings(demo=True), client=..., clock=...)``.
- :func:`type_text`, :func:`wait_until`: drive the app with real key presses; wait without sleeping.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import anyio
import httpx
from textual.pilot import Pilot

from llmconsole.core.config import Settings, load_settings
from llmconsole.core.demo import make_demo_transport
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.ui.app import LLMConsoleApp, make_app
from llmconsole.ui.screens.main import MainScreen


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def rate_limit_body(model: str, *, retry_after: float | None = 15) -> tuple[dict[str, Any], dict[str, str]]:
    """A Databricks-through-LiteLLM 429 (the demo's shape), optionally without any retry-after."""
    inner: dict[str, Any] = {
        "error": {
            "type": "rate_limit_exceeded",
            "code": 429,
            "limit_type": "input_tokens_per_minute",
            "limit": 200000,
            "current": 200150,
            "message": f"Rate limit exceeded for {model}: input tokens per minute.",
        }
    }
    headers: dict[str, str] = {}
    if retry_after is not None:
        inner["error"]["retry_after"] = retry_after
        headers["retry-after"] = str(retry_after)
    message = "litellm.RateLimitError: DatabricksException - " + json.dumps(inner, separators=(",", ":"))
    body = {"error": {"message": message, "type": "throttling_error", "param": None, "code": "429"}}
    return body, headers


class GatedStream(httpx.AsyncByteStream):
    """SSE that sends ``first`` deltas, then waits for :attr:`release` before finishing."""

    def __init__(self, first: Sequence[str], rest: Sequence[str]) -> None:
        self.first = list(first)
        self.rest = list(rest)
        self.release = anyio.Event()
        self.closed = False

    @staticmethod
    def _event(payload: dict[str, Any]) -> bytes:
        return f"data: {json.dumps(payload)}\n\n".encode()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for delta in self.first:
            yield self._event({"type": "response.output_text.delta", "delta": delta})
        await self.release.wait()
        for delta in self.rest:
            yield self._event({"type": "response.output_text.delta", "delta": delta})
        usage = {"input_tokens": 3, "output_tokens": 5}
        yield self._event({"type": "response.completed", "response": {"id": "r1", "usage": usage}})
        yield b"data: [DONE]\n\n"

    async def aclose(self) -> None:
        self.closed = True


class ScriptedDemo(httpx.AsyncBaseTransport):
    """The demo proxy with scripted trouble in front of it."""

    def __init__(
        self,
        *,
        rate_limited: Sequence[str] = (),
        retry_after: float | None = 15,
        connect_error: bool = False,
        gated: bool = False,
        model_ids: Sequence[str] | None = None,
        discovery_status: int | None = None,
    ) -> None:
        self.demo = make_demo_transport(delta_delay=0)
        self.rate_limited = set(rate_limited)
        self.retry_after = retry_after
        self.connect_error = connect_error
        self.gated = gated
        self.model_ids = list(model_ids) if model_ids is not None else None
        self.discovery_status = discovery_status
        self.posts: list[dict[str, Any]] = []
        """Bodies of every ``POST /v1/responses``."""
        self.streams: list[GatedStream] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and self.discovery_status is not None:
            return httpx.Response(self.discovery_status, json={"error": {"message": "invalid key"}})
        if request.method == "GET" and self.model_ids is not None:
            if path.endswith("/models"):
                return httpx.Response(200, json={"object": "list", "data": [{"id": i} for i in self.model_ids]})
            return httpx.Response(404, json={"detail": "not found"})
        if request.method == "POST" and path.endswith("/responses"):
            body = json.loads(request.content)
            self.posts.append(body)
            if self.connect_error:
                raise httpx.ConnectError("connection refused", request=request)
            if body.get("model") in self.rate_limited:
                error, headers = rate_limit_body(body["model"], retry_after=self.retry_after)
                return httpx.Response(429, json=error, headers=headers)
            if self.gated:
                stream = GatedStream(["Hello", " partial"], [" rest"])
                self.streams.append(stream)
                return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)
        return await self.demo.handle_async_request(request)


def demo_settings() -> Settings:
    return load_settings(demo=True)


def demo_app(
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    clock: Callable[[], float] | None = None,
    settings: Settings | None = None,
) -> LLMConsoleApp:
    """The app in demo mode over ``transport`` (the instant demo by default), with a fake clock."""
    settings = settings or demo_settings()
    client = ProxyClient(settings, transport=transport or make_demo_transport(delta_delay=0))
    return make_app(settings, client=client, clock=clock or FakeClock())


def main_screen(app: LLMConsoleApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None, "the main screen is not up"
    return screen


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Let the app run (``pilot.pause``) until ``condition`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition never became true")
        await pilot.pause()


async def wait_ready(pilot: Pilot[Any], app: LLMConsoleApp) -> MainScreen:
    """The main screen is up (its prompt editor and filter mounted: the first frame draws them) and discovery
    has finished."""
    await wait_until(pilot, lambda: app.main_screen is not None)
    screen = main_screen(app)
    await wait_until(pilot, lambda: bool(screen.models) or "-error" in screen.sidebar.state_line.classes)
    await wait_until(pilot, lambda: not screen.query("#prompt-preview, #model-filter-drawing"))
    return screen


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Press the keys that type ``text`` (spaces included)."""
    keys = ["space" if ch == " " else ch for ch in text]
    await pilot.press(*keys)


async def send(pilot: Pilot[Any], app: LLMConsoleApp, text: str) -> None:
    """Type ``text`` into the prompt, press Enter, and wait for the reply to end."""
    await type_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
