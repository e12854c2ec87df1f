from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import ModelOverride
from llmconsole.core.errors import (
    AuthenticationError,
    BadRequestError,
    ProxyConnectionError,
    ProxyError,
    RateLimitError,
    ServerError,
    StreamError,
    UnknownModelError,
)
from llmconsole.core.events import (
    MAX_TOKEN_COUNT,
    Completed,
    Failed,
    Incomplete,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    TextDelta,
    Usage,
)
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.params import MAX_ATTEMPTS_PER_SEND, LearnedParams

from .fakes import KEY, ChunkStream, FakeProxy, settings, sse, text_stream

pytestmark = pytest.mark.anyio


def conversation(text: str = "hi") -> Conversation:
    conv = Conversation()
    conv.add_user(text)
    return conv


async def collect(client: ProxyClient, model: ModelInfo, conv: Conversation | None = None) -> list[Any]:
    return [e async for e in client.stream_response(model, (conv or conversation()).to_request())]


async def discovered(proxy: FakeProxy, **kw: Any) -> tuple[ProxyClient, list[ModelInfo]]:
    client = ProxyClient(settings(**kw), transport=proxy.transport())
    return client, await client.discover()


async def test_discovery_sends_bearer_and_uses_patterns_without_model_info() -> None:
    proxy = FakeProxy()
    client, models = await discovered(proxy)
    assert [m.id for m in models] == ["gpt-5.2", "claude-opus-4-6"]
    assert proxy.requests[0][2]["authorization"] == f"Bearer {KEY}"
    gpt, opus = models
    assert gpt.source == "pattern" and gpt.supports("prompt_cache_key")
    assert not opus.supports("prompt_cache_key") and opus.max_output_tokens == 8192
    # the list is cached for the next start
    again = ProxyClient(settings(), transport=proxy.transport())
    assert [m.id for m in again.cached_models() or []] == ["gpt-5.2", "claude-opus-4-6"]
    await client.aclose()


async def test_model_info_wins_field_by_field_and_balancing_takes_the_safe_side() -> None:
    proxy = FakeProxy(models=["gpt-balanced", "acme-x", "embed-1", "mystery"])
    proxy.model_info = {
        "data": [
            {
                "model_name": "gpt-balanced",
                "litellm_params": {"model": "openai/gpt-balanced"},
                "model_info": {
                    "max_input_tokens": 400000,
                    "max_output_tokens": 128000,
                    "supports_vision": True,
                    "supports_reasoning": None,
                    "litellm_provider": "openai",
                    "mode": "responses",
                    "input_cost_per_token": 1e-6,
                    "output_cost_per_token": 8e-6,
                },
            },
            {
                "model_name": "gpt-balanced",
                "litellm_params": {"model": "databricks/databricks-gpt-balanced"},
                "model_info": {
                    "max_input_tokens": 100000,
                    "max_output_tokens": 2000,
                    "supports_vision": None,
                    "litellm_provider": "databricks",
                    "mode": "chat",
                },
            },
            {"model_name": "acme-x", "model_info": {"max_input_tokens": None, "supports_vision": True}},
            {"model_name": "embed-1", "model_info": {"mode": "embedding", "litellm_provider": "openai"}},
            {"model_name": "mystery", "model_info": {"mode": "brand_new_mode"}},
        ]
    }
    client, models = await discovered(proxy)
    by_id = {m.id: m for m in models}
    assert set(by_id) == {"gpt-balanced", "acme-x", "mystery"}  # only the explicit non-chat mode is left out
    balanced = by_id["gpt-balanced"]
    assert balanced.context_window == 100000 and balanced.max_output_tokens == 2000
    assert not balanced.supports("prompt_cache_key")  # one deployment is Databricks
    assert balanced.images and balanced.provider == "databricks,openai"
    assert balanced.sources["reasoning"] == "pattern" and balanced.source == "model_info"
    assert balanced.input_cost_per_token == 1e-6
    acme = by_id["acme-x"]
    assert acme.images and acme.sources["images"] == "model_info"
    assert acme.context_window == 128_000 and acme.sources["context_window"] == "pattern"
    await client.aclose()


async def test_model_info_refused_falls_back_silently() -> None:
    proxy = FakeProxy(model_info_status=403)
    client, models = await discovered(proxy)
    assert all(m.source == "pattern" for m in models)
    await client.aclose()


async def test_stream_yields_typed_events_and_usage() -> None:
    proxy = FakeProxy()
    proxy.responses.append(
        lambda body: httpx.Response(
            200, headers={"x-litellm-response-cost": "0.002"}, stream=ChunkStream([text_stream("He", "llo")])
        )
    )
    client, models = await discovered(proxy)
    events = await collect(client, models[0])
    assert isinstance(events[0], ResponseStarted) and events[0].cost == 0.002
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["He", "llo"]
    done = events[-1]
    assert isinstance(done, Completed)
    assert (
        done.usage.input_tokens,
        done.usage.cached_tokens,
        done.usage.output_tokens,
        done.usage.reasoning_tokens,
    ) == (10, 4, 5, 1)
    await client.aclose()


async def test_request_body_is_filtered_per_model() -> None:
    proxy = FakeProxy()
    client, (gpt, opus) = await discovered(proxy)
    conv = conversation()
    await collect(client, gpt, conv)
    await collect(client, opus, conv)
    gpt_body, opus_body = proxy.response_bodies()
    assert gpt_body["prompt_cache_key"] == conv.id and gpt_body["store"] is False
    assert gpt_body["max_output_tokens"] == 8192 and gpt_body["stream"] is True
    assert gpt_body["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert "prompt_cache_key" not in opus_body and opus_body["store"] is False
    assert opus_body["input"][0] == {"role": "user", "content": "hi"}
    await client.aclose()


async def test_split_sse_and_reasoning_and_event_lines() -> None:
    raw = b'event: response.reasoning_summary_text.delta\ndata: {"delta":"think"}\n\n' + text_stream("a", "b")
    chunks = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    proxy = FakeProxy()
    proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream(chunks)))
    client, models = await discovered(proxy)
    events = await collect(client, models[0])
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["think"]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "ab"
    assert isinstance(events[-1], Completed)
    await client.aclose()


@pytest.mark.parametrize(
    "raw",
    [
        sse({"type": "response.output_text.delta", "delta": "part"}, done=True),  # [DONE] without terminal
        sse({"type": "response.output_text.delta", "delta": "part"}, done=False),  # connection just closes
    ],
)
async def test_stream_without_terminal_event_is_an_interruption(raw: bytes) -> None:
    proxy = FakeProxy()
    proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream([raw])))
    client, models = await discovered(proxy)
    events = await collect(client, models[0])
    last = events[-1]
    assert isinstance(last, Failed) and last.interrupted and last.partial_text == "part"
    await client.aclose()


async def test_connection_reset_mid_stream_keeps_partial_text() -> None:
    proxy = FakeProxy()
    raw = sse({"type": "response.output_text.delta", "delta": "half a rep"}, done=False)
    proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream([raw], fail_after=True)))
    client, models = await discovered(proxy)
    last = (await collect(client, models[0]))[-1]
    assert isinstance(last, Failed) and last.interrupted
    assert isinstance(last.error, ProxyConnectionError) and last.partial_text == "half a rep"
    await client.aclose()


async def test_malformed_json_event_fails_cleanly() -> None:
    proxy = FakeProxy()
    raw = sse({"type": "response.output_text.delta", "delta": "ok"}, "{not json", done=True)
    proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream([raw])))
    client, models = await discovered(proxy)
    last = (await collect(client, models[0]))[-1]
    assert isinstance(last, Failed) and last.partial_text == "ok" and isinstance(last.error, StreamError)
    await client.aclose()


async def test_incomplete_is_reported() -> None:
    proxy = FakeProxy()
    raw = sse(
        {"type": "response.output_text.delta", "delta": "x"},
        {
            "type": "response.incomplete",
            "response": {
                "incomplete_details": {"reason": "max_output_tokens"},
                "usage": {"output_tokens": 8192},
            },
        },
    )
    proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream([raw])))
    client, models = await discovered(proxy)
    last = (await collect(client, models[0]))[-1]
    assert isinstance(last, Incomplete) and last.reason == "max_output_tokens" and last.max_output_tokens == 8192
    await client.aclose()


async def test_unknown_event_types_are_ignored() -> None:
    proxy = FakeProxy()
    raw = sse(
        {"type": "response.future_thing", "x": 1},
        {"no_type": True},
        [1, 2],  # type: ignore[arg-type]
        {"type": "response.output_text.delta", "delta": "y"},
        {"type": "response.completed", "response": {}},
    )
    proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream([raw])))
    client, models = await discovered(proxy)
    events = await collect(client, models[0])
    assert [type(e).__name__ for e in events] == ["ResponseStarted", "TextDelta", "Completed"]
    await client.aclose()


async def test_rejected_parameter_is_dropped_retried_once_and_remembered() -> None:
    proxy = FakeProxy(models=["acme-large"])
    rejection = {
        "error": {
            "message": "litellm.BadRequestError: OpenAIException - Unsupported parameter: "
            "'prompt_cache_key' is not supported with this model.",
            "code": "400",
        }
    }

    def strict(body: dict[str, Any]) -> httpx.Response:
        if "prompt_cache_key" in body:
            return httpx.Response(400, json=rejection)
        return httpx.Response(200, stream=ChunkStream([text_stream("fine")]))

    proxy.responses.extend([strict, strict, strict])
    client, (model,) = await discovered(proxy)
    events = await collect(client, model)
    assert isinstance(events[-1], Completed)
    first, second = proxy.response_bodies()
    assert "prompt_cache_key" in first and "prompt_cache_key" not in second
    assert events[0].dropped_params == ("prompt_cache_key",)
    # remembered across runs
    assert "prompt_cache_key" in LearnedParams().rejected("http://proxy.test", "acme-large")
    client2, (model2,) = await discovered(proxy)
    assert not model2.supports("prompt_cache_key") and model2.sources["prompt_cache_key"] == "learned"
    await collect(client2, model2)
    assert "prompt_cache_key" not in proxy.response_bodies()[-1]
    await client.aclose()
    await client2.aclose()


async def test_rejection_never_loops() -> None:
    proxy = FakeProxy(models=["acme-large"])
    calls = []

    def always(body: dict[str, Any]) -> httpx.Response:
        calls.append(body)
        return httpx.Response(400, json={"error": {"message": "Unsupported parameter: 'store'"}})

    proxy.responses.extend([always] * 5)
    client, (model,) = await discovered(proxy)
    with pytest.raises(BadRequestError):
        await collect(client, model)
    assert len(calls) == 2
    await client.aclose()


def refusing(*fields: str, calls: list[dict[str, Any]] | None = None) -> Any:
    """An upstream that names the first of ``fields`` the body carries (OpenAI's structured 400)."""

    def answer(body: dict[str, Any]) -> httpx.Response:
        if calls is not None:
            calls.append(body)
        for name in fields:
            head, _, tail = name.partition(".")
            carried = head in body and (not tail or (isinstance(body[head], dict) and tail in body[head]))
            if carried:
                error = {"message": f"Unsupported parameter: '{name}'.", "param": name, "code": "unsupported_parameter"}
                return httpx.Response(400, json={"error": error})
        return httpx.Response(200, stream=ChunkStream([text_stream("fine")]))

    return answer


async def test_two_rejected_fields_succeed_on_the_first_send_and_both_are_remembered() -> None:
    proxy = FakeProxy(models=["acme-large"])
    calls: list[dict[str, Any]] = []
    proxy.responses.extend([refusing("store", "prompt_cache_key", calls=calls)] * 5)
    client, (model,) = await discovered(proxy)
    events = await collect(client, model)
    assert isinstance(events[-1], Completed) and len(calls) == 3
    assert set(events[0].dropped_params) == {"store", "prompt_cache_key"}
    assert LearnedParams().rejected("http://proxy.test", "acme-large") == {"store", "prompt_cache_key"}
    await client.aclose()


async def test_unverified_organisation_drops_only_the_reasoning_summary() -> None:
    proxy = FakeProxy(models=["gpt-5.2"])
    unverified = {
        "message": "Your organization must be verified to generate reasoning summaries.",
        "type": "invalid_request_error",
        "param": "reasoning.summary",
        "code": "unsupported_value",
    }
    calls: list[dict[str, Any]] = []

    def openai(body: dict[str, Any]) -> httpx.Response:
        calls.append(body)
        if "summary" in body.get("reasoning", {}):
            return httpx.Response(400, json={"error": unverified})
        return httpx.Response(200, stream=ChunkStream([text_stream("fine")]))

    proxy.responses.extend([openai] * 3)
    client, (model,) = await discovered(proxy)
    events = [e async for e in client.stream_response(model, conversation().to_request(), reasoning_effort="high")]
    assert isinstance(events[-1], Completed)
    assert [c["reasoning"] for c in calls] == [{"effort": "high", "summary": "auto"}, {"effort": "high"}]
    assert LearnedParams().rejected("http://proxy.test", "gpt-5.2") == {"reasoning_summary"}
    # remembered: the next send asks without the summary at once
    await collect(client, model)
    assert "summary" not in calls[-1]["reasoning"] and len(calls) == 3
    await client.aclose()


async def test_a_send_makes_at_most_four_requests() -> None:
    proxy = FakeProxy(models=["gpt-5.2"])
    calls: list[dict[str, Any]] = []
    proxy.responses.extend(
        [refusing("reasoning.summary", "store", "prompt_cache_key", "max_output_tokens", "instructions", calls=calls)]
        * 8
    )
    client, (model,) = await discovered(proxy, system_prompt="Be brief")
    with pytest.raises(BadRequestError):
        [e async for e in client.stream_response(model, conversation().to_request(), reasoning_effort="low")]
    assert len(calls) == MAX_ATTEMPTS_PER_SEND == 4
    await client.aclose()


@pytest.mark.parametrize(
    "answer",
    [
        {"error": {"message": "Invalid model name passed in model=x", "code": "400"}},
        {"error": {"message": "Unsupported parameter: 'input'.", "param": "input", "code": "unsupported_parameter"}},
        {"error": {"message": "This model's maximum context length is 8192 tokens", "code": "context_length_exceeded"}},
        {"error": {"message": "filtered: content management policy", "code": "content_filter", "param": "store"}},
        {
            "error": {
                "message": "Invalid 'input': string too long.",
                "param": "input",
                "code": "string_above_max_length",
            }
        },
    ],
)
async def test_a_400_that_is_not_about_a_droppable_field_is_never_retried(answer: dict[str, Any]) -> None:
    proxy = FakeProxy(models=["acme-large"])
    calls: list[dict[str, Any]] = []

    def refuse(body: dict[str, Any]) -> httpx.Response:
        calls.append(body)
        return httpx.Response(400, json=answer)

    proxy.responses.extend([refuse] * 3)
    client, (model,) = await discovered(proxy)
    with pytest.raises(ProxyError):
        await collect(client, model)
    assert len(calls) == 1 and LearnedParams().rejected("http://proxy.test", "acme-large") == frozenset()
    await client.aclose()


async def test_learned_belongs_to_its_proxy_and_a_config_override_wins() -> None:
    learned = LearnedParams()
    learned.record("http://proxy.test", "acme-large", "prompt_cache_key")
    learned.record("http://other.test", "acme-large", "store")
    proxy = FakeProxy(models=["acme-large"])
    proxy.responses.extend([refusing()] * 2)
    client, (model,) = await discovered(proxy, base_url="http://user:pw@PROXY.test")
    assert client.proxy_key == "http://proxy.test"
    assert model.sources["prompt_cache_key"] == "learned" and model.sources["store"] != "learned"
    await collect(client, model)
    assert "prompt_cache_key" not in proxy.response_bodies()[-1] and "store" in proxy.response_bodies()[-1]
    await client.aclose()
    forced = {"acme-large": ModelOverride(prompt_cache_key=True)}
    client, (model,) = await discovered(proxy, models=forced)
    assert model.sources["prompt_cache_key"] == "config"
    await collect(client, model)
    assert "prompt_cache_key" in proxy.response_bodies()[-1]
    await client.aclose()


async def test_error_statuses_map_to_typed_errors_and_redact_the_key() -> None:
    proxy = FakeProxy()
    proxy.responses.append(lambda b: httpx.Response(401, json={"error": {"message": f"bad key {KEY}"}}))
    proxy.responses.append(
        lambda b: httpx.Response(
            429,
            json={
                "error": {
                    "type": "rate_limit_exceeded",
                    "limit_type": "input_tokens_per_minute",
                    "limit": 200000,
                    "current": 200150,
                    "retry_after": 15,
                }
            },
        )
    )
    proxy.responses.append(
        lambda b: httpx.Response(
            502, text="<html><title>502 Bad Gateway</title></html>", headers={"content-type": "text/html"}
        )
    )
    client, models = await discovered(proxy)
    with pytest.raises(AuthenticationError) as auth:
        await collect(client, models[0])
    assert KEY not in str(auth.value) and KEY not in repr(auth.value.args)
    with pytest.raises(RateLimitError) as rate:
        await collect(client, models[0])
    assert rate.value.info.retry_after == 15 and rate.value.info.limit == 200000
    with pytest.raises(ServerError) as server:
        await collect(client, models[0])
    assert "502" in str(server.value) and "<html>" not in str(server.value)
    await client.aclose()


async def test_mid_stream_rate_limit_event() -> None:
    proxy = FakeProxy()
    raw = sse(
        {"type": "response.output_text.delta", "delta": "so far"},
        {
            "type": "response.failed",
            "response": {"error": {"code": "rate_limit_exceeded", "message": "Rate limit reached"}},
        },
    )
    proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream([raw])))
    client, models = await discovered(proxy)
    last = (await collect(client, models[0]))[-1]
    assert isinstance(last, Failed) and isinstance(last.error, RateLimitError) and last.partial_text == "so far"
    await client.aclose()


async def test_unreachable_proxy_is_a_connection_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    client = ProxyClient(settings(), transport=httpx.MockTransport(refuse))
    with pytest.raises(ProxyConnectionError, match="cannot connect"):
        await client.discover()
    await client.aclose()


async def test_unknown_model_hint() -> None:
    proxy = FakeProxy()
    client, _ = await discovered(proxy)
    with pytest.raises(UnknownModelError, match="--list-models"):
        client.find_model("nope")
    await client.aclose()


async def test_cancelling_the_consumer_closes_the_response() -> None:
    import anyio

    stream = None
    gate = anyio.Event()

    class Endless(httpx.AsyncByteStream):
        closed = False

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield sse({"type": "response.output_text.delta", "delta": "tick"}, done=False)
            gate.set()
            await anyio.sleep_forever()
            yield b""

        async def aclose(self) -> None:
            Endless.closed = True

    def handler(body: dict[str, Any]) -> httpx.Response:
        nonlocal stream
        stream = Endless()
        return httpx.Response(200, stream=stream)

    proxy = FakeProxy()
    proxy.responses.append(handler)
    client, models = await discovered(proxy)
    seen: list[Any] = []

    async def consume() -> None:
        async for event in client.stream_response(models[0], conversation().to_request()):
            seen.append(event)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await gate.wait()
        tg.cancel_scope.cancel()
    assert Endless.closed
    assert any(isinstance(e, TextDelta) for e in seen)
    await client.aclose()


def test_request_json_is_compact_enough() -> None:
    # the body is plain JSON (no pydantic models leak into it)
    from llmconsole.core.proxy.params import build_request

    model = ModelInfo(id="gpt-5.2", reasoning=True)
    body, dropped = build_request(model, conversation().to_request(), system_prompt="sys", reasoning_effort="high")
    assert json.loads(json.dumps(body))["instructions"] == "sys"
    assert dropped == ()


# -- property: whatever bytes the proxy streams, the stream ends with one terminal event --------------------

from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hsettings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HOSTILE_NUMBERS = [b"1e999", b"-1e999", b"-5", b"1" + b"0" * 400, b"0.5", b"NaN", b"-Infinity", b"true", b'"12"']
_HOSTILE_VALUES = [*_HOSTILE_NUMBERS, b"null", b"[]", b"{}", b'"x"', b'[{"type":"message","content":[1,null]}]']
_TEMPLATES = [
    b'{"type":"response.completed","response":{"usage":{"input_tokens":N,"output_tokens":N,'
    b'"input_tokens_details":{"cached_tokens":N},"output_tokens_details":{"reasoning_tokens":N},"cost":N}}}',
    b'{"type":"response.incomplete","response":{"incomplete_details":{"reason":N},"usage":{"output_tokens":N}}}',
    b'{"type":"response.completed","response":{"status":"incomplete","incomplete_details":N,"usage":N}}',
    b'{"type":"response.completed","response":{"output":N,"id":N}}',
    b'{"type":"response.failed","response":{"error":{"code":N,"message":N},"usage":{"output_tokens":N}}}',
    b'{"error":{"code":N,"message":"x","retry_after":N}}',
    b'{"type":"error","code":N,"message":N}',
    b'{"type":"response.output_text.done","text":N}',
    b'{"type":"response.refusal.delta","delta":N}',
    b'{"type":"response.refusal.done","refusal":N}',
    b'{"type":"response.output_text.delta","delta":N}',
]


def _frame(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


_hostile_events = st.builds(
    lambda template, value: _frame(template.replace(b"N", value)),
    st.sampled_from(_TEMPLATES),
    st.sampled_from(_HOSTILE_VALUES),
)
# Nesting deep enough that json.loads raises RecursionError, as a whole payload or inside an event.
_nested_events = st.builds(
    lambda depth, inside: _frame(
        b'{"type":"response.completed","response":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
        if inside
        else b"[" * depth + b"]" * depth
    ),
    st.sampled_from([10, 1_000, 100_000]),
    st.booleans(),
)
_non_objects = st.sampled_from([_frame(b'"a string"'), _frame(b"42"), _frame(b"[1, 2]"), _frame(b"null")])
_events = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b'data: {"type":"response.output_text.delta","delta":"x"}\n\n',
            b'data: {"type":"response.completed","response":{"usage":{"input_tokens":"NaN"}}}\n\n',
            b'data: {"type":"response.incomplete","response":null}\n\n',
            b'data: {"type":"response.failed","response":{"error":{"code":429}}}\n\n',
            b'data: {"error":{"message":"boom","code":"500"}}\n\n',
            b"data: [DONE]\n\n",
            b"data: {\n\n",
            b'data: {"type":["list"]}\n\n',
        ]
    ),
    _hostile_events,
    _nested_events,
    _non_objects,
)


def _sane(usage: Usage | None) -> bool:
    if usage is None:
        return True
    counts = (usage.input_tokens, usage.cached_tokens, usage.output_tokens, usage.reasoning_tokens)
    cost_ok = usage.cost is None or (math.isfinite(usage.cost) and usage.cost >= 0)
    return all(type(n) is int and 0 <= n < MAX_TOKEN_COUNT for n in counts) and cost_ok


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_events, max_size=12), st.booleans())
def test_any_stream_ends_with_exactly_one_terminal_event(chunks: list[bytes], reset: bool) -> None:
    """Hostile numbers (1e999, 10**400, NaN, negatives), deep nesting and non-object payloads never escape as
    untyped exceptions; the stream ends with exactly one terminal event whose usage is sane."""
    import anyio

    from llmconsole.core.errors import LLMConsoleError

    async def scenario() -> None:
        proxy = FakeProxy()
        proxy.responses.append(lambda body: httpx.Response(200, stream=ChunkStream(chunks, fail_after=reset)))
        client = ProxyClient(settings(), transport=proxy.transport(), learned=LearnedParams())
        client.models = [ModelInfo(id="gpt-5.2", input_cost_per_token=1e-6, output_cost_per_token=1e-5)]
        try:
            with anyio.fail_after(5):
                events = await collect(client, client.models[0])
        except LLMConsoleError:
            return
        finally:
            await client.aclose()
        terminals = [e for e in events if isinstance(e, Completed | Incomplete | Failed)]
        assert len(terminals) == 1 and events[-1] is terminals[0]
        assert all(_sane(e.usage) for e in terminals)
        assert all(isinstance(e.text, str) and e.text for e in events if isinstance(e, TextDelta | RefusalDelta))

    anyio.run(scenario)


# -- the delta fast path agrees with json.loads ------------------------------------------------------------


@hsettings(max_examples=400, deadline=None)
@given(
    st.text(max_size=40),
    st.dictionaries(
        st.sampled_from(["item_id", "logprobs", "model", "x"]),
        st.text(max_size=8) | st.lists(st.integers(), max_size=2),
        max_size=3,
    ),
    st.booleans(),
)
def test_fast_delta_matches_json(text: str, extra: dict[str, Any], delta_first: bool) -> None:
    from llmconsole.core.proxy.client import _fast_delta

    event: dict[str, Any] = {"type": "response.output_text.delta"}
    if delta_first:
        event["delta"] = text
        event.update(extra)
    else:
        event.update(extra)
        event["delta"] = text
    for ensure_ascii in (True, False):
        data = json.dumps(event, separators=(",", ":"), ensure_ascii=ensure_ascii).encode()
        fast = _fast_delta(data)
        assert fast is None or fast == json.loads(data)["delta"]


def test_fast_delta_handles_the_real_litellm_capture() -> None:
    from pathlib import Path

    from llmconsole.core.proxy.client import _fast_delta

    for name in ("litellm_gpt_stream.sse", "litellm_databricks_stream.sse"):
        fast_hits = 0
        for line in (Path(__file__).parent.parent / "data" / name).read_bytes().splitlines():
            if b"output_text.delta" in line:
                data = line[6:]
                fast = _fast_delta(data)
                assert fast is None or fast == json.loads(data)["delta"]
                fast_hits += fast is not None
        assert fast_hits > 0  # the real LiteLLM framing takes the fast path
