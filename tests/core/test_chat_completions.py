"""Chat Completions: the request translation, the stream -> typed events, and the endpoint choice and learning
(httpx.MockTransport; the real proxy and a bare server are in tests/integration/test_endpoints_proxy.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import ConfigError, ModelOverride, read_config_file
from llmconsole.core.errors import BadRequestError, NotFoundError, RateLimitError, StreamError
from llmconsole.core.events import (
    Completed,
    Failed,
    Incomplete,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    TextDelta,
)
from llmconsole.core.proxy.chat_completions import build_chat_request, chat_messages
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.endpoints import RECHECK_AFTER_S, LearnedEndpoints, from_model_info, route_missing
from llmconsole.core.proxy.http_errors import error_from_response
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.params import LearnedParams

from .fakes import ChunkStream, settings, sse, text_stream

pytestmark = pytest.mark.anyio

IMAGE = "data:image/png;base64,iVBORw0KGgo="
ROUTE_404 = {"detail": "Not Found"}
LITELLM_404 = {
    "error": {
        "message": 'litellm.NotFoundError: NotFoundError: OpenAIException - {"detail": "Not Found"}. '
        "Received Model Group=legacy-chat\nAvailable Model Group Fallbacks=None",
        "type": None,
        "param": None,
        "code": "404",
    }
}


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": choices, **extra}


USAGE = {"prompt_tokens": 12, "completion_tokens": 7, "completion_tokens_details": {"reasoning_tokens": 2}}


def chat_stream(*deltas: str, finish: str = "stop", done: bool = True) -> bytes:
    parts = [chunk({"role": "assistant", "content": ""})]
    parts += [chunk({"content": d}) for d in deltas]
    parts += [chunk({}, finish), chunk(None, usage=USAGE)]
    return sse(*parts, done=done)


@dataclass
class Server:
    """/v1/models, /v1/model/info (optional), /v1/responses and /v1/chat/completions, scripted."""

    models: list[str] = field(default_factory=lambda: ["local-a", "local-b"])
    model_info: dict[str, Any] | None = None
    responses: Callable[[dict[str, Any]], httpx.Response] | None = None
    chat: list[Callable[[dict[str, Any]], httpx.Response]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.requests.append((request.method, path, body))
        if path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": m} for m in self.models]})
        if path in ("/v1/model/info", "/model/info") and self.model_info is not None:
            return httpx.Response(200, json=self.model_info)
        if path == "/v1/responses":
            if self.responses is None:
                return httpx.Response(404, json=ROUTE_404)
            return self.responses(body)
        if path == "/v1/chat/completions":
            if self.chat:
                return self.chat.pop(0)(body)
            return httpx.Response(200, stream=ChunkStream([chat_stream("Hel", "lo")]))
        return httpx.Response(404, json=ROUTE_404)

    def posts(self) -> list[str]:
        return [path for method, path, _ in self.requests if method == "POST"]

    def bodies(self, path: str) -> list[Any]:
        return [body for _, p, body in self.requests if p == path]


def conversation(text: str = "hi") -> Conversation:
    conv = Conversation()
    conv.add_user(text)
    return conv


async def collect(client: ProxyClient, model: ModelInfo, conv: Conversation | None = None, **kw: Any) -> list[Any]:
    return [e async for e in client.stream_response(model, (conv or conversation()).to_request(), **kw)]


def make_client(server: Server, **kw: Any) -> ProxyClient:
    return ProxyClient(
        settings(**kw),
        transport=httpx.MockTransport(server.handler),
        learned=LearnedParams(),
        learned_endpoints=LearnedEndpoints(),
    )


# -- the request ----------------------------------------------------------------------------------


def test_the_same_conversation_becomes_a_chat_body() -> None:
    conv = Conversation()
    conv.add_user("first")
    reply = conv.add_assistant("m")
    reply.text = "answer"
    conv.add_user("look", attachments=[IMAGE])
    model = ModelInfo(id="m", reasoning=True, max_output_tokens=999)
    body, dropped = build_chat_request(model, conv.to_request(), system_prompt="Be brief", reasoning_effort="low")
    assert body["messages"] == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "answer"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": IMAGE}}],
        },
    ]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 999 and body["reasoning_effort"] == "low"
    assert body["prompt_cache_key"] == conv.id and "store" not in body and "input" not in body
    assert dropped == ()


def test_chat_parameters_are_filtered_under_their_responses_names() -> None:
    model = ModelInfo(id="m", reasoning=True, params={"store": True, "prompt_cache_key": False})
    body, dropped = build_chat_request(
        model,
        conversation().to_request(),
        reasoning_effort="high",
        max_output_tokens=50,
        rejected=frozenset({"reasoning"}),
    )
    assert body["max_tokens"] == 50
    assert "prompt_cache_key" not in body and "reasoning_effort" not in body
    assert dropped == ("prompt_cache_key", "reasoning")
    # a model without reasoning never gets an effort, and a developer message is a system message
    body, _ = build_chat_request(ModelInfo(id="m"), conversation().to_request(), reasoning_effort="high")
    assert "reasoning_effort" not in body
    assert chat_messages([{"role": "developer", "content": "x"}], None) == [{"role": "system", "content": "x"}]


# -- the stream -----------------------------------------------------------------------------------


async def chat_events(*answers: httpx.Response | Callable[[dict[str, Any]], httpx.Response], **kw: Any) -> list[Any]:
    server = Server(chat=[a if callable(a) else (lambda _b, a=a: a) for a in answers])
    client = make_client(server)
    model = ModelInfo(id="local-a", endpoint="chat", **kw)
    try:
        return await collect(client, model)
    finally:
        await client.aclose()


async def test_chat_stream_gives_the_same_typed_events() -> None:
    events = await chat_events(
        httpx.Response(
            200,
            headers={"x-ratelimit-remaining-requests": "9", "x-ratelimit-limit-requests": "10"},
            stream=ChunkStream([chat_stream("He", "llo")]),
        ),
        input_cost_per_token=1e-6,
        output_cost_per_token=2e-6,
    )
    started = events[0]
    assert isinstance(started, ResponseStarted) and started.endpoint == "chat"
    assert started.quota is not None and started.quota.remaining_requests == 9
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["He", "llo"]
    done = events[-1]
    assert isinstance(done, Completed) and done.response_id == "chatcmpl-1"
    assert (done.usage.input_tokens, done.usage.output_tokens, done.usage.reasoning_tokens) == (12, 7, 2)
    assert done.usage.cost == pytest.approx(12e-6 + 14e-6)


async def test_reasoning_content_and_databricks_reasoning_parts() -> None:
    raw = sse(
        chunk({"reasoning_content": "Think"}),
        chunk({"reasoning": " more"}),
        chunk({"content": [{"type": "reasoning", "summary": [{"type": "summary_text", "text": " deeply"}]}]}),
        chunk({"content": [{"type": "text", "text": "Done"}]}),
        chunk({}, "stop"),
    )
    events = await chat_events(httpx.Response(200, stream=ChunkStream([raw])))
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Think more deeply"
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Done"]
    assert isinstance(events[-1], Completed)


@pytest.mark.parametrize(("finish", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")])
async def test_finish_reason_ends_incomplete(finish: str, reason: str) -> None:
    events = await chat_events(httpx.Response(200, stream=ChunkStream([chat_stream("cut", finish=finish)])))
    end = events[-1]
    assert isinstance(end, Incomplete) and end.reason == reason
    assert end.max_output_tokens == 4096 and end.usage.output_tokens == 7


async def test_error_chunk_and_broken_streams_fail_with_the_partial_text() -> None:
    litellm_error = {"error": {"message": "litellm.APIError: boom", "type": None, "param": None, "code": "500"}}
    raw = sse(chunk({"content": "part"}), litellm_error, done=False)
    events = await chat_events(httpx.Response(200, stream=ChunkStream([raw])))
    end = events[-1]
    assert isinstance(end, Failed) and end.partial_text == "part" and end.interrupted
    assert isinstance(end.error, StreamError) and "boom" in str(end.error)

    # closed without finish_reason and without [DONE]: interrupted
    raw = sse(chunk({"content": "half"}), done=False)
    events = await chat_events(httpx.Response(200, stream=ChunkStream([raw])))
    assert isinstance(events[-1], Failed) and events[-1].interrupted and events[-1].partial_text == "half"

    # a reset connection
    events = await chat_events(
        httpx.Response(200, stream=ChunkStream([sse(chunk({"content": "x"}), done=False)], fail_after=True))
    )
    assert isinstance(events[-1], Failed) and events[-1].partial_text == "x"

    # a chunk that is not JSON
    events = await chat_events(httpx.Response(200, stream=ChunkStream([b"data: {nope\n\n"])))
    assert isinstance(events[-1], Failed) and "not JSON" in str(events[-1].error)


async def test_refusal_is_the_reply_and_completes_refused() -> None:
    raw = sse(chunk({"refusal": "I can't"}), chunk({"refusal": " help with that."}), chunk({}, "stop"))
    events = await chat_events(httpx.Response(200, stream=ChunkStream([raw])))
    assert "".join(e.text for e in events if isinstance(e, RefusalDelta)) == "I can't help with that."
    assert isinstance(events[-1], Completed) and events[-1].refused


async def test_finish_without_done_completes_and_done_without_finish_is_cut() -> None:
    """The final event decides (as on the Responses API, tests/core/test_stream_endings.py): a closed connection
    after a ``finish_reason`` is a complete reply; ``[DONE]`` before any ``finish_reason`` is a cut one."""
    events = await chat_events(httpx.Response(200, stream=ChunkStream([chat_stream("a", done=False)])))
    assert isinstance(events[-1], Completed)
    events = await chat_events(httpx.Response(200, stream=ChunkStream([sse(chunk({"content": "b"}))])))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["b"]
    assert isinstance(events[-1], Failed) and events[-1].interrupted and events[-1].partial_text == "b"
    assert str(events[-1].error) == "interrupted: the stream ended without completing"


async def test_a_server_that_ignores_stream_true_answers_one_json() -> None:
    whole = {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "All at once"}, "finish_reason": "stop"}],
        "usage": USAGE,
    }
    raw = json.dumps(whole).encode()
    headers = {"content-type": "application/json"}
    events = await chat_events(httpx.Response(200, headers=headers, stream=ChunkStream([raw[:20], raw[20:]])))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["All at once"]
    assert isinstance(events[-1], Completed) and events[-1].usage.input_tokens == 12


async def test_rate_limit_on_chat_is_typed() -> None:
    body = {"error": {"type": "rate_limit_exceeded", "code": 429, "message": "slow down", "retry_after": 15}}
    with pytest.raises(RateLimitError) as caught:
        await chat_events(httpx.Response(429, json=body))
    assert caught.value.info.retry_after == 15


@pytest.mark.parametrize(
    ("message", "wire", "learned"),
    [
        ("Unsupported parameter: 'max_tokens' is not supported with this model.", "max_tokens", "max_output_tokens"),
        (
            "litellm.UnsupportedParamsError: openai does not support parameters: ['reasoning_effort']",
            "reasoning_effort",
            "reasoning",
        ),
        ("stream_options: Extra inputs are not permitted", "stream_options", "stream_options"),
    ],
)
async def test_rejected_chat_parameter_is_dropped_and_learned(message: str, wire: str, learned: str) -> None:
    seen: list[dict[str, Any]] = []

    def reject(body: dict[str, Any]) -> httpx.Response:
        seen.append(body)
        return httpx.Response(400, json={"error": {"message": message, "type": "invalid_request_error"}})

    def accept(body: dict[str, Any]) -> httpx.Response:
        seen.append(body)
        return httpx.Response(200, stream=ChunkStream([chat_stream("ok")]))

    server = Server(chat=[reject, accept])
    client = make_client(server)
    model = ModelInfo(id="local-a", endpoint="chat", reasoning=True)
    events = await collect(client, model, reasoning_effort="low")
    assert wire in seen[0] and wire not in seen[1]
    assert isinstance(events[0], ResponseStarted) and learned in events[0].dropped_params
    assert isinstance(events[-1], Completed)
    assert learned in client.learned.rejected(client.proxy_key, "local-a")
    await client.aclose()


# -- choosing and learning the endpoint -----------------------------------------------------------------


async def test_plain_server_one_404_is_learned_for_that_model_a_second_for_the_server() -> None:
    server = Server(models=["local-a", "local-b", "local-c"])
    client = make_client(server)
    a, b, c = await client.discover()
    assert [m.endpoint for m in (a, b, c)] == ["responses"] * 3  # nothing said otherwise yet
    events = await collect(client, a)
    assert isinstance(events[-1], Completed) and events[0].endpoint == "chat"
    assert server.posts() == ["/v1/responses", "/v1/chat/completions"]
    assert len(server.requests) == 5  # GET models, GET /v1/model/info, GET /model/info, 2 POSTs
    # one 404 may be about one model: only local-a is learned
    assert [(m.endpoint, m.sources["endpoint"]) for m in client.models] == [
        ("chat", "learned"),
        ("responses", "default"),
        ("responses", "default"),
    ]
    # a second model finds the server itself without /responses: now the whole server is learned
    await collect(client, b)
    assert server.posts()[2:] == ["/v1/responses", "/v1/chat/completions"]
    assert [(m.endpoint, m.sources["endpoint"]) for m in client.models] == [("chat", "learned")] * 3
    await collect(client, c)  # even with its stale ModelInfo: straight to chat
    assert server.posts()[4:] == ["/v1/chat/completions"]
    # and the next start knows it from discovery
    again = make_client(server)
    assert [m.endpoint for m in await again.discover()] == ["chat"] * 3
    assert [m.endpoint for m in again.cached_models() or []] == ["chat"] * 3
    await client.aclose()
    await again.aclose()


async def test_a_learned_chat_is_checked_again_after_a_day(tmp_path: Any) -> None:
    now = [1_800_000_000.0]
    server = Server(models=["local-a", "local-b"])
    learned = LearnedEndpoints(tmp_path / "endpoints.json", clock=lambda: now[0])
    client = ProxyClient(
        settings(), transport=httpx.MockTransport(server.handler), learned=LearnedParams(), learned_endpoints=learned
    )
    a, _ = await client.discover()
    await collect(client, a)
    await collect(client, client.find_model("local-a"))
    assert server.posts() == ["/v1/responses", "/v1/chat/completions", "/v1/chat/completions"]
    now[0] += RECHECK_AFTER_S - 60
    await collect(client, client.find_model("local-a"))
    assert server.posts()[3:] == ["/v1/chat/completions"]  # within the day: what was learned holds
    now[0] += 120
    await collect(client, client.find_model("local-a"))  # a day on: the Responses API once more (still missing)
    assert server.posts()[4:] == ["/v1/responses", "/v1/chat/completions"]
    await collect(client, client.find_model("local-a"))
    assert server.posts()[6:] == ["/v1/chat/completions"]  # learned again, for another day
    # the server gains /responses: after a day the model is found on it, and what was learned is forgotten
    server.responses = lambda body: httpx.Response(200, stream=ChunkStream([text_stream("now native")]))
    now[0] += RECHECK_AFTER_S + 1
    events = await collect(client, client.find_model("local-a"))
    assert text_of(events) == "now native" and events[0].endpoint == "responses"
    assert client.find_model("local-a").endpoint == "responses"
    assert learned.lookup(client.proxy_key, "local-a") is None
    assert "local-a" not in json.loads((tmp_path / "endpoints.json").read_text())["proxies"].get(client.proxy_key, {})
    await client.aclose()


async def test_f5_checks_a_learned_chat_again(tmp_path: Any) -> None:
    server = Server(models=["local-a"])
    learned = LearnedEndpoints(tmp_path / "endpoints.json")
    client = ProxyClient(
        settings(), transport=httpx.MockTransport(server.handler), learned=LearnedParams(), learned_endpoints=learned
    )
    (a,) = await client.discover()
    await collect(client, a)
    (a,) = await client.discover()
    assert a.endpoint == "chat"  # discovery alone keeps what was learned
    (a,) = await client.discover(recheck=True)  # f5
    assert a.endpoint == "responses"
    await collect(client, a)
    assert server.posts() == ["/v1/responses", "/v1/chat/completions"] * 2
    await client.aclose()


def test_learned_endpoints_of_the_first_version_are_read_as_due_a_recheck(tmp_path: Any) -> None:
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps({"https://p": {"legacy": "chat", "codex": "responses", "bad": "x"}}))
    learned = LearnedEndpoints(path)
    assert learned.lookup("https://p", "legacy") is None  # due a re-check
    assert learned.lookup("https://p", "codex") == "responses"
    assert learned.lookup("https://p", "bad") is None
    assert learned.forget("https://p") == {"legacy": "chat", "codex": "responses"}


async def test_litellm_relayed_404_is_learned_for_that_model_only() -> None:
    info = {"data": [{"model_name": m, "model_info": {"mode": "chat"}} for m in ("legacy-chat", "gpt-x")]}
    server = Server(models=["legacy-chat", "gpt-x"], model_info=info)
    server.responses = lambda body: (
        httpx.Response(404, json=LITELLM_404)
        if body["model"] == "legacy-chat"
        else httpx.Response(200, stream=ChunkStream([text_stream("fine")]))
    )
    client = make_client(server)
    legacy, gpt = await client.discover()
    assert legacy.endpoint == gpt.endpoint == "responses"  # mode "chat" says nothing: LiteLLM bridges
    assert isinstance((await collect(client, legacy))[-1], Completed)
    assert isinstance((await collect(client, gpt))[-1], Completed)
    assert server.posts() == ["/v1/responses", "/v1/chat/completions", "/v1/responses"]
    assert {m.id: m.endpoint for m in client.models} == {"legacy-chat": "chat", "gpt-x": "responses"}
    await collect(client, legacy)
    assert server.posts()[3:] == ["/v1/chat/completions"]
    await client.aclose()


async def test_a_model_missing_on_both_routes_keeps_the_first_error_and_learns_nothing() -> None:
    server = Server(chat=[lambda body: httpx.Response(404, json=ROUTE_404)])
    client = make_client(server)
    model = ModelInfo(id="local-a")
    with pytest.raises(NotFoundError):
        await collect(client, model)
    assert server.posts() == ["/v1/responses", "/v1/chat/completions"]
    assert client.endpoints.lookup(client.proxy_key, "local-a") is None
    await client.aclose()


async def test_a_responses_only_model_on_a_chat_server_is_learned_the_other_way() -> None:
    only_responses = {
        "error": {
            "message": "This model is only supported in v1/responses and not in v1/chat/completions.",
            "type": "invalid_request_error",
            "param": "model",
        }
    }

    def chat(body: dict[str, Any]) -> httpx.Response:
        if body["model"] == "codex-x":
            return httpx.Response(400, json=only_responses)
        return httpx.Response(200, stream=ChunkStream([chat_stream("chat")]))

    server = Server(models=["local-a", "codex-x"])
    server.chat = [chat] * 10
    server.responses = lambda body: (
        httpx.Response(200, stream=ChunkStream([text_stream("resp")]))
        if body["model"] == "codex-x"
        else httpx.Response(404, json=ROUTE_404)
    )
    client = make_client(server)
    client.endpoints.record(client.proxy_key, "*", "chat")  # a server already known to lack /responses
    local, codex = await client.discover()
    assert local.endpoint == codex.endpoint == "chat"
    events = await collect(client, codex)
    assert text_of(events) == "resp" and events[0].endpoint == "responses"
    assert server.posts() == ["/v1/chat/completions", "/v1/responses"]
    assert {m.id: m.endpoint for m in client.models} == {"local-a": "chat", "codex-x": "responses"}
    await collect(client, codex)
    await collect(client, local)
    assert server.posts()[2:] == ["/v1/responses", "/v1/chat/completions"]
    await client.aclose()


async def test_the_configured_endpoint_is_never_second_guessed() -> None:
    server = Server()
    client = make_client(server, models={"local-a": ModelOverride(endpoint="responses")})
    model = next(m for m in await client.discover() if m.id == "local-a")
    with pytest.raises(NotFoundError):
        await collect(client, model)
    assert server.posts() == ["/v1/responses"]
    await client.aclose()


def text_of(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_not_supported_wording_sends_the_request_to_chat() -> None:
    body = {"error": {"message": "This model does not support the Responses API.", "type": "invalid_request_error"}}
    server = Server(responses=lambda b: httpx.Response(400, json=body))
    client = make_client(server)
    events = await collect(client, ModelInfo(id="local-a"))
    assert isinstance(events[-1], Completed) and server.posts() == ["/v1/responses", "/v1/chat/completions"]
    # an ordinary 400 is not about the route
    plain = error_from_response(400, {}, json.dumps({"error": {"message": "bad input"}}), model="m", secrets=())
    assert isinstance(plain, BadRequestError) and not route_missing(plain)
    await client.aclose()


async def test_config_wins_over_model_info_which_wins_over_learning() -> None:
    info = {
        "data": [
            {"model_name": "declared", "model_info": {"supported_endpoints": ["/v1/chat/completions"]}},
            {"model_name": "both", "model_info": {"supported_endpoints": ["/v1/chat/completions", "/v1/responses"]}},
            {"model_name": "resp-only", "model_info": {"mode": "responses"}},
            {"model_name": "forced", "model_info": {"supported_endpoints": ["/v1/chat/completions"]}},
        ]
    }
    server = Server(models=["declared", "both", "resp-only", "forced", "plain"], model_info=info)
    client = make_client(server, models={"forced": ModelOverride(endpoint="responses")})
    client.endpoints.record(client.proxy_key, "both", "chat")
    client.endpoints.record(client.proxy_key, "plain", "chat")
    got = {m.id: (m.endpoint, m.sources["endpoint"]) for m in await client.discover()}
    assert got == {
        "declared": ("chat", "model_info"),
        "both": ("responses", "model_info"),
        "resp-only": ("responses", "model_info"),
        "forced": ("responses", "config"),
        "plain": ("chat", "learned"),
    }
    # learning is per proxy
    other = make_client(server, base_url="http://other.test")
    assert {m.id: m.endpoint for m in await other.discover()}["plain"] == "responses"
    await client.aclose()
    await other.aclose()


def test_balanced_deployments_use_chat_when_one_only_speaks_chat() -> None:
    assert (
        from_model_info([{"supported_endpoints": ["/v1/responses"]}, {"supported_endpoints": ["/v1/chat/completions"]}])
        == "chat"
    )
    assert from_model_info([{"mode": "chat"}, {}]) is None


def test_config_endpoint_key(tmp_path: Any) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[models."old-vllm"]\nendpoint = "chat"\n')
    assert read_config_file(path).models["old-vllm"].endpoint == "chat"
    path.write_text('[models."old-vllm"]\nendpoint = "completions"\n')
    with pytest.raises(ConfigError, match=r"models\.old-vllm\.endpoint: Input should be 'responses' or 'chat'"):
        read_config_file(path)


def test_model_json_carries_the_endpoint() -> None:
    model = ModelInfo(id="m", endpoint="chat")
    data = model.to_json_dict()
    assert data["endpoint"] == "chat"
    assert ModelInfo.from_json_dict(data).endpoint == "chat"
    assert ModelInfo.from_json_dict({"id": "m"}).endpoint == "responses"  # older caches
    with pytest.raises(ValueError, match="endpoint"):
        ModelInfo.from_json_dict({"id": "m", "endpoint": "completions"})


def test_forget_learned_forgets_endpoints_of_that_proxy_only() -> None:
    import subprocess
    import sys

    learned = LearnedEndpoints()
    learned.record("https://proxy.example", "legacy", "chat")
    learned.record("https://proxy.example", "*", "chat")
    learned.record("https://other.example", "legacy", "chat")
    env = {**os.environ, "OPENAI_BASE_URL": "https://proxy.example"}
    result = subprocess.run(
        [sys.executable, "-m", "llmconsole", "--forget-learned", "legacy"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Forgot on https://proxy.example: legacy: endpoint chat.\n"
    after = LearnedEndpoints(learned.path)
    assert after.lookup("https://proxy.example", "legacy") == "chat"  # the whole server's answer still holds
    result = subprocess.run(
        [sys.executable, "-m", "llmconsole", "--forget-learned"], capture_output=True, text=True, env=env
    )
    assert result.stdout == "Forgot on https://proxy.example: *: endpoint chat.\n"
    after = LearnedEndpoints(learned.path)
    assert after.lookup("https://proxy.example", "legacy") is None
    assert after.lookup("https://other.example", "legacy") == "chat"
