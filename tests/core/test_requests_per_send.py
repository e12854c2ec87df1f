"""Every HTTP request a send makes, with an ``api_key_command``: its attempts, and at most one resend after a key
refresh per send (``MAX_REQUESTS_PER_SEND``); a 401 from an optional route never reruns the command.

The key command is a real subprocess (it counts its runs in a file); the proxy is an ``httpx.MockTransport``
that counts every request it sees. The same through the real LiteLLM proxy: tests/integration/test_network_proxy.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.errors import AuthenticationError
from llmconsole.core.events import Completed
from llmconsole.core.keycommand import KeyCommand
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.endpoints import LearnedEndpoints
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.params import MAX_ATTEMPTS_PER_SEND, MAX_REQUESTS_PER_SEND, LearnedParams

from .fakes import ChunkStream, settings, text_stream

pytestmark = pytest.mark.anyio

FIELDS = ("store", "prompt_cache_key", "max_output_tokens")
"""Fields the fake proxy refuses one by one (each refusal costs an attempt)."""


def numbered_keys(tmp_path: Path) -> tuple[KeyCommand, Path]:
    """A key command printing ``sk-key-1``, ``sk-key-2``, … (a new key on each run); its run counter."""
    counter = tmp_path / "runs"
    script = tmp_path / "key.py"
    script.write_text(
        "from pathlib import Path\n"
        f"p = Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        "print(f'sk-key-{n}')\n",
        encoding="utf-8",
    )
    return KeyCommand((sys.executable, str(script))), counter


class Proxy:
    """Counts every request. ``/v1/responses`` refuses the next of :data:`FIELDS` while one is carried; when
    ``flaky``, a key works for one request and is refused (401) after (a token that expires at once)."""

    def __init__(self, *, flaky: bool = False, last_attempt_401: bool = False, optional_401: bool = False) -> None:
        self.seen: list[tuple[str, str]] = []
        self.flaky = flaky
        self.last_attempt_401 = last_attempt_401
        self.optional_401 = optional_401
        self.used_keys: set[str] = set()

    def handler(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        path = request.url.path
        self.seen.append((path, key))
        if path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "m"}]})
        if path in ("/v1/model/info", "/model/info", "/key/info"):
            return httpx.Response(401 if self.optional_401 else 404, json={"error": {"message": "not allowed"}})
        body: dict[str, Any] = json.loads(request.content)
        if self.flaky and key in self.used_keys:
            return httpx.Response(401, json={"error": {"message": "token expired", "code": "401"}})
        self.used_keys.add(key)
        carried = [f for f in FIELDS if f in body]
        if self.last_attempt_401 and not carried and key == "sk-key-1":
            return httpx.Response(401, json={"error": {"message": "token expired", "code": "401"}})
        if carried:
            error = {"message": f"Unsupported parameter: '{carried[0]}'.", "param": carried[0], "code": "400"}
            return httpx.Response(400, json={"error": error})
        return httpx.Response(200, stream=ChunkStream([text_stream("fine")]))

    def posts(self) -> list[str]:
        return [key for path, key in self.seen if path == "/v1/responses"]


def client_for(proxy: Proxy, command: KeyCommand, tmp_path: Path) -> ProxyClient:
    return ProxyClient(
        settings(key_command=command),
        transport=httpx.MockTransport(proxy.handler),
        learned=LearnedParams(tmp_path / "params.json"),
        learned_endpoints=LearnedEndpoints(tmp_path / "endpoints.json"),
    )


async def send(client: ProxyClient) -> list[Any]:
    conv = Conversation()
    conv.add_user("hi")
    model = ModelInfo(id="m", max_output_tokens=100, sources={"endpoint": "config"})
    return [e async for e in client.stream_response(model, conv.to_request())]


def test_the_limits_say_what_they_count() -> None:
    assert MAX_ATTEMPTS_PER_SEND == 4 and MAX_REQUESTS_PER_SEND == MAX_ATTEMPTS_PER_SEND + 1


async def test_a_refused_key_on_the_last_attempt_makes_the_most_requests(tmp_path: Path) -> None:
    """Three fields refused, then the key refused: one refresh, and the send completes in 5 requests."""
    command, runs = numbered_keys(tmp_path)
    proxy = Proxy(last_attempt_401=True)
    async with client_for(proxy, command, tmp_path) as client:
        events = await send(client)
    assert isinstance(events[-1], Completed)
    assert proxy.posts() == ["sk-key-1"] * 4 + ["sk-key-2"]
    assert len(proxy.seen) == MAX_REQUESTS_PER_SEND
    assert runs.read_text() == "2"


async def test_a_proxy_that_keeps_refusing_keys_gets_one_refresh_per_send(tmp_path: Path) -> None:
    """Each key is refused after one request: the command runs again once per send, never once per attempt
    (which made 7 requests and 4 runs of the command)."""
    command, runs = numbered_keys(tmp_path)
    proxy = Proxy(flaky=True)
    async with client_for(proxy, command, tmp_path) as client:
        with pytest.raises(AuthenticationError):
            await send(client)
        # 400 (a field), 401, the fresh key (400: the next field), 401 again: no second refresh
        assert proxy.posts() == ["sk-key-1", "sk-key-1", "sk-key-2", "sk-key-2"]
        assert runs.read_text() == "2"
        # the next send has its own refresh
        with pytest.raises(AuthenticationError):
            await send(client)
    assert len(proxy.posts()) <= 2 * MAX_REQUESTS_PER_SEND
    assert runs.read_text() == "3"


async def test_a_401_from_an_optional_route_does_not_rerun_the_key_command(tmp_path: Path) -> None:
    command, runs = numbered_keys(tmp_path)
    proxy = Proxy(optional_401=True)
    async with client_for(proxy, command, tmp_path) as client:
        models = await client.discover()
        assert await client.key_info() is None
    assert [m.id for m in models] == ["m"]
    assert [path for path, _ in proxy.seen] == ["/v1/models", "/v1/model/info", "/model/info", "/key/info"]
    assert {key for _, key in proxy.seen} == {"sk-key-1"}
    assert runs.read_text() == "1"


async def test_a_401_from_the_model_list_reruns_the_key_command_once(tmp_path: Path) -> None:
    command, runs = numbered_keys(tmp_path)

    def handler(request: httpx.Request) -> httpx.Response:
        ok = request.headers["authorization"] == "Bearer sk-key-2"
        return httpx.Response(200 if ok else 401, json={"data": [{"id": "m"}]} if ok else {"error": {}})

    client = ProxyClient(settings(key_command=command), transport=httpx.MockTransport(handler))
    async with client:
        assert await client._get_json("/models") == {"data": [{"id": "m"}]}
    assert runs.read_text() == "2"
