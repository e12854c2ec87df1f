r"""Start and stop a real LiteLLM proxy (subprocess, by PID) in front of :class:`FakeUpstream`.

Usage (see tests/integration/conftest.py for the fixtures)::

    with FakeUpstream() as up:
        proxy = start_proxy(up, tmp_dir)      # waits for /health/liveliness (<= 60 s), ~5 s
        ...                                   # proxy.base_url, proxy.master_key, proxy.log_path
        proxy.stop()                          # SIGTERM to the process group, SIGKILL after 10 s

The proxy runs ``litellm --config <tmp>/litellm_config.yaml --host 127.0.0.1 --port <free>`` in its own process
group with a scrubbed environment (no DATABASE_URL, no provider keys, no HTTP proxies,
LITELLM_LOCAL_MODEL_COST_MAP=True, telemetry off), PR_SET_PDEATHSIG so it dies with the test process, and an
atexit hook. Config: see :func:`build_config` (num_retries 0 everywhere, ``disable_cooldowns: true``,
``allowed_fails: 1000``, ``cooldown_time: 0`` so a 429 never takes a deployment out of rotation — proven by
test_no_retry_and_no_cooldown_after_429; whether 1.99.4 would cool down a single-deployment group without
these settings was not measured).

Observed behaviour of LiteLLM 1.99.4 (asserted in tests/integration/test_proxy_harness.py; also in
docs/litellm-findings.md):

Observed with the real proxy (`.venv-proxy`, `litellm --config`, no DATABASE_URL, master key) in front of the
fake upstream (`tests/proxy/fake_upstream.py`). Each point is asserted in
`tests/integration/test_proxy_harness.py`; the same text is the docstring of `tests/proxy/litellm_proxy.py`.
"gpt" = `openai/gpt-5.2` (native Responses upstream); "claude" = `databricks/databricks-claude-opus-4-6`
(LiteLLM bridges `/v1/responses` to upstream `/serving-endpoints/chat/completions`).

## 3. `POST /v1/responses` with `stream: true`

**Framing (both routes):** `content-type: text/event-stream; charset=utf-8`, chunked. **No `event:` lines** —
each event is one `data: {json}` line followed by a blank line; the event type is only in the JSON `type`.
The stream ends with **`data: [DONE]`** after `response.completed`. Every event gets an extra top-level
`"model": "<model group name the client sent>"` field.

**gpt (native):** the upstream's events are passed through in order, same fields, plus `model`:
`response.created`, `response.in_progress`, `response.output_item.added`, `response.content_part.added`,
`response.output_text.delta` ×N (`delta`, `item_id`, `output_index`, `content_index`, `sequence_number`),
`response.output_text.done`, `response.content_part.done`, `response.output_item.done`,
`response.completed`, then `data: [DONE]`. Reasoning: `response.output_item.added` (item type `reasoning`,
output_index 0), `response.reasoning_summary_part.added`, `response.reasoning_summary_text.delta` ×N
(`delta`, `item_id`, `output_index`, `summary_index`), `response.reasoning_summary_text.done`,
`response.reasoning_summary_part.done`, `response.output_item.done`; then the message at output_index 1.
`response.id` is rewritten by LiteLLM (a ~445-char `resp_…` base64 token that encodes the deployment).
`response.completed.response.usage` =
`{"input_tokens": 7, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 15,
"output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 22}` (upstream's, unchanged; **no cost**).

**claude (bridged from chat completions):** same framing and `data: [DONE]`, but LiteLLM synthesises events:
`response.created`, `response.in_progress` (response.model = `databricks-claude-opus-4-6`, status
`in_progress`), `response.output_item.added` (message, output_index 0), `response.content_part.added`,
[reasoning: `response.reasoning_summary_text.delta` ×N with `item_id: "rs_…"`, `output_index: 0`, **no
`summary_index`, no `sequence_number`**, arriving *after* the message's content_part.added — no
reasoning output_item.added/summary_part events],
`response.output_text.delta` ×N (**no `sequence_number`**), `response.output_text.done`,
`response.content_part.done` (with reasoning present its `part` is `{"type":"reasoning_text","reasoning":"…"}`!),
`response.output_item.done` (has `sequence_number: 1`), `response.completed`, `data: [DONE]`.
`response.created` and `response.completed` carry **different** `response.id`s. response.model in
created/completed is the upstream name `databricks-claude-opus-4-6`; the event-level `model` is `claude-opus-4-6`.
`response.completed.response.usage` = `{"input_tokens": 25, "output_tokens": 15,
"output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 40}` — **no `input_tokens_details`**.
`response.completed.response.output` holds a `reasoning` item (when any) and the message.

**Use only**: `type`, `delta` of `response.output_text.delta` / `response.reasoning_summary_text.delta`,
`response.completed.response.usage` (treat `input_tokens_details` as optional), `response.failed`/`error`
and the bare `{"error": …}` line below. Do not rely on `sequence_number`, ids, or `event:` lines.

Captures: `tests/data/litellm_gpt_stream.sse`, `tests/data/litellm_databricks_stream.sse`.

## 5. Errors the client sees (through `/v1/responses`)

All pre-stream errors are HTTP errors with `content-type: application/json` and body
`{"error": {"message": "...", "type": ..., "param": ..., "code": "<status as string>"}}`.
The upstream's body is embedded **as text inside `message`**, prefixed by
`litellm.<ErrorClass>: <Provider>Exception - ` and suffixed by
`. Received Model Group=<model>\nAvailable Model Group Fallbacks=None`.
**No `Retry-After` / `retry-after` / `llm_provider-retry-after` header reaches the client on any 429**
(on /v1/responses nor /v1/chat/completions), even when the upstream sent `Retry-After`. Only the body carries
retry information. The proxy does **not** retry (one upstream request per client request; num_retries 0).

- 429 structured Databricks (with or without upstream `Retry-After`) — status **429**, body:
  `{"error":{"message":"litellm.RateLimitError: DatabricksException - {\"error\": {\"type\": \"rate_limit_exceeded\", \"code\": 429, \"limit_type\": \"input_tokens_per_minute\", \"limit\": 200000, \"current\": 200150, \"retry_after\": 15}}. Received Model Group=claude-opus-4-6\nAvailable Model Group Fallbacks=None","type":"throttling_error","param":null,"code":"429"}}`
  (the embedded upstream JSON is re-serialised with `", "` / `": "` separators). For an `openai/` model the
  prefix is `litellm.RateLimitError: RateLimitError: OpenAIException - ` followed by the same JSON.
  **Via /v1/chat/completions with an `openai/` model the embedded body is a Python repr**:
  `OpenAIException - Error code: 429 - {'error': {'type': 'rate_limit_exceeded', ...}}` (single quotes).
- 429 Databricks REQUEST_LIMIT_EXCEEDED — 429, `type":"throttling_error"`, message
  `litellm.RateLimitError: DatabricksException - {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "REQUEST_LIMIT_EXCEEDED: Exceeded workspace rate limit for databricks-claude-opus-4-6, please reduce your request rate or contact your account team."}. Received Model Group=…`
- Bare 429 (empty body, only `Retry-After: 7`) — 429, message
  `litellm.RateLimitError: DatabricksException - . Received Model Group=claude-opus-4-6\nAvailable Model Group Fallbacks=None`
  (`litellm.RateLimitError: RateLimitError: OpenAIException - . Received …` for openai/); the 7 is lost.
- 400 parameter rejection by the upstream (model `acme-large`, openai/): status **400**, `"type":null`, message
  `litellm.BadRequestError: OpenAIException - {"error": {"message": "Unsupported parameter: 'prompt_cache_key' is not supported with this model.", "type": "invalid_request_error", "param": "prompt_cache_key", "code": "unsupported_parameter"}}. Received Model Group=acme-large…`
  Databricks style: `litellm.BadRequestError: OpenAIException - {"error_code": "BAD_REQUEST", "message": "prompt_cache_key: Extra inputs are not permitted"}. Received …`.
- **`prompt_cache_key` to a `databricks/` chat model is refused by LiteLLM itself** (upstream receives
  nothing): 400, `"type":"None"`, message
  `litellm.UnsupportedParamsError: databricks does not support parameters: ['prompt_cache_key'], for model=databricks-claude-opus-4-6. To drop these, set ``litellm.drop_params=True`` …`.
  `store` is silently dropped for databricks (not forwarded, no error).
- `reasoning: {"effort": "low", "summary": "auto"}` to a bridged (databricks chat) model → 400
  `litellm.BadRequestError: Unmapped reasoning effort: {'effort': 'low', 'summary': 'auto'}. Must be one of: …`;
  `reasoning: {"effort": "low"}` works (upstream gets `thinking: {"type":"enabled","budget_tokens":1024}`).
- 401 from upstream echoing the key: status 401, message `litellm.AuthenticationError: AuthenticationError: OpenAIException - {"error": {"message": "Incorrect API key provided: <UPSTREAM key>. …"}}` — the *upstream* key the proxy used is echoed to the client (redact any `sk-…`).
- HTML 502 page from upstream: openai/ → status **502**, message `litellm.BadGatewayError: BadGatewayError: OpenAIException - <html>\r\n<head><title>502 Bad Gateway</title>…</html>\r\n. Received Model Group=gpt-5.2…`, `"code":"502"`.
  databricks/ → status **500**, message `litellm.APIConnectionError: DatabricksException - <html>…`, `"code":"500"`.
- Unknown model name: status **400**, body
  `{"error":{"message":"/responses: Invalid model name passed in model=no-such-model. Call `/v1/models` to view available models for your key.","type":"None","param":"None","code":"400","provider_specific_fields":{"error":"…same…"}}}`.
- Mid-stream cut (upstream closes after 2 deltas, no terminal event): HTTP **200** stream, the deltas received so
  far, then one line `data: {"error": {"message": "Response payload is not completed: <TransferEncodingError: 400, message='Not enough data to satisfy transfer length header.'>", "type": "None", "param": "None", "code": "500"}}`
  (claude: `"message": "litellm.MidStreamFallbackError: litellm.APIConnectionError: DatabricksException - Response payload is not completed: …", "type": null, "code": "500"`), then the stream ends **without `data: [DONE]`**
  and without `response.completed`. Caveat: if the cut comes before the proxy's first read (upstream sent
  everything at once), gpt gives an HTTP **500** JSON error instead of a stream.
- Upstream `response.failed` mid-stream (gpt): the client gets `data: {"error": {"message": "litellm.APIError: The model produced invalid content.", "type": null, "param": null, "code": "500"}}` (no `response.failed` event, no [DONE]).
  Upstream `error` event: `data: {"error": {"message": "litellm.APIError: Response API in-stream error", …, "code": "500"}}`.
  Databricks `data: {"error": …}` chunk (claude): `data: {"error": {"message": "litellm.BadRequestError: DatabricksException - KeyError: 'choices', Got unexpected response from Databricks: {'error': {...}}", "type": null, "param": null, "code": "400"}}`.
- Stall: the proxy forwards nothing while the upstream is silent (no keep-alive comments); the stream resumes
  when the upstream does. The client's idle timeout must handle it.

Error headers: `x-litellm-response-cost: 0`, `x-litellm-key-spend: 0.0`, `x-litellm-call-id`,
`x-litellm-model-id`, `x-litellm-version`, `x-litellm-timeout` — never retry-after nor rate-limit headers.

## 1. `GET /v1/models` and authentication (no DATABASE_URL, prisma installed)

- Master key (`Authorization: Bearer <key>`; `x-api-key: <key>` works too) → 200
  `{"data": [{"id": "gpt-5.2", "object": "model", "created": 1677610602, "owned_by": "openai", "mode": "chat",
  "max_input_tokens": 272000, "max_output_tokens": 128000}, …], "object": "list"}` — one entry per model
  *name* in config order (a name with two deployments is listed once, with the first deployment's limits);
  `owned_by` is always `"openai"`; `mode` / `max_input_tokens` / `max_output_tokens` appear only when known
  (cost map or config model_info): unknown models have just `id, object, created, owned_by`.
- No key → **401** `{"error": {"message": "Authentication Error, No api key passed in.", "type": "auth_error", "param": "None", "code": "401"}}`.
- Wrong key (any non-master key, with `Bearer `) → **400** (not 401!) `{"error": {"message": "No connected db.", "type": "no_db_connection", "param": null, "code": "400"}}`; the key is **not** echoed. Same on `/v1/responses`.
  (Presumably 401 with a database — not testable here; the client should treat 400 `no_db_connection` as "key rejected".)
- Key without the `Bearer ` prefix → 401, message starting `Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix…`.

## 2. `GET /v1/model/info` and `GET /model/info`

Identical bodies: `{"data": [entry, …]}` with **one entry per deployment** (gpt-balanced appears twice), each
`{"model_name": "gpt-5.2", "litellm_params": {"model": "openai/gpt-5.2", "api_base": "…", …no api_key…},
"model_info": {…~120 keys, all present, many null…}}`. Useful `model_info` keys: `id` (64-hex deployment id),
`key`, `mode` ("chat" / "embedding" / null), `max_tokens`, `max_input_tokens`, `max_output_tokens`,
`litellm_provider` ("openai" / "databricks"), `supports_vision`, `supports_reasoning`,
`supports_function_calling`, `supports_prompt_caching`, `input_cost_per_token`, `output_cost_per_token`,
`cache_read_input_token_cost`, `supported_openai_params` (list).
- gpt-5.2: max_input 272000, max_output 128000, mode chat, provider openai, supports_vision/reasoning true
  (config), prices 1.75e-06 / 1.4e-05, cache_read 1.75e-07; `supported_openai_params` contains
  `prompt_cache_key` and `store`.
- claude-opus-4-6: provider databricks, max_input 1000000, max_output 128000, prices from config 5e-06 / 2.5e-05;
  `supported_openai_params` = `["stream","stop","temperature","top_p","max_tokens","max_completion_tokens","n","response_format","tools","tool_choice","reasoning_effort","thinking"]` (no prompt_cache_key, no store).
  claude-haiku-4-5 (cost map only): supports_vision **null**, supports_reasoning true. gemini-2-5-pro: supports_reasoning null.
- **Unknown model (acme-large, ratelimited-model)**: `mode`, `max_tokens`, `max_input_tokens`,
  `max_output_tokens` are null but **`input_cost_per_token` and `output_cost_per_token` are `0`** (not null).
  Treat a price of 0 on a model whose `mode`/`max_input_tokens` is null as *unknown*.
- text-embedding-3-small: `mode: "embedding"`.
- gpt-balanced: two entries, `litellm_params.model` `openai/gpt-balanced` (max_input 128000) and
  `databricks/databricks-gpt-balanced` (max_input 64000), different `id`s.

## 4. What the upstream receives

- gpt (openai/, native Responses): the client's body is forwarded **verbatim** to `/v1/responses`
  (`instructions`, `max_output_tokens`, `store`, `prompt_cache_key`, `reasoning`, `input` list…), with
  `Authorization: Bearer <upstream key from config>` (the client's key never reaches the upstream).
- claude (databricks/, bridged) → `POST /serving-endpoints/chat/completions` with
  `{"model": "databricks-claude-opus-4-6", "messages": [{"role": "system", "content": "<instructions>"}, {"role": "user", "content": "<input>"}], "stream": true, "max_tokens": <max_output_tokens>}`:
  `instructions` → a leading system message; `max_output_tokens` → `max_tokens`; `store` silently dropped;
  no `stream_options`; `prompt_cache_key` → LiteLLM answers 400 UnsupportedParamsError itself (upstream gets
  nothing). With `"drop_params": true` in the request body, `prompt_cache_key`/`store` are dropped and the
  request succeeds (`drop_params` is not forwarded). `reasoning: {"effort": "low"}` → `thinking: {"type": "enabled", "budget_tokens": 1024}` and `max_tokens: 5120`;
  `reasoning.summary` present → 400 (see 5). Input list items: `input_text`/`output_text` → `{"type":"text"}`
  parts, `input_image` (data URL) → `{"type": "image_url", "image_url": {"url": …, "detail": "auto"}}`.
- A `databricks/` model whose name contains `gpt` (databricks-gpt-balanced) uses Databricks' **native**
  Responses endpoint `/serving-endpoints/responses` (no bridge).
- gpt-balanced requests are spread over both deployments (simple shuffle).

## 6. Quota and cost headers on success

- gpt (native, stream and non-stream): the upstream's `x-ratelimit-*` headers reach the client **twice**:
  unchanged (`x-ratelimit-remaining-tokens: 84000`, `x-ratelimit-limit-tokens`, `x-ratelimit-reset-tokens: 37s`,
  `x-ratelimit-remaining-requests`, `x-ratelimit-limit-requests`, `x-ratelimit-reset-requests`) **and** prefixed
  (`llm_provider-x-ratelimit-remaining-tokens`, …); every upstream header is also echoed as `llm_provider-<name>`.
- claude (bridged): **no** upstream header reaches the client (no `x-ratelimit-*`, no `llm_provider-*`).
- LiteLLM's own limiter headers (`x-ratelimit-{scope}-remaining-…`) do not appear with the master key and no
  per-key limits (needs a DB-backed key with rpm/tpm: not testable here).
- Always: `x-litellm-call-id`, `x-litellm-model-id`, `x-litellm-model-name` (`openai/gpt-5.2`),
  `x-litellm-model-group` (`gpt-5.2`), `x-litellm-version: 1.99.4`, `x-litellm-key-spend`,
  `x-litellm-attempted-retries: 0`.
- **Streaming**: no `x-litellm-response-cost` (headers go out before the cost is known);
  `x-litellm-response-cost-original: 0.0` and `x-litellm-key-spend: 0.0`; the usage in `response.completed`
  has no cost → compute from `/model/info` prices.
- **Non-stream**: `x-litellm-response-cost: 0.00022050000000000002` (input×price + output×price from the
  config/cost map), plus `-original`, `-input`, `-output`; `x-litellm-key-spend` equals this reply's cost (no
  database: no accumulation). A model without prices: no `x-litellm-response-cost` header at all.
  `usage.cost` in the JSON body is `null`. Non-stream usage: gpt `input_tokens_details: {"audio_tokens": null, "cached_tokens": 0, "text_tokens": null}`; bridged: `input_tokens_details: null`, `output_tokens_details: null`.
- Error replies carry `x-litellm-response-cost: 0` and `x-litellm-key-spend: 0.0`.

## Harness

Start time of the proxy: ~4.5–6 s (measured 4.4, 4.65, 4.8, 5.85 s on this machine), RSS ~290 MB.
Full `tests/integration` (53 tests): ~14 s serial, ~21 s with `-n 2` (one proxy per worker).
"""

# ruff: noqa: E501  (the docstring quotes LiteLLM's messages verbatim)
from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.proxy.fake_upstream import FakeUpstream

REPO_ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-test-master-0123456789"
#: The key the proxy sends upstream (what a 401 from the upstream would echo).
UPSTREAM_KEY = "sk-upstream-secret-9876543210"
LITELLM_ENV = "LLMCONSOLE_LITELLM"

# Environment variables never passed to the proxy (credentials, databases, proxies of the developer).
_DROP_ENV_PREFIXES = (
    "DATABASE_",
    "DIRECT_URL",
    "OPENAI_",
    "AZURE_",
    "ANTHROPIC_",
    "DATABRICKS_",
    "GEMINI_",
    "GOOGLE_",
    "AWS_",
    "LITELLM_",
    "REDIS_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "LANGFUSE_",
    "OTEL_",
)

# Prices the config sets explicitly (so /model/info returns them whatever the cost map says).
PRICES: dict[str, dict[str, float]] = {
    "gpt-5.2": {
        "input_cost_per_token": 1.75e-06,
        "output_cost_per_token": 1.4e-05,
        "cache_read_input_token_cost": 1.75e-07,
    },
    "claude-opus-4-6": {"input_cost_per_token": 5e-06, "output_cost_per_token": 2.5e-05},
    "gpt-balanced": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
}


def litellm_executable() -> Path:
    """The ``litellm`` CLI: ``$LLMCONSOLE_LITELLM`` or ``<repo>/.venv-proxy/bin/litellm``."""
    env = os.environ.get(LITELLM_ENV)
    return Path(env) if env else REPO_ROOT / ".venv-proxy" / "bin" / "litellm"


def missing_proxy_message(exe: Path | None = None) -> str:
    """Why the proxy tests cannot run and how to fix it (they fail with this; they never skip silently)."""
    exe = exe or litellm_executable()
    return (
        f"LiteLLM proxy not installed: {exe} does not exist. Fix: run `bash scripts/start-proxy-venv.sh` "
        f"(creates .venv-proxy with litellm[proxy]==1.99.4; its last line is the path to export), then "
        f"`export {LITELLM_ENV}=/path/to/.venv-proxy/bin/litellm`. To run without the proxy tests: "
        "pytest -m 'not proxy'."
    )


def build_config(
    upstream_base: str,
    master_key: str = MASTER_KEY,
    extra_models: list[dict[str, Any]] | None = None,
    mcp_servers: dict[str, dict[str, Any]] | None = None,
    litellm_settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The proxy config: every model points at the fake upstream (``upstream_base`` = ``http://127.0.0.1:P``).

    ``extra_models`` are appended to the model list; their ``api_base`` may name ``$UPSTREAM`` for
    ``upstream_base``. ``mcp_servers`` becomes the config's ``mcp_servers:`` (LiteLLM's MCP gateway; see
    :func:`mcp_test_servers`). ``litellm_settings`` are added to the config's (e.g. ``max_budget``)."""
    openai_base = f"{upstream_base}/v1"
    dbx_base = f"{upstream_base}/serving-endpoints"

    def openai(name: str, model_info: dict[str, Any] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "model_name": name,
            "litellm_params": {"model": f"openai/{name}", "api_base": openai_base, "api_key": UPSTREAM_KEY},
        }
        if model_info:
            entry["model_info"] = model_info
        return entry

    def databricks(name: str, model_info: dict[str, Any] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "model_name": name,
            "litellm_params": {
                "model": f"databricks/databricks-{name}",
                "api_base": dbx_base,
                "api_key": UPSTREAM_KEY,
            },
        }
        if model_info:
            entry["model_info"] = model_info
        return entry

    model_list = [
        openai("gpt-5.2", {**PRICES["gpt-5.2"], "supports_reasoning": True, "supports_vision": True}),
        databricks(
            "claude-opus-4-6",
            {**PRICES["claude-opus-4-6"], "supports_reasoning": True, "supports_vision": True},
        ),
        databricks("claude-haiku-4-5"),
        databricks("claude-sonnet-4-5"),
        databricks("gemini-2-5-pro"),
        openai("acme-large"),
        openai("text-embedding-3-small", {"mode": "embedding"}),
        openai(
            "gpt-balanced",
            {
                **PRICES["gpt-balanced"],
                "max_input_tokens": 128000,
                "max_output_tokens": 16000,
                "mode": "chat",
            },
        ),
        databricks(
            "gpt-balanced",
            {**PRICES["gpt-balanced"], "max_input_tokens": 64000, "max_output_tokens": 8000, "mode": "chat"},
        ),
        databricks("ratelimited-model"),
    ]
    for extra in extra_models or []:
        entry = json.loads(json.dumps(extra).replace("$UPSTREAM", upstream_base))
        entry.setdefault("litellm_params", {}).setdefault("api_key", UPSTREAM_KEY)
        model_list.append(entry)
    config: dict[str, Any] = {
        "model_list": model_list,
        "general_settings": {"master_key": master_key},
        "litellm_settings": {
            "num_retries": 0,
            "request_timeout": 30,
            "drop_params": False,
            "telemetry": False,
            **(litellm_settings or {}),
        },
        "router_settings": {
            "num_retries": 0,
            "retry_after": 0,
            "allowed_fails": 1000,
            "cooldown_time": 0,
            "disable_cooldowns": True,
        },
    }
    if mcp_servers:
        config["mcp_servers"] = mcp_servers
    return config


MCP_TOOL_SERVER = Path(__file__).with_name("mcp_tool_server.py")
"""The small MCP server (official ``mcp`` SDK, stdio) the gateway tests put behind the proxy."""


def mcp_test_servers(*names: str, executable: Path | None = None) -> dict[str, dict[str, Any]]:
    """``mcp_servers:`` entries running :data:`MCP_TOOL_SERVER` over stdio with the proxy venv's Python (which has
    the ``mcp`` SDK LiteLLM needs; LiteLLM only runs commands named ``python``, ``npx``, ... )."""
    python = (executable or litellm_executable()).parent / "python"
    return {
        name: {"transport": "stdio", "command": str(python), "args": [str(MCP_TOOL_SERVER), name]}
        for name in names or ("testtools",)
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proxy_env(master_key: str = MASTER_KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_ENV_PREFIXES)}
    env.update(
        {
            "LITELLM_MASTER_KEY": master_key,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_LOCAL_BLOG_POSTS": "True",
            "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
            "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
            "LITELLM_TELEMETRY": "False",
            "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",
            "DISABLE_SCHEMA_UPDATE": "True",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "LITELLM_ENABLE_MCP_STDIO": "true",  # newer LiteLLM starts stdio MCP servers only with it
        }
    )
    return env


_LIVE: dict[int, subprocess.Popen[bytes]] = {}


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the proxy gets SIGTERM when the test process dies (even by SIGKILL): nothing is left running."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _kill_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)
    else:
        # The leader is gone; make sure nothing else of its group survives.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    _LIVE.pop(proc.pid, None)


@atexit.register
def _stop_all() -> None:
    for proc in list(_LIVE.values()):
        _kill_group(proc, timeout=5)


@dataclass
class LiteLLMProxy:
    base_url: str
    master_key: str
    upstream: FakeUpstream
    log_path: Path
    config_path: Path
    port: int
    pid: int
    start_seconds: float
    _proc: subprocess.Popen[bytes] = field(repr=False)

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"}

    def client(self, **kw: Any) -> httpx.Client:
        """An httpx client on the proxy with the master key."""
        kw.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.base_url, headers=self.auth_headers, **kw)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def is_running(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> None:
        _kill_group(self._proc)


def start_proxy(
    upstream: FakeUpstream,
    workdir: Path,
    *,
    master_key: str = MASTER_KEY,
    port: int | None = None,
    ready_timeout: float = 60.0,
    executable: Path | None = None,
    extra_models: list[dict[str, Any]] | None = None,
    mcp_servers: dict[str, dict[str, Any]] | None = None,
    litellm_settings: dict[str, Any] | None = None,
) -> LiteLLMProxy:
    """Start ``litellm --config`` on 127.0.0.1 and wait until it answers ``/health/liveliness``."""
    exe = executable or litellm_executable()
    if not exe.exists():
        raise FileNotFoundError(
            f"LiteLLM proxy executable not found: {exe} (set ${LITELLM_ENV}, or run scripts/start-proxy-venv.sh)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "litellm_config.yaml"
    # JSON is valid YAML: no YAML library needed in the test venv.
    config_path.write_text(
        json.dumps(build_config(upstream.base_url, master_key, extra_models, mcp_servers, litellm_settings), indent=2)
    )
    attempts = 1 if port is not None else 3
    last_error: Exception | None = None
    for attempt in range(attempts):
        p = port if port is not None else free_port()
        log_path = workdir / f"litellm-{p}.log"
        t0 = time.monotonic()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(exe), "--config", str(config_path), "--host", "127.0.0.1", "--port", str(p)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=proxy_env(master_key),
                cwd=str(workdir),
                start_new_session=True,  # own process group: stopped with killpg
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        _LIVE[proc.pid] = proc
        proxy = LiteLLMProxy(
            base_url=f"http://127.0.0.1:{p}",
            master_key=master_key,
            upstream=upstream,
            log_path=log_path,
            config_path=config_path,
            port=p,
            pid=proc.pid,
            start_seconds=0.0,
            _proc=proc,
        )
        try:
            _wait_ready(proxy, proc, ready_timeout)
        except RuntimeError as e:
            _kill_group(proc)
            last_error = e
            if "address already in use" in proxy.log_tail().lower() and attempt + 1 < attempts:
                continue
            raise
        proxy.start_seconds = time.monotonic() - t0
        return proxy
    assert last_error is not None
    raise last_error


def _wait_ready(proxy: LiteLLMProxy, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"LiteLLM proxy exited with code {proc.returncode} during start; log {proxy.log_path}:\n"
                    + proxy.log_tail()
                )
            try:
                if c.get(f"{proxy.base_url}/health/liveliness").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"LiteLLM proxy not ready after {timeout:.0f}s; log {proxy.log_path}:\n" + proxy.log_tail())
