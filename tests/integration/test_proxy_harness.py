"""Prove the harness (real LiteLLM proxy + fake upstream) and pin down what LiteLLM 1.99.4 does.

Each finding documented in ``tests/proxy/litellm_proxy.py`` (and docs/litellm-findings.md) is asserted here
with raw httpx, so a LiteLLM upgrade that changes behaviour the client relies on fails loudly.
Set ``LLMCONSOLE_UPDATE_CAPTURES=1`` to rewrite ``tests/data/litellm_*_stream.sse`` from the live proxy.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.proxy.fake_upstream import RATELIMIT_HEADERS, Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, UPSTREAM_KEY, LiteLLMProxy

pytestmark = pytest.mark.proxy

DATA = Path(__file__).resolve().parents[1] / "data"
GPT = "gpt-5.2"
CLAUDE = "claude-opus-4-6"
CHAT_MODELS = [
    "gpt-5.2",
    "claude-opus-4-6",
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "gemini-2-5-pro",
    "acme-large",
]
ALL_NAMES = [*CHAT_MODELS, "text-embedding-3-small", "gpt-balanced", "ratelimited-model"]
SUFFIX = "Available Model Group Fallbacks=None"


# ---- helpers ---------------------------------------------------------------------------------------


def post_responses(proxy: LiteLLMProxy, body: dict[str, Any], *, timeout: float = 30.0) -> tuple[httpx.Response, str]:
    """POST /v1/responses and read the whole body (stream or not) as text."""
    with (
        httpx.Client(base_url=proxy.base_url, headers=proxy.auth_headers, timeout=timeout) as c,
        c.stream("POST", "/v1/responses", json=body) as r,
    ):
        raw = r.read().decode()
    return r, raw


def data_lines(raw: str) -> list[str]:
    return [line.removeprefix("data: ") for line in raw.split("\n") if line.startswith("data: ")]


def events(raw: str) -> list[dict[str, Any]]:
    return [json.loads(d) for d in data_lines(raw) if d != "[DONE]"]


def types(raw: str) -> list[str]:
    return [e.get("type", "<error>" if "error" in e else "?") for e in events(raw)]


def text_of(raw: str) -> str:
    return "".join(e["delta"] for e in events(raw) if e.get("type") == "response.output_text.delta")


def error_message(r: httpx.Response, raw: str) -> str:
    body = json.loads(raw)
    assert set(body) == {"error"}, body
    msg = body["error"]["message"]
    assert isinstance(msg, str)
    assert body["error"]["code"] == str(r.status_code)
    return msg


# ---- harness itself --------------------------------------------------------------------------------


def test_proxy_started_quickly_and_is_alive(proxy: LiteLLMProxy) -> None:
    assert proxy.is_running()
    assert proxy.base_url.startswith("http://127.0.0.1:")
    assert proxy.start_seconds > 0
    assert proxy.log_path.exists()
    with proxy.client() as c:
        assert c.get("/health/liveliness").status_code == 200


def test_upstream_scripts_counts_and_reset(upstream: FakeUpstream) -> None:
    upstream.script("m", Behaviour.bare_429(times=2), Behaviour.reply("second", deltas=1))
    with httpx.Client(base_url=upstream.base_url) as c:
        codes = [c.post("/v1/responses", json={"model": "m", "input": "x"}).status_code for _ in range(4)]
        assert codes == [429, 429, 200, 200]
        last = c.post("/v1/responses", json={"model": "m", "input": "x"}).json()
        assert last["output"][0]["content"][0]["text"] == "second"
        assert len(upstream.requests_for("m")) == 5
        assert upstream.requests_for("m")[0].headers["content-type"] == "application/json"
        upstream.reset()
        assert upstream.received == []
        default = c.post("/v1/responses", json={"model": "m", "input": "x"}).json()
        assert default["status"] == "completed"


def test_upstream_stall_is_released(upstream: FakeUpstream) -> None:
    upstream.script("s", Behaviour.stall(after=1, timeout=30))
    deltas_before_release = 0
    released_at = 0.0
    with (
        httpx.Client(base_url=upstream.base_url, timeout=10) as c,
        c.stream("POST", "/v1/responses", json={"model": "s", "input": "x", "stream": True}) as r,
    ):
        lines = r.iter_lines()
        for line in lines:
            if line.startswith("data: ") and '"response.output_text.delta"' in line:
                deltas_before_release += 1
                released_at = time.monotonic()
                upstream.release()
                break
        rest = list(lines)
    assert deltas_before_release == 1
    assert time.monotonic() - released_at < 5
    assert any('"response.completed"' in line for line in rest)


def test_no_retry_and_no_cooldown_after_429(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    """num_retries 0 + disable_cooldowns: one upstream call per 429, and the next request goes through."""
    upstream.script("ratelimited-model", Behaviour.rate_limit(retry_after_header=15, times=3))
    for _ in range(3):
        r, _raw = post_responses(proxy, {"model": "ratelimited-model", "input": "hi"})
        assert r.status_code == 429
    r, raw = post_responses(proxy, {"model": "ratelimited-model", "input": "hi"})
    assert r.status_code == 200, raw
    assert len(upstream.requests_for("ratelimited-model")) == 4


# ---- 1. /v1/models and authentication -------------------------------------------------------------


def test_models_list_shape(proxy: LiteLLMProxy) -> None:
    with proxy.client() as c:
        r = c.get("/v1/models")
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list"
    ids = [m["id"] for m in body["data"]]
    assert ids == ALL_NAMES  # config order; a name with two deployments is listed once
    by_id = {m["id"]: m for m in body["data"]}
    assert by_id[GPT] == {
        "id": GPT,
        "object": "model",
        "created": 1677610602,
        "owned_by": "openai",
        "mode": "chat",
        "max_input_tokens": 272000,
        "max_output_tokens": 128000,
    }
    assert by_id[CLAUDE]["owned_by"] == "openai"  # always "openai", whatever the provider
    assert by_id["text-embedding-3-small"]["mode"] == "embedding"
    # models unknown to LiteLLM's cost map: no mode / token limits at all
    assert set(by_id["acme-large"]) == {"id", "object", "created", "owned_by"}
    assert set(by_id["gemini-2-5-pro"]) == {"id", "object", "created", "owned_by"}
    assert by_id["gpt-balanced"]["max_input_tokens"] == 128000  # first deployment's model_info


def test_models_without_key_is_401(proxy: LiteLLMProxy) -> None:
    r = httpx.get(f"{proxy.base_url}/v1/models")
    assert r.status_code == 401
    assert r.json() == {
        "error": {
            "message": "Authentication Error, No api key passed in.",
            "type": "auth_error",
            "param": "None",
            "code": "401",
        }
    }


def test_models_wrong_key_without_database(proxy: LiteLLMProxy) -> None:
    wrong = "sk-wrong-key-SECRET-42"
    r = httpx.get(f"{proxy.base_url}/v1/models", headers={"Authorization": f"Bearer {wrong}"})
    # No DATABASE_URL: any non-master key is answered 400 "No connected db." (not 401); key not echoed.
    assert r.status_code == 400
    assert r.json() == {
        "error": {"message": "No connected db.", "type": "no_db_connection", "param": None, "code": "400"}
    }
    assert wrong not in r.text
    # The same on /v1/responses
    r2 = httpx.post(
        f"{proxy.base_url}/v1/responses",
        headers={"Authorization": f"Bearer {wrong}"},
        json={"model": GPT, "input": "hi"},
    )
    assert r2.status_code == 400 and r2.json()["error"]["type"] == "no_db_connection"
    # A key without the "Bearer " prefix
    r3 = httpx.get(f"{proxy.base_url}/v1/models", headers={"Authorization": wrong})
    assert r3.status_code == 401
    assert r3.json()["error"]["message"].startswith("Authentication Error, Malformed API Key passed in.")
    assert wrong not in r3.text
    # x-api-key is accepted as well
    r4 = httpx.get(f"{proxy.base_url}/v1/models", headers={"x-api-key": MASTER_KEY})
    assert r4.status_code == 200


# ---- 2. /model/info ---------------------------------------------------------------------------------


def test_model_info_shapes(proxy: LiteLLMProxy) -> None:
    with proxy.client() as c:
        a = c.get("/v1/model/info")
        b = c.get("/model/info")
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json()
    data = a.json()["data"]
    assert list(a.json()) == ["data"]
    assert [e["model_name"] for e in data] == [*ALL_NAMES[:8], "gpt-balanced", "ratelimited-model"]
    for e in data:
        assert set(e) >= {"model_name", "litellm_params", "model_info"}
        assert "api_key" not in e["litellm_params"]  # the upstream key is not exposed
        assert UPSTREAM_KEY not in json.dumps(e)
    by = {e["model_name"]: e for e in data}
    gpt = by[GPT]
    assert gpt["litellm_params"]["model"] == "openai/gpt-5.2"
    mi = gpt["model_info"]
    assert {k: mi[k] for k in ("max_input_tokens", "max_output_tokens", "max_tokens", "mode", "litellm_provider")} == {
        "max_input_tokens": 272000,
        "max_output_tokens": 128000,
        "max_tokens": 128000,
        "mode": "chat",
        "litellm_provider": "openai",
    }
    assert mi["supports_vision"] is True and mi["supports_reasoning"] is True
    assert mi["input_cost_per_token"] == 1.75e-06
    assert mi["output_cost_per_token"] == 1.4e-05
    assert mi["cache_read_input_token_cost"] == 1.75e-07
    assert isinstance(mi["id"], str) and len(mi["id"]) == 64
    assert "prompt_cache_key" in mi["supported_openai_params"]

    claude = by[CLAUDE]["model_info"]
    assert by[CLAUDE]["litellm_params"]["model"] == "databricks/databricks-claude-opus-4-6"
    assert claude["litellm_provider"] == "databricks"
    assert claude["max_input_tokens"] == 1000000 and claude["mode"] == "chat"
    assert claude["input_cost_per_token"] == 5e-06 and claude["output_cost_per_token"] == 2.5e-05
    assert "prompt_cache_key" not in claude["supported_openai_params"]
    assert "store" not in claude["supported_openai_params"]
    assert by["claude-haiku-4-5"]["model_info"]["supports_vision"] is None  # cost map says nothing
    assert by["gemini-2-5-pro"]["model_info"]["supports_reasoning"] is None

    # Unknown to the cost map: mode / limits None, but prices are 0 (NOT None): treat as unknown.
    acme = by["acme-large"]["model_info"]
    assert acme["mode"] is None and acme["max_input_tokens"] is None and acme["max_tokens"] is None
    assert acme["input_cost_per_token"] == 0 and acme["output_cost_per_token"] == 0
    assert acme["litellm_provider"] == "openai"

    assert by["text-embedding-3-small"]["model_info"]["mode"] == "embedding"

    balanced = [e for e in data if e["model_name"] == "gpt-balanced"]
    assert [e["litellm_params"]["model"] for e in balanced] == [
        "openai/gpt-balanced",
        "databricks/databricks-gpt-balanced",
    ]
    assert [e["model_info"]["max_input_tokens"] for e in balanced] == [128000, 64000]
    assert balanced[0]["model_info"]["id"] != balanced[1]["model_info"]["id"]


# ---- 3. streamed /v1/responses ---------------------------------------------------------------------

GPT_TYPES = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def test_stream_gpt_native(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(GPT, Behaviour(text="Hello **world**!", deltas=3))
    r, raw = post_responses(proxy, {"model": GPT, "input": "Say hi", "stream": True})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert "event:" not in raw  # data-only SSE
    assert raw.endswith("data: [DONE]\n\n")
    assert types(raw) == GPT_TYPES
    assert text_of(raw) == "Hello **world**!"
    evs = events(raw)
    assert all(e["model"] == GPT for e in evs)
    assert [e.get("sequence_number") for e in evs[2:]] == list(range(2, 11))
    done = evs[-1]["response"]
    assert done["status"] == "completed"
    assert done["id"].startswith("resp_") and len(done["id"]) > 100  # LiteLLM-encoded id
    assert done["usage"] == {
        "input_tokens": done["usage"]["input_tokens"],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 2,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": done["usage"]["input_tokens"] + 2,
    }
    assert done["output"][0]["content"][0]["text"] == "Hello **world**!"


def test_stream_gpt_reasoning_summary(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(GPT, Behaviour(text="Hi!", deltas=2, reasoning="Let me think.", cached_tokens=3))
    r, raw = post_responses(
        proxy,
        {"model": GPT, "input": "Say hi", "stream": True, "reasoning": {"effort": "low", "summary": "auto"}},
    )
    assert r.status_code == 200
    t = types(raw)
    assert t[:9] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    summary = "".join(e["delta"] for e in events(raw) if e["type"] == "response.reasoning_summary_text.delta")
    assert summary == "Let me think."
    assert text_of(raw) == "Hi!"
    usage = events(raw)[-1]["response"]["usage"]
    assert usage["input_tokens_details"] == {"cached_tokens": 3}
    assert usage["output_tokens_details"] == {"reasoning_tokens": 3}
    assert upstream.last_for(GPT).body["reasoning"] == {"effort": "low", "summary": "auto"}


CLAUDE_TYPES = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def test_stream_claude_bridged(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(CLAUDE, Behaviour(text="Hello **world**!", deltas=3))
    r, raw = post_responses(proxy, {"model": CLAUDE, "input": "Say hi", "stream": True})
    assert r.status_code == 200
    assert "event:" not in raw
    assert raw.endswith("data: [DONE]\n\n")
    assert types(raw) == CLAUDE_TYPES
    assert text_of(raw) == "Hello **world**!"
    evs = events(raw)
    assert all(e["model"] == CLAUDE for e in evs)
    assert [("sequence_number" in e) for e in evs] == [t == "response.output_item.done" for t in CLAUDE_TYPES]
    created, done = evs[0]["response"], evs[-1]["response"]
    assert created["model"] == done["model"] == "databricks-claude-opus-4-6"
    assert created["id"] != done["id"]  # the bridge makes up a new id for the final response
    usage = done["usage"]
    assert set(usage) == {"input_tokens", "output_tokens", "output_tokens_details", "total_tokens"}
    assert usage["output_tokens"] == 2 and usage["output_tokens_details"] == {"reasoning_tokens": 0}
    assert usage["total_tokens"] == usage["input_tokens"] + 2
    up = upstream.last_for(CLAUDE)
    assert up.path == "/serving-endpoints/chat/completions"
    assert up.body["stream"] is True and "stream_options" not in up.body


def test_stream_claude_reasoning(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(CLAUDE, Behaviour(text="Hi!", deltas=2, reasoning="Let me think."))
    r, raw = post_responses(proxy, {"model": CLAUDE, "input": "Say hi", "stream": True, "reasoning": {"effort": "low"}})
    assert r.status_code == 200
    assert types(raw) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    rs = [e for e in events(raw) if e["type"] == "response.reasoning_summary_text.delta"]
    assert "".join(e["delta"] for e in rs) == "Let me think."
    assert all(e["item_id"].startswith("rs_") and "summary_index" not in e for e in rs)
    part_done = next(e for e in events(raw) if e["type"] == "response.content_part.done")
    assert part_done["part"] == {"type": "reasoning_text", "reasoning": "Let me think."}
    out = events(raw)[-1]["response"]["output"]
    assert [o["type"] for o in out] == ["reasoning", "message"]
    body = upstream.last_for(CLAUDE).body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["max_tokens"] == 5120  # LiteLLM adds max_tokens when thinking is on


def test_reasoning_summary_param_breaks_bridged_models(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    r, raw = post_responses(
        proxy,
        {"model": CLAUDE, "input": "x", "stream": True, "reasoning": {"effort": "low", "summary": "auto"}},
    )
    assert r.status_code == 400
    assert error_message(r, raw).startswith(
        "litellm.BadRequestError: Unmapped reasoning effort: {'effort': 'low', 'summary': 'auto'}."
    )
    assert upstream.requests_for(CLAUDE) == []


@pytest.mark.parametrize(
    ("model", "filename", "body"),
    [
        (GPT, "litellm_gpt_stream.sse", {"reasoning": {"effort": "low", "summary": "auto"}}),
        (CLAUDE, "litellm_databricks_stream.sse", {"reasoning": {"effort": "low"}}),
    ],
)
def test_stream_capture_matches_live(
    proxy: LiteLLMProxy, upstream: FakeUpstream, model: str, filename: str, body: dict[str, Any]
) -> None:
    upstream.script(model, Behaviour(text="Hello **world**!\n\n- one", deltas=3, reasoning="Think briefly."))
    r, raw = post_responses(proxy, {"model": model, "input": "Say hi", "stream": True, **body})
    assert r.status_code == 200
    path = DATA / filename
    if os.environ.get("LLMCONSOLE_UPDATE_CAPTURES"):
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_text(raw)
    assert path.exists(), f"{path} missing: run with LLMCONSOLE_UPDATE_CAPTURES=1"
    saved = path.read_text()
    assert types(saved) == types(raw)
    assert text_of(saved) == text_of(raw) == "Hello **world**!\n\n- one"
    assert saved.endswith("data: [DONE]\n\n")


# ---- 4. what the upstream receives ------------------------------------------------------------------


def test_gpt_params_forwarded_verbatim(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    sent = {
        "model": GPT,
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "Say hi"}]}],
        "instructions": "Be brief",
        "max_output_tokens": 100,
        "store": False,
        "prompt_cache_key": "sess-1",
        "stream": True,
    }
    r, _raw = post_responses(proxy, sent)
    assert r.status_code == 200
    got = upstream.last_for(GPT)
    assert got.path == "/v1/responses"
    assert got.body == sent
    assert got.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"  # the proxy's key, not the client's
    assert MASTER_KEY not in json.dumps(got.headers)


def test_claude_param_mapping(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    r, _raw = post_responses(
        proxy,
        {
            "model": CLAUDE,
            "input": "Say hi",
            "instructions": "Be brief",
            "max_output_tokens": 100,
            "store": False,
            "stream": True,
        },
    )
    assert r.status_code == 200
    got = upstream.last_for(CLAUDE)
    assert got.path == "/serving-endpoints/chat/completions"
    assert got.body == {
        "model": "databricks-claude-opus-4-6",
        "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Say hi"}],
        "stream": True,
        "max_tokens": 100,
    }  # instructions -> system message, max_output_tokens -> max_tokens, store silently dropped


def test_claude_prompt_cache_key_rejected_by_litellm(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    r, raw = post_responses(proxy, {"model": CLAUDE, "input": "hi", "prompt_cache_key": "s1", "stream": True})
    assert r.status_code == 400
    msg = error_message(r, raw)
    assert msg.startswith(
        "litellm.UnsupportedParamsError: databricks does not support parameters: ['prompt_cache_key'], "
        "for model=databricks-claude-opus-4-6."
    )
    assert msg.endswith(f"Received Model Group={CLAUDE}\n{SUFFIX}")
    assert json.loads(raw)["error"]["type"] == "None"
    assert upstream.requests_for(CLAUDE) == []  # never reached the upstream


def test_drop_params_per_request(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    r, raw = post_responses(
        proxy,
        {
            "model": CLAUDE,
            "input": "hi",
            "prompt_cache_key": "s1",
            "store": True,
            "drop_params": True,
            "stream": True,
        },
    )
    assert r.status_code == 200, raw
    body = upstream.last_for(CLAUDE).body
    assert "prompt_cache_key" not in body and "store" not in body and "drop_params" not in body


def test_balanced_name_spreads_over_both_deployments(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    for _ in range(20):  # simple-shuffle routing: both deployments get some (p of not: 2e-6)
        r, _raw = post_responses(proxy, {"model": "gpt-balanced", "input": "hi"})
        assert r.status_code == 200
    paths = {req.path for req in upstream.requests_for("gpt-balanced")}
    # a databricks model whose name contains "gpt" uses Databricks' native Responses endpoint
    assert paths == {"/v1/responses", "/serving-endpoints/responses"}


def test_embeddings_route(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    with proxy.client() as c:
        r = c.post("/v1/embeddings", json={"model": "text-embedding-3-small", "input": "hi"})
    assert r.status_code == 200
    assert len(r.json()["data"][0]["embedding"]) == 8
    assert upstream.last_for("text-embedding-3-small").path == "/v1/embeddings"


# ---- 5. errors ---------------------------------------------------------------------------------------

RATE_BODY = (
    '{"error": {"type": "rate_limit_exceeded", "code": 429, "limit_type": "input_tokens_per_minute", '
    '"limit": 200000, "current": 200150, "retry_after": 15}}'
)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    ("model", "behaviour", "prefix", "embedded"),
    [
        (CLAUDE, Behaviour.rate_limit(), "litellm.RateLimitError: DatabricksException - ", RATE_BODY),
        (
            CLAUDE,
            Behaviour.rate_limit(retry_after_header=15),
            "litellm.RateLimitError: DatabricksException - ",
            RATE_BODY,
        ),
        (
            GPT,
            Behaviour.rate_limit(retry_after_header=15),
            "litellm.RateLimitError: RateLimitError: OpenAIException - ",
            RATE_BODY,
        ),
        (
            CLAUDE,
            Behaviour.request_limit_exceeded(),
            "litellm.RateLimitError: DatabricksException - ",
            '{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "REQUEST_LIMIT_EXCEEDED: Exceeded '
            "workspace rate limit for databricks-claude-opus-4-6, please reduce your request rate or "
            'contact your account team."}',
        ),
        (CLAUDE, Behaviour.bare_429(retry_after=7), "litellm.RateLimitError: DatabricksException - ", ""),
        (
            GPT,
            Behaviour.bare_429(retry_after=7),
            "litellm.RateLimitError: RateLimitError: OpenAIException - ",
            "",
        ),
    ],
    ids=[
        "dbx-structured",
        "dbx-structured-retry-after",
        "openai-structured",
        "request-limit",
        "dbx-bare",
        "openai-bare",
    ],
)
def test_rate_limit_shapes(
    proxy: LiteLLMProxy,
    upstream: FakeUpstream,
    model: str,
    behaviour: Behaviour,
    prefix: str,
    embedded: str,
    stream: bool,
) -> None:
    upstream.script(model, behaviour)
    r, raw = post_responses(proxy, {"model": model, "input": "hi", "stream": stream})
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/json"
    body = json.loads(raw)
    assert body["error"]["type"] == "throttling_error" and body["error"]["param"] is None
    assert error_message(r, raw) == f"{prefix}{embedded}. Received Model Group={model}\n{SUFFIX}"
    # No retry information in headers, whatever the upstream sent
    assert not [h for h in r.headers if "retry" in h.lower() or "ratelimit" in h.lower()]
    assert r.headers["x-litellm-response-cost"] == "0"
    assert len(upstream.requests_for(model)) == 1  # the proxy did not retry


def test_rate_limit_via_chat_completions_is_python_repr(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(GPT, Behaviour.rate_limit(retry_after_header=15))
    with proxy.client() as c:
        r = c.post("/v1/chat/completions", json={"model": GPT, "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 429
    assert r.json()["error"]["message"].startswith(
        "litellm.RateLimitError: RateLimitError: OpenAIException - Error code: 429 - {'error': {'type': "
        "'rate_limit_exceeded', 'code': 429, 'limit_type': 'input_tokens_per_minute', 'limit': 200000, "
        "'current': 200150, 'retry_after': 15}}. Received Model Group=gpt-5.2"
    )
    assert "retry-after" not in r.headers


@pytest.mark.parametrize(
    ("style", "embedded"),
    [
        (
            "openai",
            '{"error": {"message": "Unsupported parameter: \'prompt_cache_key\' is not supported with this '
            'model.", '
            '"type": "invalid_request_error", "param": "prompt_cache_key", "code": "unsupported_parameter"}}',
        ),
        (
            "databricks",
            '{"error_code": "BAD_REQUEST", "message": "prompt_cache_key: Extra inputs are not permitted"}',
        ),
    ],
)
def test_param_rejection_by_upstream(proxy: LiteLLMProxy, upstream: FakeUpstream, style: str, embedded: str) -> None:
    upstream.script("acme-large", Behaviour.reject("prompt_cache_key", style=style))  # type: ignore[arg-type]
    r, raw = post_responses(proxy, {"model": "acme-large", "input": "hi", "prompt_cache_key": "s1", "stream": True})
    assert r.status_code == 400
    assert json.loads(raw)["error"]["type"] is None
    assert error_message(r, raw) == (
        f"litellm.BadRequestError: OpenAIException - {embedded}. Received Model Group=acme-large\n{SUFFIX}"
    )
    # the resend without the parameter works
    r2, raw2 = post_responses(proxy, {"model": "acme-large", "input": "hi", "stream": True})
    assert r2.status_code == 200 and raw2.endswith("data: [DONE]\n\n")
    assert [("prompt_cache_key" in q.body) for q in upstream.requests_for("acme-large")] == [True, False]


def test_upstream_401_echoes_upstream_key(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(GPT, Behaviour.unauthorized())
    r, raw = post_responses(proxy, {"model": GPT, "input": "hi", "stream": True})
    assert r.status_code == 401
    msg = error_message(r, raw)
    assert msg.startswith("litellm.AuthenticationError: AuthenticationError: OpenAIException - ")
    assert f"Incorrect API key provided: {UPSTREAM_KEY}." in msg  # leaks the proxy's upstream key
    assert MASTER_KEY not in raw


@pytest.mark.parametrize(
    ("model", "status", "prefix"),
    [
        (GPT, 502, "litellm.BadGatewayError: BadGatewayError: OpenAIException - <html>"),
        (CLAUDE, 500, "litellm.APIConnectionError: DatabricksException - <html>"),
    ],
)
def test_html_502_from_upstream(
    proxy: LiteLLMProxy, upstream: FakeUpstream, model: str, status: int, prefix: str
) -> None:
    upstream.script(model, Behaviour.html_502())
    r, raw = post_responses(proxy, {"model": model, "input": "hi", "stream": True})
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    msg = error_message(r, raw)
    assert msg.startswith(prefix)
    assert "<title>502 Bad Gateway</title>" in msg
    assert msg.endswith(f"</html>\r\n. Received Model Group={model}\n{SUFFIX}")


def test_unknown_model(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    r, raw = post_responses(proxy, {"model": "no-such-model", "input": "hi", "stream": True})
    assert r.status_code == 400
    text = (
        "/responses: Invalid model name passed in model=no-such-model. "
        "Call `/v1/models` to view available models for your key."
    )
    assert json.loads(raw) == {
        "error": {
            "message": text,
            "type": "None",
            "param": "None",
            "code": "400",
            "provider_specific_fields": {"error": text},
        }
    }
    assert upstream.received == []


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            GPT,
            "Response payload is not completed: <TransferEncodingError: 400, "
            "message='Not enough data to satisfy transfer length header.'>",
        ),
        (
            CLAUDE,
            "litellm.MidStreamFallbackError: litellm.APIConnectionError: DatabricksException - Response "
            "payload is not completed: <TransferEncodingError: 400, message='Not enough data to satisfy "
            "transfer length header.'>",
        ),
    ],
    ids=["gpt", "claude"],
)
def test_mid_stream_cut(proxy: LiteLLMProxy, upstream: FakeUpstream, model: str, message: str) -> None:
    upstream.script(model, Behaviour.cut(after=2, text="aaaa bbbb cccc dddd", deltas=4, delay=0.2))
    r, raw = post_responses(proxy, {"model": model, "input": "hi", "stream": True})
    assert r.status_code == 200
    assert text_of(raw) == "aaaa bbbb "
    last = data_lines(raw)[-1]
    err = json.loads(last)
    assert set(err) == {"error"} and err["error"]["message"] == message and err["error"]["code"] == "500"
    assert "[DONE]" not in raw and "response.completed" not in raw


def test_cut_before_first_read_is_http_500(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    """A cut that lands before the proxy's first read (no delay: the partial body arrives at once) is usually an
    HTTP 500; when the proxy wins the race it is the 200 stream with the trailing ``{"error": ...}`` line instead.
    Both say "Response payload is not completed" and the client handles both (ServerError / interrupted)."""
    upstream.script(GPT, Behaviour.cut(after=2))
    r, raw = post_responses(proxy, {"model": GPT, "input": "hi", "stream": True})
    if r.status_code == 500:
        assert error_message(r, raw).startswith("Response payload is not completed:")
    else:
        assert r.status_code == 200
        err = json.loads(data_lines(raw)[-1])
        assert err["error"]["message"].startswith("Response payload is not completed:")
        assert "[DONE]" not in raw


@pytest.mark.parametrize(
    ("model", "behaviour", "message", "code"),
    [
        (GPT, Behaviour.stream_error(2), "litellm.APIError: The model produced invalid content.", "500"),
        (
            GPT,
            Behaviour.stream_error(2, event="error"),
            "litellm.APIError: Response API in-stream error",
            "500",
        ),
        (
            CLAUDE,
            Behaviour.stream_error(2),
            "litellm.BadRequestError: DatabricksException - KeyError: 'choices', Got unexpected response "
            "from Databricks: {'error': {'message': 'The model produced invalid content.', 'type': "
            "'server_error', 'code': 500}}",
            "400",
        ),
    ],
    ids=["gpt-response.failed", "gpt-error-event", "claude-error-chunk"],
)
def test_mid_stream_error_event(
    proxy: LiteLLMProxy, upstream: FakeUpstream, model: str, behaviour: Behaviour, message: str, code: str
) -> None:
    upstream.script(model, behaviour)
    r, raw = post_responses(proxy, {"model": model, "input": "hi", "stream": True})
    assert r.status_code == 200
    lines = data_lines(raw)
    err = json.loads(lines[-1])
    assert err == {"error": {"message": message, "type": None, "param": None, "code": code}}
    assert "[DONE]" not in lines and "response.failed" not in raw


def test_stall_passes_through_silently(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(GPT, Behaviour.stall(after=1, timeout=30, deltas=3))
    with (
        httpx.Client(base_url=proxy.base_url, headers=proxy.auth_headers, timeout=httpx.Timeout(30, read=1.0)) as c,
        c.stream("POST", "/v1/responses", json={"model": GPT, "input": "hi", "stream": True}) as r,
    ):
        assert r.status_code == 200
        lines = r.iter_lines()
        seen: list[str] = []
        with pytest.raises(httpx.ReadTimeout):  # nothing (not even a keep-alive) while the upstream stalls
            for line in lines:
                seen.append(line)
        assert sum("output_text.delta" in s for s in seen) == 1
    upstream.release()


# ---- 6. quota and cost headers ---------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
def test_ratelimit_headers_native_route(proxy: LiteLLMProxy, upstream: FakeUpstream, stream: bool) -> None:
    upstream.script(GPT, Behaviour(headers=RATELIMIT_HEADERS))
    r, _raw = post_responses(proxy, {"model": GPT, "input": "hi", "stream": stream})
    assert r.status_code == 200
    for k, v in RATELIMIT_HEADERS.items():
        assert r.headers[k] == v
        assert r.headers[f"llm_provider-{k}"] == v
    assert r.headers["x-litellm-model-group"] == GPT
    assert r.headers["x-litellm-model-name"] == "openai/gpt-5.2"
    assert "x-litellm-key-spend" in r.headers
    if stream:  # cost is not known when the headers go out
        assert "x-litellm-response-cost" not in r.headers
        assert r.headers["x-litellm-response-cost-original"] == "0.0"
        assert r.headers["x-litellm-key-spend"] == "0.0"
    else:
        cost = float(r.headers["x-litellm-response-cost"])
        assert cost > 0
        assert float(r.headers["x-litellm-key-spend"]) == cost  # no database: spend = this reply only


@pytest.mark.parametrize("stream", [True, False])
def test_ratelimit_headers_lost_on_bridged_route(proxy: LiteLLMProxy, upstream: FakeUpstream, stream: bool) -> None:
    upstream.script(CLAUDE, Behaviour(headers=RATELIMIT_HEADERS))
    r, _raw = post_responses(proxy, {"model": CLAUDE, "input": "hi", "stream": stream})
    assert r.status_code == 200
    assert not [h for h in r.headers if "ratelimit" in h or h.startswith("llm_provider-")]
    if not stream:
        body = r.json()
        usage = body["usage"]
        # 5e-06 per input token, 2.5e-05 per output token (config prices)
        expected = usage["input_tokens"] * 5e-06 + usage["output_tokens"] * 2.5e-05
        assert float(r.headers["x-litellm-response-cost"]) == pytest.approx(expected)


def test_multi_turn_and_image_input_bridged(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    image = "data:image/png;base64,iVBORw0KGgo="
    inp = [
        {"role": "user", "content": [{"type": "input_text", "text": "Q1"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "A1"}]},
        {
            "role": "user",
            "content": [{"type": "input_text", "text": "Q2"}, {"type": "input_image", "image_url": image}],
        },
    ]
    r, _raw = post_responses(proxy, {"model": CLAUDE, "input": inp, "stream": True, "instructions": "Sys"})
    assert r.status_code == 200
    assert upstream.last_for(CLAUDE).body["messages"] == [
        {"role": "system", "content": "Sys"},
        {"role": "user", "content": [{"type": "text", "text": "Q1"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A1"}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Q2"},
                {"type": "image_url", "image_url": {"url": image, "detail": "auto"}},
            ],
        },
    ]


def test_non_stream_usage_and_cost(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    r, _raw = post_responses(proxy, {"model": GPT, "input": "hi"})
    assert r.status_code == 200
    usage = r.json()["usage"]
    cost = usage["input_tokens"] * 1.75e-06 + usage["output_tokens"] * 1.4e-05
    assert float(r.headers["x-litellm-response-cost"]) == pytest.approx(cost)
    assert usage["cost"] is None  # the cost is only in the header
    assert usage["input_tokens_details"] == {"audio_tokens": None, "cached_tokens": 0, "text_tokens": None}
    # A model without prices: no cost header at all, usage.cost null
    r2, _raw = post_responses(proxy, {"model": "acme-large", "input": "hi"})
    assert r2.status_code == 200
    assert "x-litellm-response-cost" not in r2.headers
    assert r2.json()["usage"]["cost"] is None
    # Bridged, non-stream: details are null (not objects)
    r3, _raw = post_responses(proxy, {"model": CLAUDE, "input": "hi"})
    u3 = r3.json()["usage"]
    assert u3["input_tokens_details"] is None and u3["output_tokens_details"] is None and u3["cost"] is None
    assert u3["total_tokens"] == u3["input_tokens"] + u3["output_tokens"]
    assert float(r3.headers["x-litellm-response-cost"]) > 0
