"""A tiny scripted proxy for unit tests: an httpx.MockTransport whose streams are async byte generators."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from llmconsole.core.config import Settings
from llmconsole.core.secret import Secret

KEY = "sk-unit-test-key-0123456789"


def settings(**kwargs: Any) -> Settings:
    base = {"base_url": "http://proxy.test", "api_key": Secret(KEY), "idle_timeout": 5.0}
    base.update(kwargs)
    return Settings(**base)


def sse(*payloads: dict[str, Any] | str, done: bool = True) -> bytes:
    parts = [f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n" for p in payloads]
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


def text_stream(*deltas: str, usage: dict[str, Any] | None = None, done: bool = True) -> bytes:
    events: list[dict[str, Any] | str] = [{"type": "response.created", "response": {"id": "resp_1"}}]
    events += [{"type": "response.output_text.delta", "delta": d} for d in deltas]
    events.append(
        {
            "type": "response.completed",
            "response": {
                "id": "resp_1",
                "usage": usage
                or {
                    "input_tokens": 10,
                    "input_tokens_details": {"cached_tokens": 4},
                    "output_tokens": 5,
                    "output_tokens_details": {"reasoning_tokens": 1},
                },
            },
        }
    )
    return sse(*events, done=done)


class ChunkStream(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes], *, fail_after: bool = False) -> None:
        self.chunks = chunks
        self.fail_after = fail_after
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.fail_after:
            raise httpx.ReadError("connection reset by peer")

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class FakeProxy:
    """Routes: /v1/models, /v1/model/info, /model/info, /v1/responses (a queue of scripted answers)."""

    models: list[str] = field(default_factory=lambda: ["gpt-5.2", "claude-opus-4-6"])
    model_info: dict[str, Any] | None = None
    model_info_status: int = 404
    responses: list[Callable[[dict[str, Any]], httpx.Response]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any] | None, httpx.Headers]] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.url.path, body, request.headers))
        path = request.url.path
        if path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": m, "object": "model"} for m in self.models]})
        if path in ("/v1/model/info", "/model/info"):
            if self.model_info is None:
                return httpx.Response(self.model_info_status, json={"detail": "Not Found"})
            return httpx.Response(200, json=self.model_info)
        if path == "/v1/responses":
            assert body is not None
            if not self.responses:
                return httpx.Response(200, stream=ChunkStream([text_stream("Hello", " world")]))
            return self.responses.pop(0)(body)
        return httpx.Response(404, json={"detail": "Not Found"})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def response_bodies(self) -> list[dict[str, Any]]:
        return [b for p, b, _ in self.requests if p == "/v1/responses" and b is not None]
