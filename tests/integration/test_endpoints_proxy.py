"""Responses or Chat Completions per model (issue 13 §1), through real components.

* ``chat_proxy``: a second real LiteLLM proxy (1.99.4) whose config adds two ``openai/`` models in front of
  the fake upstream's chat-only models (``/v1/responses`` is a 404 ``{"detail": "Not Found"}`` there):
  ``legacy-chat`` (no ``model_info``) and ``legacy-chat-declared`` (``supported_endpoints`` lists only
  ``/v1/chat/completions``). What LiteLLM sends back for the first is asserted below.
* ``bare``: the fake upstream alone as a plain OpenAI-compatible server: no ``/responses``, no ``/model/info``.

Requests are counted at the client (a counting transport around the real HTTP transport).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from tests.faultserver import cli_env, run_cli
from tests.proxy.fake_upstream import DEFAULT_TEXT, RATELIMIT_HEADERS, Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import (
    MASTER_KEY,
    LiteLLMProxy,
    litellm_executable,
    missing_proxy_message,
    start_proxy,
)
from tests.ui.helpers import FakeClock, type_text, wait_ready, wait_until

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import Settings
from llmconsole.core.errors import RateLimitError
from llmconsole.core.events import (
    Completed,
    Failed,
    Incomplete,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    TextDelta,
)
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.secret import Secret
from llmconsole.ui.app import make_app
from llmconsole.ui.screens.model_picker import ModelPickerModal

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

LEGACY = "legacy-chat"
DECLARED = "legacy-chat-declared"
THINKER = "legacy-chat-thinker"
PRICES = {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}
EXTRA_MODELS: list[dict[str, Any]] = [
    {"model_name": LEGACY, "litellm_params": {"model": f"openai/{LEGACY}", "api_base": "$UPSTREAM/v1"}},
    {
        "model_name": DECLARED,
        "litellm_params": {"model": f"openai/{DECLARED}", "api_base": "$UPSTREAM/v1"},
        "model_info": {"supported_endpoints": ["/v1/chat/completions"], **PRICES},
    },
    {
        "model_name": THINKER,
        "litellm_params": {"model": f"openai/{THINKER}", "api_base": "$UPSTREAM/v1"},
        "model_info": {"supported_endpoints": ["/v1/chat/completions"], "supports_reasoning": True},
    },
]
IMAGE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def chat_proxy(fake_upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteLLMProxy]:
    if not litellm_executable().exists():
        pytest.fail(missing_proxy_message(), pytrace=False)  # never a silent skip
    proxy = start_proxy(fake_upstream, tmp_path_factory.mktemp("chat-proxy"), extra_models=EXTRA_MODELS)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def bare() -> Iterator[FakeUpstream]:
    with FakeUpstream(responses_route=False, model_ids=["local-llama", "local-qwen"]) as server:
        yield server


class CountingTransport(httpx.AsyncBaseTransport):
    """The real HTTP transport; records ``(method, path, status)`` of every request."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.seen.append((request.method, request.url.path, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def posts(self) -> list[tuple[str, int]]:
        return [(path, status) for method, path, status in self.seen if method == "POST"]


def make_client(base_url: str, transport: CountingTransport | None = None, **kw: Any) -> ProxyClient:
    settings = Settings(base_url=base_url, api_key=Secret(MASTER_KEY), idle_timeout=30.0, **kw)
    return ProxyClient(settings, transport=transport or CountingTransport())


@pytest.fixture
async def counted(
    chat_proxy: LiteLLMProxy, upstream: FakeUpstream
) -> AsyncIterator[tuple[ProxyClient, CountingTransport]]:
    transport = CountingTransport()
    async with make_client(chat_proxy.base_url, transport) as client:
        with anyio.fail_after(20):
            await client.discover()
        yield client, transport


async def turn(
    client: ProxyClient, model: ModelInfo | str, conv: Conversation | None = None, **kw: Any
) -> list[StreamEvent]:
    info = client.find_model(model) if isinstance(model, str) else model
    if conv is None:
        conv = Conversation(model=info.id)
        conv.add_user("Say hello")
    with anyio.fail_after(30):
        return [e async for e in client.stream_response(info, conv.to_request(), **kw)]


def text(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


# -- LiteLLM in front of a chat-only backend -------------------------------------------------------------


def test_litellm_relays_the_upstream_404_on_responses(chat_proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    """What LiteLLM 1.99.4 answers for a backend without /responses (the wording the client tells apart)."""
    with chat_proxy.client() as http:
        r = http.post("/v1/responses", json={"model": LEGACY, "input": "hi", "stream": True})
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["code"] == "404"
    assert error["message"].startswith(
        'litellm.NotFoundError: NotFoundError: OpenAIException - {"detail": "Not Found"}'
    )
    assert f"Received Model Group={LEGACY}" in error["message"]
    assert [(q.path, q.model) for q in upstream.received] == [("/v1/responses", LEGACY)]


async def test_discovery_reads_supported_endpoints(counted: tuple[ProxyClient, CountingTransport]) -> None:
    client, _ = counted
    by_id = {m.id: m for m in client.models}
    assert (by_id[DECLARED].endpoint, by_id[DECLARED].sources["endpoint"]) == ("chat", "model_info")
    assert (by_id[LEGACY].endpoint, by_id[LEGACY].sources["endpoint"]) == ("responses", "default")
    assert by_id["gpt-5.2"].endpoint == by_id["claude-opus-4-6"].endpoint == "responses"


async def test_first_chat_only_turn_falls_back_once_and_is_remembered(
    counted: tuple[ProxyClient, CountingTransport], upstream: FakeUpstream
) -> None:
    client, transport = counted
    discovery = len(transport.seen)
    events = await turn(client, LEGACY)
    assert isinstance(events[0], ResponseStarted) and events[0].endpoint == "chat"
    assert text(events) == DEFAULT_TEXT and isinstance(events[-1], Completed)
    assert events[-1].usage.input_tokens > 0 and events[-1].usage.output_tokens > 0
    # the first chat-only turn: one 404 on /v1/responses, then the same request on /v1/chat/completions
    assert transport.posts() == [("/v1/responses", 404), ("/v1/chat/completions", 200)]
    assert len(transport.seen) - discovery == 2
    assert [q.api for q in upstream.requests_for(LEGACY)] == ["responses", "chat"]
    # learned for that model only (LiteLLM answered for its upstream): the badge data, the cache, the next start
    by_id = {m.id: m for m in client.models}
    assert (by_id[LEGACY].endpoint, by_id[LEGACY].sources["endpoint"]) == ("chat", "learned")
    assert by_id["gpt-5.2"].endpoint == "responses"
    events = await turn(client, LEGACY)
    assert transport.posts()[2:] == [("/v1/chat/completions", 200)] and isinstance(events[-1], Completed)
    await turn(client, "gpt-5.2")
    assert transport.posts()[3:] == [("/v1/responses", 200)]
    async with make_client(client.settings.base_url or "") as again:
        fresh = {m.id: m.endpoint for m in await again.discover()}
    assert fresh[LEGACY] == "chat" and fresh["gpt-5.2"] == "responses"


async def test_declared_model_goes_straight_to_chat_with_the_same_conversation(
    counted: tuple[ProxyClient, CountingTransport], upstream: FakeUpstream
) -> None:
    client, transport = counted
    conv = Conversation(model=DECLARED)
    conv.add_user("first")
    reply = conv.add_assistant(DECLARED)
    reply.text = "an answer"
    conv.add_user("and this picture?", attachments=[IMAGE])
    events = await turn(client, DECLARED, conv, system_prompt="Be brief")
    assert transport.posts() == [("/v1/chat/completions", 200)]
    assert upstream.requests_for(DECLARED, "responses") == []
    sent = upstream.last_for(DECLARED, "chat").body
    assert sent["messages"][0] == {"role": "system", "content": "Be brief"}
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "user"]
    assert sent["messages"][2]["content"] == "an answer"
    parts = sent["messages"][3]["content"]
    assert parts[0] == {"type": "text", "text": "and this picture?"}
    assert parts[1]["type"] == "image_url" and parts[1]["image_url"]["url"] == IMAGE
    assert sent["max_tokens"] == client.find_model(DECLARED).max_output_tokens
    assert sent["stream_options"] == {"include_usage": True} and sent["stream"] is True
    done = events[-1]
    assert isinstance(done, Completed) and text(events) == DEFAULT_TEXT
    # usage via stream_options.include_usage, cost from /model/info prices
    expected = done.usage.input_tokens * 1e-06 + done.usage.output_tokens * 2e-06
    assert done.usage.input_tokens > 0 and done.usage.cost == pytest.approx(expected)


async def test_chat_stream_ends_reasoning_and_errors_through_the_proxy(
    counted: tuple[ProxyClient, CountingTransport], upstream: FakeUpstream
) -> None:
    client, _ = counted
    upstream.script(
        DECLARED,
        Behaviour(
            reasoning="Weighing it.", reasoning_style="reasoning_content", incomplete="max_output_tokens", times=1
        ),
        Behaviour(incomplete="content_filter", times=1),
        Behaviour.stream_error(after=2, times=1),
        Behaviour.rate_limit(times=1),
        Behaviour(headers=RATELIMIT_HEADERS, times=1),
    )
    events = await turn(client, DECLARED)
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Weighing it."
    end = events[-1]
    assert isinstance(end, Incomplete) and end.reason == "max_output_tokens"
    assert end.max_output_tokens == client.find_model(DECLARED).max_output_tokens
    end = (await turn(client, DECLARED))[-1]
    assert isinstance(end, Incomplete) and end.reason == "content_filter"
    events = await turn(client, DECLARED)
    end = events[-1]
    assert isinstance(end, Failed) and end.interrupted and end.partial_text == text(events) != ""
    with pytest.raises(RateLimitError) as caught:
        await turn(client, DECLARED)
    assert caught.value.info.retry_after == 15 and caught.value.info.limit_type == "input_tokens_per_minute"
    started = (await turn(client, DECLARED))[0]
    assert isinstance(started, ResponseStarted) and started.quota is not None
    assert started.quota.remaining_tokens == 84000


async def test_parameter_rejection_is_learned_on_the_chat_path(
    chat_proxy: LiteLLMProxy, upstream: FakeUpstream
) -> None:
    """LiteLLM refuses ``reasoning_effort`` for an openai/ model it knows nothing about: dropped, retried, learned."""
    transport = CountingTransport()
    async with make_client(chat_proxy.base_url, transport) as client:
        await client.discover()
        assert client.find_model(THINKER).reasoning  # supports_reasoning in its model_info
        events = await turn(client, THINKER, reasoning_effort="low")
        assert transport.posts() == [("/v1/chat/completions", 400), ("/v1/chat/completions", 200)]
        assert isinstance(events[0], ResponseStarted) and "reasoning" in events[0].dropped_params
        assert isinstance(events[-1], Completed)
        assert "reasoning" in client.learned.rejected(client.proxy_key, THINKER)
        await turn(client, THINKER, reasoning_effort="low")
        assert transport.posts()[2:] == [("/v1/chat/completions", 200)]
        assert "reasoning_effort" not in upstream.last_for(THINKER, "chat").body


def test_list_models_shows_the_endpoint(chat_proxy: LiteLLMProxy, tmp_path: Path) -> None:
    env = cli_env(tmp_path, chat_proxy.base_url, chat_proxy.master_key)
    result = run_cli("--list-models", "--json", env=env)
    assert result.returncode == 0, result.stderr
    endpoints = {m["id"]: m["endpoint"] for m in json.loads(result.stdout)}
    assert endpoints[DECLARED] == "chat" and endpoints[LEGACY] == endpoints["gpt-5.2"] == "responses"
    table = run_cli("--list-models", env=env)
    assert table.returncode == 0
    rows = {line.split("│")[1].strip(): line for line in table.stdout.splitlines() if line.startswith("│")}
    assert "endpoint" in table.stdout
    assert "chat" in rows[DECLARED].split("│")[8] and "responses" in rows["gpt-5.2"].split("│")[8]


# -- a plain OpenAI-compatible server (no LiteLLM) --------------------------------------------------------


async def test_plain_server_a_probe_per_model_until_two_show_the_server_lacks_the_route(bare: FakeUpstream) -> None:
    transport = CountingTransport()
    async with make_client(bare.base_url, transport) as client:
        models = await client.discover()
        assert [m.id for m in models] == ["local-llama", "local-qwen"]  # discovery without /model/info
        events = await turn(client, "local-llama")
        assert text(events) == DEFAULT_TEXT and isinstance(events[-1], Completed)
        # the first chat-only turn, discovery included: 5 requests
        assert transport.seen == [
            ("GET", "/v1/models", 200),
            ("GET", "/v1/model/info", 404),
            ("GET", "/model/info", 404),
            ("POST", "/v1/responses", 404),
            ("POST", "/v1/chat/completions", 200),
        ]
        # one 404 may be about one model: only local-llama is learned
        assert [m.endpoint for m in client.models] == ["chat", "responses"]
        await turn(client, models[1])  # a second model: the server itself has no /responses
        assert transport.posts()[2:] == [("/v1/responses", 404), ("/v1/chat/completions", 200)]
        assert [m.endpoint for m in client.models] == ["chat", "chat"]
        await turn(client, models[1])  # no more probes
        assert transport.posts()[4:] == [("/v1/chat/completions", 200)]
    assert [r.api for r in bare.received if r.method == "POST"] == ["responses", "chat", "responses", "chat", "chat"]


def test_plain_server_from_the_command_line(bare: FakeUpstream, tmp_path: Path) -> None:
    env = cli_env(tmp_path, bare.base_url, "sk-local")
    result = run_cli("-p", "hello", "--model", "local-qwen", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n") == DEFAULT_TEXT.rstrip("\n")
    listed = run_cli("--list-models", "--json", env=env)
    assert [(m["id"], m["endpoint"]) for m in json.loads(listed.stdout)] == [
        ("local-llama", "responses"),  # one model's 404: learned for that model
        ("local-qwen", "chat"),
    ]
    assert run_cli("-p", "hello", "--model", "local-llama", env=env).returncode == 0
    listed = run_cli("--list-models", "--json", env=env)
    assert [(m["id"], m["endpoint"]) for m in json.loads(listed.stdout)] == [
        ("local-llama", "chat"),  # a second model's: the whole server
        ("local-qwen", "chat"),
    ]


async def test_app_shows_the_chat_badge_once_learned(bare: FakeUpstream) -> None:
    settings = Settings(base_url=bare.base_url, api_key=Secret("sk-local"), default_model="local-llama")
    app = make_app(settings, client=ProxyClient(settings), clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)

        def badge(model_id: str) -> str:
            prompt: Any = main.sidebar.option_list.get_option(model_id).prompt
            return str(getattr(prompt, "plain", prompt))

        assert "chat" not in badge("local-llama").split()
        await type_text(pilot, "hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(main.pane.replies) and not main.streaming, timeout=30)
        assert main.pane.replies[0].message.status == "completed"
        await wait_until(pilot, lambda: "chat" in badge("local-llama").split())
        assert "chat" not in badge("local-qwen").split()  # learned for that model only (one 404)
        assert main.model is not None and main.model.endpoint == "chat"
        notes = [n.message for n in app._notifications]
        assert any("local-llama answers through Chat Completions" in n for n in notes), notes
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        picker = app.screen
        assert isinstance(picker, ModelPickerModal)
        prompt: Any = picker.option_list.get_option("local-llama").prompt
        assert "chat" in str(getattr(prompt, "plain", prompt)).split()


async def test_f5_checks_a_learned_chat_again(bare: FakeUpstream) -> None:
    """After f5 the next turn tries /v1/responses once more (a proxy may have gained it), then learns again."""
    settings = Settings(base_url=bare.base_url, api_key=Secret("sk-local"), default_model="local-llama")
    app = make_app(settings, client=ProxyClient(settings), clock=FakeClock())

    def posts() -> list[str]:
        return [r.api for r in bare.received if r.method == "POST" and r.api in ("responses", "chat")]

    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        for _ in range(2):
            await type_text(pilot, "hello")
            await pilot.press("enter")
            await wait_until(pilot, lambda: bool(main.pane.replies) and not main.streaming, timeout=30)
            await app.workers.wait_for_complete()
        assert posts() == ["responses", "chat", "chat"]  # learned after the first turn
        assert main.model is not None and main.model.endpoint == "chat"
        await pilot.press("f5")
        await wait_until(pilot, lambda: main.model is not None and main.model.endpoint == "responses", timeout=30)
        await type_text(pilot, "again")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(posts()) == 5, timeout=30)
        await app.workers.wait_for_complete()
        assert posts()[3:] == ["responses", "chat"]
        assert main.model is not None and main.model.endpoint == "chat"


def test_doctor_probe_reports_the_endpoint_that_answered(bare: FakeUpstream, tmp_path: Path) -> None:
    env = cli_env(tmp_path, bare.base_url, "sk-local")
    result = run_cli("doctor", "--probe", "local-llama", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    probe = [line for line in result.stdout.splitlines() if "local-llama:" in line]
    assert len(probe) == 1 and probe[0].startswith("ok") and "/v1/chat/completions" in probe[0], result.stdout
    again = run_cli("doctor", "--probe", "local-qwen", env=env)
    line = next(line for line in again.stdout.splitlines() if "local-qwen:" in line)
    assert "/v1/chat/completions" in line
    # one probe of /responses per model until two show the server lacks it (doctor's /utils/token_counter aside)
    calls = [r.api for r in bare.received if r.method == "POST" and r.api in ("responses", "chat")]
    assert calls == ["responses", "chat", "responses", "chat"]
    third = run_cli("doctor", "--probe", "local-llama", env=env)
    assert third.returncode == 0
    calls = [r.api for r in bare.received if r.method == "POST" and r.api in ("responses", "chat")]
    assert calls[4:] == ["chat"]
