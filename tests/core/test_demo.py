"""The in-process demo backend behaves like a LiteLLM proxy: discovery, strict validation, SSE, headers."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from llmconsole.core.config import DEMO_BASE_URL
from llmconsole.core.demo import (
    DEFAULT_DEMO_MODEL,
    DEMO_MODELS,
    DEMO_WORDS,
    RATE_LIMITED_MODEL,
    DemoStream,
    DemoTransport,
    make_demo_transport,
)
from llmconsole.core.proxy.models import NON_CHAT_MODES

pytestmark = pytest.mark.anyio


def decode_sse(raw: bytes) -> list[dict[str, Any] | str]:
    """Split on blank lines, strip ``data: ``; JSON payloads as dicts, ``[DONE]`` as the string."""
    events: list[dict[str, Any] | str] = []
    for block in raw.decode("utf-8").split("\n\n"):
        if not block:
            continue
        assert block.startswith("data: "), block
        assert "\nevent:" not in block and not block.startswith("event:")
        data = block.removeprefix("data: ")
        events.append(data if data == "[DONE]" else json.loads(data))
    return events


def of_type(events: list[dict[str, Any] | str], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if isinstance(e, dict) and e["type"] == kind]


def text_of(events: list[dict[str, Any] | str], kind: str = "response.output_text.delta") -> str:
    return "".join(e["delta"] for e in of_type(events, kind))


@pytest.fixture
def transport() -> DemoTransport:
    return make_demo_transport(delta_delay=0)


@pytest.fixture
async def client(transport: DemoTransport) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=transport, base_url=DEMO_BASE_URL, headers={"Authorization": "Bearer demo-key"}
    ) as http:
        yield http


def body(prompt: str | list[dict[str, Any]], model: str = DEFAULT_DEMO_MODEL, **extra: Any) -> dict[str, Any]:
    return {"model": model, "input": prompt, "stream": True, "store": False, **extra}


async def stream(client: httpx.AsyncClient, payload: dict[str, Any]) -> tuple[httpx.Response, bytes]:
    async with client.stream("POST", "/v1/responses", json=payload) as response:
        raw = await response.aread()
    return response, raw


# -- discovery ---------------------------------------------------------------------------------------


async def test_models_list_has_every_badge_and_default_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/models")
    assert response.status_code == 200
    payload = response.json()
    assert payload["object"] == "list"
    ids = [m["id"] for m in payload["data"]]
    assert ids[0] == DEFAULT_DEMO_MODEL == "demo-gpt-5"
    assert len(ids) == len(set(ids))
    assert all(i.startswith("demo-") for i in ids)
    assert {"demo-claude-opus-4-6", "demo-gemini-2-flash", "demo-text-embedding", RATE_LIMITED_MODEL} <= set(ids)
    assert all(m["object"] == "model" and m["owned_by"] == "openai" and m["created"] > 0 for m in payload["data"])
    # Without /v1 too, the way some clients call it.
    assert (await client.get("/models")).json() == payload


@pytest.mark.parametrize("path", ["/v1/model/info", "/model/info"])
async def test_model_info_shape(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    entries = response.json()["data"]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        assert set(entry) >= {"model_name", "litellm_params", "model_info"}
        assert "/" in entry["litellm_params"]["model"]
        info = entry["model_info"]
        for key in (
            "max_input_tokens",
            "max_output_tokens",
            "supports_vision",
            "supports_reasoning",
            "litellm_provider",
            "mode",
            "input_cost_per_token",
            "output_cost_per_token",
            "cache_read_input_token_cost",
        ):
            assert key in info, (entry["model_name"], key)
        by_name.setdefault(entry["model_name"], []).append(info)

    gpt = by_name["demo-gpt-5"][0]
    assert gpt["supports_reasoning"] and gpt["supports_vision"]
    assert gpt["max_input_tokens"] == 200_000 and gpt["max_output_tokens"] == 8192
    assert gpt["litellm_provider"] == "openai"
    assert by_name["demo-claude-opus-4-6"][0]["litellm_provider"] == "databricks"
    assert by_name["demo-gemini-2-flash"][0]["max_input_tokens"] >= 1_000_000
    llama = by_name["demo-llama-3-70b"][0]
    assert llama["supports_vision"] is False and llama["input_cost_per_token"] is None
    assert by_name["demo-text-embedding"][0]["mode"] in NON_CHAT_MODES
    # One name balancing over two deployments, one of which is Databricks.
    haiku = by_name["demo-claude-haiku-4-5"]
    assert len(haiku) == 2 and {d["litellm_provider"] for d in haiku} == {"databricks", "anthropic"}
    # Every model listed has an entry.
    listed = {m["id"] for m in (await client.get("/v1/models")).json()["data"]}
    assert listed == set(by_name)


async def test_key_info(client: httpx.AsyncClient, transport: DemoTransport) -> None:
    info = (await client.get("/key/info")).json()["info"]
    assert info["key_alias"] == "demo-key"
    assert info["spend"] == pytest.approx(0.42)
    assert info["max_budget"] == 10.0
    await stream(client, body("hello"))
    later = (await client.get("/key/info")).json()["info"]
    assert later["spend"] > info["spend"]
    assert later["spend"] == pytest.approx(transport.key_spend, abs=1e-6)


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/nothing")).status_code == 404
    assert (await client.get("/v1/responses")).status_code == 405


# -- a streamed reply ----------------------------------------------------------------------------------


async def test_streamed_reply_parses(client: httpx.AsyncClient) -> None:
    response, raw = await stream(client, body("hello", reasoning={"effort": "low", "summary": "auto"}))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = decode_sse(raw)
    assert events[-1] == "[DONE]"
    assert isinstance(events[0], dict) and events[0]["type"] == "response.created"
    types = [e["type"] for e in events if isinstance(e, dict)]
    assert types.index("response.reasoning_summary_text.delta") < types.index("response.output_text.delta")
    assert "response.output_item.added" in types

    reasoning = text_of(events, "response.reasoning_summary_text.delta")
    assert "demo" in reasoning
    text = text_of(events)
    assert of_type(events, "response.output_text.done")[0]["text"] == text
    deltas = of_type(events, "response.output_text.delta")
    assert len(deltas) > 50  # word-sized pieces
    assert max(len(d["delta"]) for d in deltas) < 60
    assert {"item_id", "output_index", "content_index"} <= set(deltas[0])

    # The default reply is real Markdown, says it is a demo, shows the badges and names the demo words.
    assert text.startswith("# ")
    assert "**demo**" in text and "\n- " in text and "```python" in text and "*LiteLLM proxy*" in text
    assert "| `demo-claude-opus-4-6` |" in text and "no prompt_cache_key" in text
    for word in DEMO_WORDS:
        assert f"**{word}**" in text

    completed = of_type(events, "response.completed")[0]["response"]
    assert completed["status"] == "completed"
    usage = completed["usage"]
    assert set(usage) == {
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens",
    }
    assert usage["output_tokens"] >= len(text) // 4
    assert usage["output_tokens_details"]["reasoning_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


async def test_non_reasoning_model_has_no_reasoning_summary(client: httpx.AsyncClient) -> None:
    _, raw = await stream(client, body("hello", model="demo-llama-3-70b"))
    events = decode_sse(raw)
    assert not of_type(events, "response.reasoning_summary_text.delta")
    assert of_type(events, "response.output_text.delta")[0]["output_index"] == 0
    usage = of_type(events, "response.completed")[0]["response"]["usage"]
    assert usage["output_tokens_details"]["reasoning_tokens"] == 0


@pytest.mark.parametrize(
    ("prompt", "marker"),
    [("show me some code", "```bash"), ("a table please", "| Header |"), ("something long", "## The end")],
)
async def test_demo_words_choose_the_reply(client: httpx.AsyncClient, prompt: str, marker: str) -> None:
    _, raw = await stream(client, body(prompt, model="demo-gemini-2-flash"))
    text = text_of(decode_sse(raw))
    assert marker in text
    assert "Welcome to the llmconsole demo" not in text


async def test_long_reply_is_about_8kb(client: httpx.AsyncClient) -> None:
    _, raw = await stream(client, body("long"))
    text = text_of(decode_sse(raw))
    assert 7_000 <= len(text.encode()) <= 12_000
    assert text.count("\n## ") >= 6


async def test_image_input_is_acknowledged(client: httpx.AsyncClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 92
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    items = [{"role": "user", "content": [{"type": "input_text", "text": "what is this?"}]}]
    items[0]["content"].append({"type": "input_image", "image_url": url})
    _, raw = await stream(client, body(items, model="demo-claude-haiku-4-5"))
    assert "received an image of 100 bytes (image/png)" in text_of(decode_sse(raw))

    refused, raw = await stream(client, body(items, model="demo-llama-3-70b"))
    assert refused.status_code == 400
    assert "image" in json.loads(raw)["error"]["message"]


async def test_non_streamed_request_returns_a_response_object(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/responses", json={**body("table"), "stream": False})
    assert response.status_code == 200
    payload = response.json()
    assert payload["object"] == "response" and payload["status"] == "completed"
    assert "| Header |" in payload["output"][-1]["content"][0]["text"]


# -- errors before the first byte ----------------------------------------------------------------------


async def test_ratelimited_model_answers_429_with_structured_body(client: httpx.AsyncClient) -> None:
    response, raw = await stream(client, body("hello", model=RATE_LIMITED_MODEL))
    assert response.status_code == 429
    assert response.headers["llm_provider-retry-after"] == "15"
    error = json.loads(raw)["error"]
    assert error["code"] == "429"
    message = error["message"]
    assert message.startswith("litellm.RateLimitError: DatabricksException - ")
    inner = json.loads(message.split(" - ", 1)[1])["error"]
    assert inner["type"] == "rate_limit_exceeded"
    assert inner["limit_type"] == "input_tokens_per_minute"
    assert (inner["limit"], inner["current"], inner["retry_after"], inner["code"]) == (
        200000,
        200150,
        15,
        429,
    )


async def test_databricks_model_rejects_prompt_cache_key(client: httpx.AsyncClient, transport: DemoTransport) -> None:
    response, raw = await stream(client, body("hello", model="demo-claude-opus-4-6", prompt_cache_key="conv-1"))
    assert response.status_code == 400
    error = json.loads(raw)["error"]
    assert error["code"] == "400" and error["type"] is None and error["param"] is None
    assert error["message"].startswith("litellm.BadRequestError: DatabricksException - ")
    inner = json.loads(error["message"].split(" - ", 1)[1])
    assert inner == {
        "error_code": "BAD_REQUEST",
        "message": "prompt_cache_key: Extra inputs are not permitted",
    }
    # Without the parameter the same model answers, and an openai-backed model accepts it.
    ok, _ = await stream(client, body("hello", model="demo-claude-opus-4-6"))
    assert ok.status_code == 200
    ok, _ = await stream(client, body("hello", prompt_cache_key="conv-1"))
    assert ok.status_code == 200
    assert transport.requests[-1]["prompt_cache_key"] == "conv-1"


async def test_unknown_model_is_a_litellm_400(client: httpx.AsyncClient) -> None:
    response, raw = await stream(client, body("hello", model="xyz"))
    assert response.status_code == 400
    error = json.loads(raw)["error"]
    assert error["code"] == "400"
    assert "Invalid model name passed in model=xyz" in error["message"]
    assert "Call `/v1/models` to view available models for your key." in error["message"]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"input": "hi", "stream": True}, "model"),
        ({"model": DEFAULT_DEMO_MODEL, "stream": True}, "input"),
        ({"model": "demo-text-embedding", "input": "hi", "stream": True}, "embedding"),
        ({"model": DEFAULT_DEMO_MODEL, "input": [{"content": "no role"}], "stream": True}, "role"),
    ],
)
async def test_invalid_requests_are_400(client: httpx.AsyncClient, payload: dict[str, Any], needle: str) -> None:
    response = await client.post("/v1/responses", json=payload)
    assert response.status_code == 400
    assert needle in response.json()["error"]["message"]


async def test_context_overflow_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/responses", json=body("x" * (4 * 128_000 + 8), model="demo-llama-3-70b"))
    assert response.status_code == 400
    assert "maximum context length is 128000 tokens" in response.json()["error"]["message"]


# -- endings -------------------------------------------------------------------------------------------


async def test_cut_breaks_mid_stream(client: httpx.AsyncClient) -> None:
    received: list[bytes] = []
    async with client.stream("POST", "/v1/responses", json=body("please cut this reply")) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.ReadError):
            async for chunk in response.aiter_raw():
                received.append(chunk)
    events = decode_sse(b"".join(received))
    assert len(of_type(events, "response.output_text.delta")) > 5
    assert not of_type(events, "response.completed") and "[DONE]" not in events


async def test_error_word_also_breaks(client: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ReadError):
        await stream(client, body("show an ERROR"))


async def test_truncate_ends_with_response_incomplete(client: httpx.AsyncClient) -> None:
    _, raw = await stream(client, body("truncate"))
    events = decode_sse(raw)
    assert events[-1] == "[DONE]"
    assert not of_type(events, "response.completed")
    incomplete = of_type(events, "response.incomplete")
    assert len(incomplete) == 1
    final = incomplete[0]["response"]
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["usage"]["output_tokens"] > 0
    # Less than the full default reply was sent.
    _, full = await stream(client, body("hello"))
    assert len(text_of(events)) < len(text_of(decode_sse(full)))


async def test_small_max_output_tokens_truncates(client: httpx.AsyncClient) -> None:
    _, raw = await stream(client, body("hello", model="demo-llama-3-70b", max_output_tokens=50))
    events = decode_sse(raw)
    assert of_type(events, "response.incomplete")
    assert len(text_of(events)) <= 50 * 4


# -- pacing and cancellation ---------------------------------------------------------------------------


async def test_closing_the_response_stops_the_iterator() -> None:
    transport = make_demo_transport(delta_delay=0.005)
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_BASE_URL) as client:
        async with client.stream("POST", "/v1/responses", json=body("long")) as response:
            (demo_stream,) = transport.open_streams
            assert isinstance(demo_stream, DemoStream)
            seen = 0
            async for _ in response.aiter_raw():
                seen += 1
                if seen == 5:
                    break
            sent_at_close = demo_stream.chunks_sent
        # Leaving the block closed the response: the generator is finished, nothing more is produced.
        assert demo_stream.closed
        assert transport.open_streams == set()
        assert sent_at_close == 5
        with pytest.raises(StopAsyncIteration):
            await demo_stream.__aiter__().__anext__()
        assert demo_stream.chunks_sent == sent_at_close


async def test_cancelling_the_consumer_closes_the_stream() -> None:
    transport = make_demo_transport(delta_delay=0.05)
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_BASE_URL) as client:
        with anyio.move_on_after(0.2) as scope:
            async with client.stream("POST", "/v1/responses", json=body("long")) as response:
                (demo_stream,) = transport.open_streams
                async for _ in response.aiter_raw():
                    pass
        assert scope.cancelled_caught
        assert demo_stream.closed and transport.open_streams == set()
        assert 0 < demo_stream.chunks_sent < 100


async def test_streaming_is_paced(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)

    monkeypatch.setattr("llmconsole.core.demo.anyio.sleep", fake_sleep)
    transport = make_demo_transport(delta_delay=0.01)
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_BASE_URL) as client:
        _, raw = await stream(client, body("hello", model="demo-llama-3-70b"))
    deltas = of_type(decode_sse(raw), "response.output_text.delta")
    assert len(sleeps) >= len(deltas)
    assert all(s == pytest.approx(0.01 * 1.2) for s in sleeps)


async def test_zero_delay_never_sleeps(monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient) -> None:
    async def forbidden(delay: float) -> None:
        raise AssertionError("slept with delta_delay=0")

    monkeypatch.setattr("llmconsole.core.demo.anyio.sleep", forbidden)
    response, _ = await stream(client, body("hello"))
    assert response.status_code == 200


def test_default_delay_is_about_80_deltas_a_second() -> None:
    assert 60 <= 1 / make_demo_transport().delta_delay <= 100
    with pytest.raises(ValueError):
        DemoTransport(delta_delay=-1)


# -- headers -------------------------------------------------------------------------------------------


async def test_quota_headers_decrease_and_cost_and_spend(client: httpx.AsyncClient) -> None:
    first, _ = await stream(client, body("hello"))
    second, _ = await stream(client, body("hello again"))
    for response in (first, second):
        for name in (
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-limit-requests",
            "x-litellm-response-cost",
            "x-litellm-key-spend",
        ):
            assert name in response.headers, name
    h1, h2 = first.headers, second.headers
    assert int(h2["x-ratelimit-remaining-requests"]) == int(h1["x-ratelimit-remaining-requests"]) - 1
    assert int(h2["x-ratelimit-remaining-tokens"]) < int(h1["x-ratelimit-remaining-tokens"])
    assert h1["x-ratelimit-limit-tokens"] == h2["x-ratelimit-limit-tokens"]
    assert float(h1["x-litellm-response-cost"]) > 0
    spend1, spend2 = float(h1["x-litellm-key-spend"]), float(h2["x-litellm-key-spend"])
    assert spend2 == pytest.approx(spend1 + float(h2["x-litellm-response-cost"]), abs=1e-5)


async def test_quota_is_per_model_and_refills_after_the_window() -> None:
    now = [1000.0]
    transport = DemoTransport(delta_delay=0, clock=lambda: now[0])
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_BASE_URL) as client:
        a, _ = await stream(client, body("hi"))
        b, _ = await stream(client, body("hi", model="demo-claude-haiku-4-5"))
        assert a.headers["x-ratelimit-remaining-requests"] == str(int(a.headers["x-ratelimit-limit-requests"]) - 1)
        assert b.headers["x-ratelimit-remaining-requests"] == str(int(b.headers["x-ratelimit-limit-requests"]) - 1)
        now[0] += 61
        c, _ = await stream(client, body("hi"))
        assert c.headers["x-ratelimit-remaining-requests"] == a.headers["x-ratelimit-remaining-requests"]


async def test_unknown_prices_send_no_cost(client: httpx.AsyncClient) -> None:
    response, _ = await stream(client, body("hi", model="demo-llama-3-70b"))
    assert "x-litellm-response-cost" not in response.headers
    assert "x-litellm-key-spend" in response.headers


async def test_prompt_cache_key_gives_cached_tokens_on_the_next_turn(client: httpx.AsyncClient) -> None:
    turn = [{"role": "user", "content": "hello " * 200}]
    _, raw1 = await stream(client, body(turn, prompt_cache_key="c1"))
    turn += [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "more"}]
    _, raw2 = await stream(client, body(turn, prompt_cache_key="c1"))
    usage1 = of_type(decode_sse(raw1), "response.completed")[0]["response"]["usage"]
    usage2 = of_type(decode_sse(raw2), "response.completed")[0]["response"]["usage"]
    assert usage1["input_tokens_details"]["cached_tokens"] == 0
    assert usage2["input_tokens_details"]["cached_tokens"] == usage1["input_tokens"] > 0


def test_demo_models_cover_every_badge() -> None:
    chat = [m for m in DEMO_MODELS if m.mode != "embedding"]
    assert any(m.reasoning for m in chat) and any(m.vision for m in chat)
    assert any(not m.vision and not m.reasoning for m in chat)
    assert any(not m.accepts_prompt_cache_key for m in chat)
    assert any(m.input_cost is None for m in chat)
    assert any((m.max_input_tokens or 0) >= 1_000_000 for m in chat)
    assert any(m.mode == "embedding" for m in DEMO_MODELS)
