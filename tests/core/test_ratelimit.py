"""Rate-limit parsing (every shape the proxy can send), retry-after, formatting and quota headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from llmconsole.core.events import Quota
from llmconsole.core.proxy.ratelimit import (
    RateLimitInfo,
    describe_limit_type,
    format_rate_limit,
    parse_quota,
    parse_rate_limit,
)

STRUCTURED = {
    "type": "rate_limit_exceeded",
    "code": 429,
    "limit_type": "input_tokens_per_minute",
    "limit": 200000,
    "current": 200150,
    "retry_after": 15,
}

# LiteLLM wrapping the upstream's body, exactly as the proxy sends it (escaped JSON inside error.message).
LITELLM_WRAPPED = (
    '{"error":{"message":"litellm.RateLimitError: RateLimitError: OpenAIException - '
    '{\\"error\\":{\\"type\\":\\"rate_limit_exceeded\\",\\"limit_type\\":\\"input_tokens_per_minute\\",'
    '\\"limit\\":200000,\\"current\\":200150,\\"retry_after\\":15}}","type":null,"param":null,"code":"429"}}'
)

DATABRICKS = json.dumps(
    {
        "error_code": "REQUEST_LIMIT_EXCEEDED",
        "message": "REQUEST_LIMIT_EXCEEDED: Exceeded workspace input tokens per minute rate limit for "
        "databricks-claude-opus-4-6.",
    }
)


def litellm_error(message: str, code: str = "429") -> str:
    """The body LiteLLM's ProxyException produces."""
    return json.dumps({"error": {"message": message, "type": "None", "param": "None", "code": code}})


# ---------------------------------------------------------------------------------------------- 1.


def test_structured_body() -> None:
    body = json.dumps({"error": {**STRUCTURED, "message": "Input tokens per minute exceeded"}})
    info = parse_rate_limit(429, {}, body)
    assert info == RateLimitInfo(
        message="Input tokens per minute exceeded",
        limit_type="input_tokens_per_minute",
        limit=200000,
        current=200150,
        retry_after=15.0,
        kind="input_tokens",
        period="minute",
    )


@pytest.mark.parametrize("wrap", [lambda d: d, lambda d: {"detail": d}, lambda d: {"error": d}])
def test_structured_fields_at_top_level_under_detail_or_error(wrap: object) -> None:
    assert callable(wrap)
    info = parse_rate_limit(429, {}, json.dumps(wrap(STRUCTURED)))
    assert info is not None
    assert (info.limit_type, info.limit, info.current, info.retry_after) == (
        "input_tokens_per_minute",
        200000,
        200150,
        15.0,
    )


def test_structured_body_is_a_rate_limit_whatever_the_status() -> None:
    info = parse_rate_limit(400, {}, json.dumps({"error": STRUCTURED}))
    assert info is not None


def test_structured_body_as_bytes() -> None:
    info = parse_rate_limit(429, {}, json.dumps({"error": STRUCTURED}).encode())
    assert info is not None and info.limit == 200000


def test_zero_values_are_kept() -> None:
    body = json.dumps({"error": {**STRUCTURED, "limit": 0, "current": 0}})
    info = parse_rate_limit(429, {}, body)
    assert info is not None and info.limit == 0 and info.current == 0


# ---------------------------------------------------------------------------------------------- 2.


def test_litellm_wrapped_escaped_json() -> None:
    info = parse_rate_limit(429, {}, LITELLM_WRAPPED)
    assert info == RateLimitInfo(
        message=None,
        limit_type="input_tokens_per_minute",
        limit=200000,
        current=200150,
        retry_after=15.0,
        kind="input_tokens",
        period="minute",
    )


def test_litellm_wrapped_doubly_escaped_json() -> None:
    inner = json.dumps(
        {"error": {"type": "rate_limit_exceeded", "limit_type": "output_tokens_per_minute", "limit": 20000}}
    )
    message = "litellm.RateLimitError: RateLimitError: DatabricksException - " + json.dumps(inner)
    info = parse_rate_limit(429, {}, litellm_error(message))
    assert info is not None
    assert (info.limit_type, info.limit, info.current) == (
        "output_tokens_per_minute",
        20000,
        None,
    )


def test_litellm_wrapped_python_repr_from_the_openai_sdk() -> None:
    message = (
        "litellm.RateLimitError: RateLimitError: OpenAIException - Error code: 429 - {'error': {'type': "
        "'rate_limit_exceeded', 'limit_type': 'output_tokens_per_minute', 'limit': 5000, 'current': 5012, "
        "'retry_after': 2.5, 'message': \"Output tokens per minute: it's over\"}}"
    )
    info = parse_rate_limit(429, {}, litellm_error(message))
    assert info is not None
    assert info is not None
    assert (info.limit, info.current, info.retry_after) == (5000, 5012, 2.5)
    assert info.message == "Output tokens per minute: it's over"


def test_embedded_json_in_a_plain_text_body() -> None:
    text = "upstream said: " + json.dumps({"error": STRUCTURED}) + " (trailing text)"
    info = parse_rate_limit(429, {}, text)
    assert info is not None and info.current == 200150


def test_embedded_with_non_429_status_needs_the_structure() -> None:
    info = parse_rate_limit(500, {}, litellm_error(json.loads(LITELLM_WRAPPED)["error"]["message"], "500"))
    assert info is not None


# ---------------------------------------------------------------------------------------------- 3.


def test_databricks_request_limit_exceeded() -> None:
    info = parse_rate_limit(429, {}, DATABRICKS)
    assert info == RateLimitInfo(
        message="Exceeded Databricks workspace rate limit",
        limit_type="input_tokens_per_minute",
        model="databricks-claude-opus-4-6",
        kind="input_tokens",
        period="minute",
    )


def test_databricks_output_tokens_embedded_in_litellm_message_with_headers() -> None:
    inner = json.dumps(
        {
            "error_code": "REQUEST_LIMIT_EXCEEDED",
            "message": "REQUEST_LIMIT_EXCEEDED: Exceeded workspace output tokens per minute rate limit for "
            "databricks-claude-sonnet-4-5.",
        }
    )
    body = litellm_error(f"litellm.RateLimitError: DatabricksException - {inner}")
    info = parse_rate_limit(429, {"llm_provider-retry-after": "12"}, body)
    assert info is not None
    assert info is not None
    assert info.limit_type == "output_tokens_per_minute"
    assert info.model == "databricks-claude-sonnet-4-5"
    assert info.retry_after == 12.0
    assert info.message == "Exceeded Databricks workspace rate limit"


def test_databricks_queries_per_hour_on_a_non_429_status() -> None:
    body = json.dumps(
        {
            "error_code": "REQUEST_LIMIT_EXCEEDED",
            "message": "REQUEST_LIMIT_EXCEEDED: Exceeded workspace queries per hour rate limit for gpt-5.2.",
        }
    )
    info = parse_rate_limit(400, {}, body)
    assert info is not None
    assert (info.limit_type, info.model) == ("queries_per_hour", "gpt-5.2")


def test_databricks_without_a_limit_type() -> None:
    info = parse_rate_limit(429, {}, "REQUEST_LIMIT_EXCEEDED: Exceeded workspace rate limit.")
    assert info is not None and info.limit_type is None and info.model is None


# ---------------------------------------------------------------------------------------------- 4.
# The exact texts of LiteLLM 1.99's limiters (litellm/proxy/hooks/*.py), as the proxy serialises them.


def test_litellm_parallel_request_limiter_rpm() -> None:
    message = (
        "LiteLLM Rate Limit Handler for rate limit type = key. "
        "Crossed TPM / RPM / Max Parallel Request Limit. "
        "current rpm: 2, rpm limit: 2, current tpm: 10, tpm limit: 1000, current max_parallel_requests: 0, "
        "max_parallel_requests: 9223372036854775807"
    )
    info = parse_rate_limit(429, {"retry-after": "42.5"}, litellm_error(message))
    assert info == RateLimitInfo(
        message="Exceeded the LiteLLM proxy's rate limit for this API key",
        limit_type="requests_per_minute",
        limit=2,
        current=2,
        retry_after=42.5,
        kind="requests",
        period="minute",
    )


def test_litellm_parallel_request_limiter_tpm_and_concurrency() -> None:
    tpm = (
        "LiteLLM Rate Limit Handler for rate limit type = team. "
        "Crossed TPM / RPM / Max Parallel Request Limit. current rpm: 1, rpm limit: 100, current tpm: 1200, "
        "tpm limit: 1000, current max_parallel_requests: 1, max_parallel_requests: 10"
    )
    info = parse_rate_limit(429, {}, litellm_error(tpm))
    assert info is not None
    assert (info.limit_type, info.limit, info.current) == ("tokens_per_minute", 1000, 1200)
    assert info.message == "Exceeded the LiteLLM proxy's rate limit for this team"
    parallel = tpm.replace("current max_parallel_requests: 1", "current max_parallel_requests: 10")
    info = parse_rate_limit(429, {}, litellm_error(parallel))
    assert info is not None and (info.limit_type, info.limit, info.current) == (
        "max_parallel_requests",
        10,
        10,
    )


def test_litellm_max_parallel_request_limit_reached_with_a_zero_limit() -> None:
    message = (
        "Max parallel request limit reached Crossed TPM / RPM / Max Parallel Request Limit. "
        "Hit limit for user. Current limits: max_parallel_requests: 5, tpm_limit: 0, rpm_limit: 10"
    )
    info = parse_rate_limit(429, {}, litellm_error(message))
    assert info is not None
    assert (info.limit_type, info.limit, info.current) == (
        "tokens_per_minute",
        0,
        None,
    )
    assert info.message == "Exceeded the LiteLLM proxy's rate limit for this user"
    info = parse_rate_limit(429, {}, litellm_error("Max parallel request limit reached"))
    assert info is not None and info.limit_type == "max_parallel_requests"


def test_litellm_v3_limiter() -> None:
    message = (
        "Rate limit exceeded for api_key: 88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b. "
        "Limit type: tokens. Current limit: 1000, Remaining: 0. Limit resets at: 2026-01-01 10:00:00 UTC"
    )
    headers = {"retry-after": "60", "rate_limit_type": "tokens", "reset_at": "2026-01-01 10:00:00 UTC"}
    info = parse_rate_limit(429, headers, litellm_error(message))
    assert info == RateLimitInfo(
        message="Exceeded the LiteLLM proxy's rate limit for this API key",
        limit_type="tokens_per_minute",
        limit=1000,
        retry_after=60.0,
        kind="tokens",
        period="minute",
    )


def test_litellm_v3_max_parallel_requests() -> None:
    message = (
        "Rate limit exceeded for model_per_key: k:gpt. Limit type: max_parallel_requests. "
        "Current limit: 2, Remaining: 0. Limit resets at: 2026-01-01 10:00:00 UTC"
    )
    info = parse_rate_limit(429, {}, litellm_error(message))
    assert info is not None
    assert (info.limit_type, info.limit) == ("max_parallel_requests", 2)
    assert info.message == "Exceeded the LiteLLM proxy's rate limit for this model on this API key"


@pytest.mark.parametrize(
    "message",
    [
        # the older wordings of the parallel request limiter, and any capitalisation
        "LiteLLM Rate Limit Handler: Crossed TPM, RPM Limit. current rpm: 10, rpm limit: 10, current tpm: 5, "
        "tpm limit: 1000",
        "LiteLLM Rate Limit Handler for rate limit type = key. Crossed TPM, RPM Limit. current rpm: 10, "
        "rpm limit: 10, current tpm: 5, tpm limit: 1000",
        "LITELLM RATE LIMIT HANDLER FOR RATE LIMIT TYPE = KEY. CROSSED TPM / RPM / MAX PARALLEL REQUEST LIMIT. "
        "CURRENT RPM: 10, RPM LIMIT: 10, CURRENT TPM: 5, TPM LIMIT: 1000, CURRENT MAX_PARALLEL_REQUESTS: 0, "
        "MAX_PARALLEL_REQUESTS: 100",
    ],
)
def test_litellm_parallel_limiter_in_older_wording_and_any_case(message: str) -> None:
    info = parse_rate_limit(429, {}, litellm_error(message))
    assert info is not None
    assert (info.limit_type, info.limit, info.current) == ("requests_per_minute", 10, 10)
    assert info.message is not None and info.message.startswith("Exceeded the LiteLLM proxy's rate limit")


def test_litellm_v3_limit_resets_at_gives_the_wait_when_no_header_does() -> None:
    message = (
        "rate limit exceeded for api_key: abc. limit type: requests. current limit: 5, remaining: 0. "
        "Limit resets at: 2026-01-01 10:00:42 UTC"
    )
    now = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC).timestamp()
    info = parse_rate_limit(429, {}, litellm_error(message), now=now)
    assert info is not None and (info.limit_type, info.limit, info.retry_after) == ("requests_per_minute", 5, 42.0)
    info = parse_rate_limit(429, {"retry-after": "7"}, litellm_error(message), now=now)
    assert info is not None and info.retry_after == 7.0  # a header wins
    later = datetime(2026, 1, 1, 11, 0, 0, tzinfo=UTC).timestamp()
    info = parse_rate_limit(429, {}, litellm_error(message), now=later)
    assert info is not None and info.retry_after is None  # already past: not a wait


def test_litellm_dynamic_limiters() -> None:
    v1 = "Key=hashed over available TPM=0. Model TPM=1000, Active keys=3"
    info = parse_rate_limit(429, {}, litellm_error(v1))
    assert info is not None and info.limit_type == "tokens_per_minute"
    v3 = (
        "Priority-based rate limit exceeded. Model: gpt-4o, Priority: low, Rate limit type: requests, "
        "Model TPM: not configured, Model RPM: 60, Remaining: 0, Model saturation: 95.0%"
    )
    info = parse_rate_limit(429, {"retry-after": "60"}, litellm_error(v3))
    assert info is not None
    assert (info.limit_type, info.limit, info.model, info.retry_after) == (
        "requests_per_minute",
        60,
        "gpt-4o",
        60.0,
    )
    capacity = (
        "Model capacity reached for claude-3.5. Priority: None, Rate limit type: tokens, Model TPM: 5000, "
        "Model RPM: not configured, Remaining: 0"
    )
    info = parse_rate_limit(429, {}, litellm_error(capacity))
    assert info is not None and (info.limit_type, info.limit, info.model) == (
        "tokens_per_minute",
        5000,
        "claude-3.5",
    )


def test_litellm_dynamic_limiter_fallback_detail() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "Rate limit exceeded",
                "type": "None",
                "param": "None",
                "code": "429",
                "provider_specific_fields": {
                    "error": "Rate limit exceeded",
                    "descriptor_key": "priority_model",
                    "rate_limit_type": "requests",
                },
            }
        }
    )
    info = parse_rate_limit(429, {}, body)
    assert info is not None and info.limit_type == "requests_per_minute"


def test_litellm_router_cooldown() -> None:
    message = (
        "No deployments available for selected model, Try again in 5 seconds. Passed model=claude-haiku-4.5. "
        "pre-call-checks=False, cooldown_list=[('id', {'exception_received': 'rate limit'})]"
    )
    info = parse_rate_limit(429, {}, litellm_error(message))
    assert info is not None
    assert (info.retry_after, info.model) == (5.0, "claude-haiku-4.5")


# ---------------------------------------------------------------------------------------------- 5.


def test_headers_when_the_body_says_nothing() -> None:
    info = parse_rate_limit(429, {"Retry-After": "30"}, "")
    assert info == RateLimitInfo(message="Rate limit exceeded", retry_after=30.0)


def test_body_retry_after_wins_over_headers() -> None:
    info = parse_rate_limit(429, {"retry-after": "99"}, json.dumps({"error": STRUCTURED}))
    assert info is not None and info.retry_after == 15.0


def test_header_retry_after_fills_a_body_without_one() -> None:
    info = parse_rate_limit(429, {"RETRY-AFTER-MS": "2500"}, DATABRICKS)
    assert info is not None and info.retry_after == 2.5


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "15"}, 15.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"llm_provider-retry-after": "7"}, 7.0),
        ({"llm_provider-retry-after-ms": "1200"}, 1.2),
        ({"retry-after": "3", "llm_provider-retry-after": "7"}, 3.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, 30.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:27:00 GMT"}, 0.0),  # in the past: no wait
        ({"x-ratelimit-reset-tokens": "20ms"}, 0.02),
        ({"x-ratelimit-reset-requests": "1m30s"}, 90.0),
        ({"x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "15s"}, 360.0),
        (
            {
                "x-ratelimit-reset-requests": "6m0s",
                "x-ratelimit-remaining-requests": "50",
                "x-ratelimit-reset-tokens": "15s",
                "x-ratelimit-remaining-tokens": "0",
            },
            15.0,
        ),
        ({"llm_provider-x-ratelimit-reset-tokens": "2.5"}, 2.5),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "NaN"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after-ms": "-1", "retry-after": "4"}, 4.0),
        ({"x-ratelimit-reset-tokens": "garbage"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    info = parse_rate_limit(429, headers, None, now=now)
    result = info.retry_after if info is not None else None
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_retry_after_without_headers() -> None:
    info = parse_rate_limit(429, None, None)
    assert info is not None and info.retry_after is None


def test_garbage_header_retry_after_is_ignored_in_a_rate_limit() -> None:
    info = parse_rate_limit(429, {"retry-after": "NaN"}, "")
    assert info is not None and info.retry_after is None


# ---------------------------------------------------------------------------------------------- 6.


def test_stream_response_failed_with_rate_limit_code() -> None:
    event = {
        "type": "response.failed",
        "response": {"error": {"code": "rate_limit_exceeded", "message": "Rate limit reached, slow down"}},
    }
    info = parse_rate_limit(None, None, json.dumps(event))
    assert info == RateLimitInfo(message="Rate limit reached, slow down")


def test_stream_error_event_with_top_level_code() -> None:
    event = {"type": "error", "code": "rate_limit_exceeded", "message": "Too many tokens", "param": None}
    info = parse_rate_limit(None, None, json.dumps(event))
    assert info is not None and info.message == "Too many tokens"


def test_stream_litellm_error_chunk_with_embedded_structure() -> None:
    chunk = json.loads(LITELLM_WRAPPED)
    info = parse_rate_limit(None, None, json.dumps(chunk))
    assert info is not None
    assert (info.limit, info.retry_after) == (200000, 15.0)


def test_stream_failure_without_rate_limit_signal_is_none() -> None:
    event = {
        "type": "response.failed",
        "response": {"error": {"code": "server_error", "message": "rate limit?"}},
    }
    assert parse_rate_limit(None, None, json.dumps(event)) is None
    assert parse_rate_limit(None, None, '{"type":"response.output_text.delta","delta":"hi"}') is None


# ---------------------------------------------------------------------------------------------- 7.


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Rate limit exceeded"),
        ("Too Many Requests", "Rate limit exceeded"),
        ('{"error":{"message":"Slow down please","code":"429"}}', "Rate limit exceeded: Slow down please"),
        (
            '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).",'
            '"status":"RESOURCE_EXHAUSTED"}}',
            "Rate limit exceeded: Resource has been exhausted (e.g. check quota).",
        ),
        ("<html><head><title>429 Too Many Requests</title></head></html>", "Rate limit exceeded"),
    ],
)
def test_any_other_429_is_generic(body: str, message: str) -> None:
    info = parse_rate_limit(429, {}, body)
    assert info == RateLimitInfo(message=message)


def test_openai_upstream_text_carries_numbers() -> None:
    message = (
        "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for gpt-4o in "
        "organization org-abc on tokens per min (TPM): Limit 30000, Used 25000, Requested 8000. "
        "Please try again in 6.5s."
    )
    info = parse_rate_limit(429, {}, litellm_error(message))
    assert info is not None
    assert (info.limit_type, info.limit, info.current, info.requested, info.retry_after, info.model) == (
        "tokens_per_minute",
        30000,
        25000,
        8000,
        6.5,
        "gpt-4o",
    )
    assert (info.kind, info.period) == ("tokens", "minute")
    assert info.message is not None and info.message.startswith("Rate limit reached for gpt-4o")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            400,
            '{"error":{"message":"Your rate limit configuration is invalid: rpm must be > 0","code":"400"}}',
        ),
        (400, "the rate limit words appear here"),
        (500, '{"error":{"message":"Internal error while checking rate limits","code":"500"}}'),
        (200, '{"id":"resp_1","status":"completed"}'),
        (503, ""),
        (None, ""),
        (None, "not json at all"),
    ],
)
def test_not_a_rate_limit(status: int | None, body: str) -> None:
    assert parse_rate_limit(status, {"retry-after": "5"}, body) is None


def test_litellm_rate_limit_error_prefix_is_a_signal() -> None:
    info = parse_rate_limit(500, {}, litellm_error("litellm.RateLimitError: upstream busy", "500"))
    assert info is not None


# ---------------------------------------------------------------------------------------------- format


@pytest.mark.parametrize(
    ("limit_type", "words"),
    [
        ("input_tokens_per_minute", "input tokens per minute"),
        ("output_tokens_per_minute", "output tokens per minute"),
        ("ITPM", "input tokens per minute"),
        ("OTPM", "output tokens per minute"),
        ("QPH", "queries per hour"),
        ("rpm", "requests per minute"),
        ("TPM", "tokens per minute"),
        ("max_parallel_requests", "max parallel requests"),
        ("tokens", "tokens"),
    ],
)
def test_describe_limit_type(limit_type: str, words: str) -> None:
    assert describe_limit_type(limit_type) == words


def test_format_full_structured_for_databricks() -> None:
    info = parse_rate_limit(429, {}, LITELLM_WRAPPED)
    assert info is not None
    lines = format_rate_limit(info, "databricks-claude-opus-4-6", databricks=True).split("\n")
    assert lines == [
        "⚠️  Rate Limit Exceeded - Model: databricks-claude-opus-4-6",
        "",
        "Rate limit exceeded",
        "",
        "Limit Type: input tokens per minute",
        "Limit: 200000 | Current: 200150",
        "Retry After: 15 seconds",
        "",
        "What to do:",
        "  • Wait 15 seconds before retrying",
        "  • Reduce prompt length or max_tokens",
        "  • Contact Databricks account team for higher limits",
    ]


def test_format_minimal_not_databricks() -> None:
    lines = format_rate_limit(RateLimitInfo(), "gpt-5", databricks=False).split("\n")
    assert lines == [
        "⚠️  Rate Limit Exceeded - Model: gpt-5",
        "",
        "Rate limit exceeded",
        "",
        "",
        "What to do:",
        "  • Wait 60 seconds before retrying (the answer does not say how long)",
        "  • Reduce prompt length or max_tokens",
    ]


def test_format_keeps_zero_and_formats_fractional_seconds() -> None:
    info = RateLimitInfo(
        message="Exceeded Databricks workspace rate limit",
        limit_type="OTPM",
        limit=0,
        current=0,
        retry_after=2.25,
    )
    lines = format_rate_limit(info, "m", databricks=True).split("\n")
    assert lines[2] == "Exceeded Databricks workspace rate limit"
    assert lines[4:7] == [
        "Limit Type: output tokens per minute",
        "Limit: 0 | Current: 0",
        "Retry After: 2.2 seconds",
    ]
    assert lines[9] == "  • Wait 2.2 seconds before retrying"


def test_format_shows_each_number_stated_and_no_other() -> None:
    text = format_rate_limit(RateLimitInfo(limit=5, retry_after=30.0), "m", databricks=False)
    assert "Limit: 5\n" in text and "Current" not in text and "Requested" not in text
    assert "Retry After: 30 seconds" in text
    info = RateLimitInfo(limit=30000, requested=36321, kind="tokens", period="minute")
    text = format_rate_limit(info, "gpt-4-turbo", databricks=False)
    assert "Limit Type: tokens per minute\nLimit: 30000 | Requested: 36321\n" in text
    assert "This request alone (36321) is more than the limit (30000): waiting will not help" in text


@pytest.mark.parametrize(
    ("info", "present", "absent"),
    [
        (RateLimitInfo(kind="quota"), "waiting a minute will not help", "Reduce prompt length"),
        (RateLimitInfo(kind="concurrency"), "Send fewer requests at the same time", "Reduce prompt length"),
        (RateLimitInfo(kind="requests", period="day"), "Wait for the day's limit to reset", "Reduce prompt"),
        (RateLimitInfo(kind="input_tokens", retry_after=5.0), "Reduce prompt length", "Send fewer"),
    ],
)
def test_advice_fits_the_limit(info: RateLimitInfo, present: str, absent: str) -> None:
    text = format_rate_limit(info, "gpt-5.2", databricks=False)
    assert present in text and absent not in text
    assert "haiku" not in text and "Databricks" not in text  # no advice about other vendors' models


def test_advice_names_the_smaller_sibling_the_proxy_serves() -> None:
    text = format_rate_limit(RateLimitInfo(), "gpt-5.2", databricks=False, smaller="gpt-5-mini")
    assert "Switch to a smaller model (e.g., gpt-5-mini instead of gpt-5.2)" in text
    assert "Switch to a smaller model" not in format_rate_limit(RateLimitInfo(), "gpt-5.2", databricks=False)


def test_a_quota_id_is_told_in_words() -> None:
    info = RateLimitInfo(limit_type="GenerateRequestsPerDayPerProjectPerModel-FreeTier", kind="requests", period="day")
    assert "Limit Type: requests per day" in format_rate_limit(info, "gemini-2.5-pro", databricks=False)


# ---------------------------------------------------------------------------------------------- quota


def test_quota_plain_headers() -> None:
    headers = {
        "X-RateLimit-Remaining-Requests": "99",
        "X-RateLimit-Limit-Requests": "100",
        "x-ratelimit-remaining-tokens": "149000",
        "x-ratelimit-limit-tokens": "150000",
        "x-ratelimit-reset-requests": "600ms",
        "x-ratelimit-reset-tokens": "1m30s",
    }
    assert parse_quota(headers) == Quota(
        remaining_requests=99,
        limit_requests=100,
        remaining_tokens=149000,
        limit_tokens=150000,
        reset_requests_s=0.6,
        reset_tokens_s=90.0,
    )


def test_quota_upstream_headers_win() -> None:
    headers = {
        "x-ratelimit-remaining-requests": "5",
        "x-ratelimit-limit-requests": "10",
        "llm_provider-x-ratelimit-remaining-requests": "4999",
        "llm_provider-x-ratelimit-limit-requests": "5000",
        "llm_provider-x-ratelimit-reset-requests": "12ms",
    }
    quota = parse_quota(headers)
    assert quota is not None
    assert (quota.remaining_requests, quota.limit_requests, quota.reset_requests_s) == (4999, 5000, 0.012)
    assert quota.remaining_tokens is None and quota.reset_tokens_s is None


def test_quota_litellm_scoped_headers_take_the_most_restrictive_scope() -> None:
    headers = {
        "x-ratelimit-api_key-remaining-requests": "8",
        "x-ratelimit-api_key-limit-requests": "10",
        "x-ratelimit-team-remaining-requests": "2",
        "x-ratelimit-team-limit-requests": "100",
        "x-ratelimit-model_per_key-remaining-tokens": "-20",
        "x-ratelimit-model_per_key-limit-tokens": "1000",
    }
    assert parse_quota(headers) == Quota(
        remaining_requests=2, limit_requests=100, remaining_tokens=0, limit_tokens=1000
    )


def test_quota_negative_remaining_is_clamped_and_missing_reset_is_none() -> None:
    quota = parse_quota({"x-ratelimit-remaining-tokens": "-5", "x-ratelimit-limit-tokens": "100"})
    assert quota == Quota(remaining_tokens=0, limit_tokens=100)


@pytest.mark.parametrize(
    "headers",
    [{}, {"content-type": "application/json"}, {"x-ratelimit-remaining-tokens": "lots"}],
)
def test_quota_none_without_usable_headers(headers: dict[str, str]) -> None:
    assert parse_quota(headers) is None


def test_quota_accepts_any_mapping_case_insensitively() -> None:
    class Headers(dict[str, str]):
        pass

    quota = parse_quota(Headers({"X-RATELIMIT-REMAINING-REQUESTS": "3"}))
    assert quota == Quota(remaining_requests=3)


@pytest.mark.parametrize(
    "prefix",
    [
        "Rate limit exceeded for x: ",
        "Model capacity reached for a.",
        "Priority-based rate limit exceeded. Model: ",
        "Rate limit reached for m in organization o on ",
        "LiteLLM Rate Limit Handler for rate limit type = ",
        "Limit resets at: 2026-01-01 ",
        "Rate limit exceeded for images per minute in organization o. Limit: ",
        "Request too large for m (for limit n) on ",
        "Rate limit reached for m (for limit n) ",
        "Rate limit is exceeded. ",
        "exceeded the maximum number of tokens allowed within a ",
    ],
)
def test_a_huge_repeated_limiter_prefix_is_read_in_bounded_time_and_claims_nothing(prefix: str) -> None:
    """Every limiter pattern is bounded: 200,000 characters of a repeated prefix (no quadratic backtracking)."""
    info = parse_rate_limit(429, {}, prefix * (200_000 // len(prefix)))
    assert info is not None and (info.limit, info.current, info.retry_after) == (None, None, None)


def test_a_quota_with_a_wait_is_waited_out() -> None:
    """google-gemini/gemini-cli#8437: Gemini words a per-minute limit as "You exceeded your current quota" and
    gives the wait and the quota ids: what they say wins, and the wait is counted down."""
    from llmconsole.core.proxy.ratelimit import waiting_helps

    body = json.dumps(
        {
            "error": {
                "code": 429,
                "message": "You exceeded your current quota, please check your plan and billing details.",
                "status": "RESOURCE_EXHAUSTED",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [
                            {
                                "quotaMetric": "generativelanguage.googleapis.com/"
                                "generate_content_free_tier_input_token_count",
                                "quotaId": "GenerateContentInputTokensPerModelPerMinute-FreeTier",
                            }
                        ],
                    },
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "38s"},
                ],
            }
        }
    )
    info = parse_rate_limit(429, {}, body)
    assert info is not None
    assert (info.kind, info.period, info.retry_after) == ("input_tokens", "minute", 38.0)
    assert waiting_helps(info)
    assert not waiting_helps(RateLimitInfo(kind="quota"))
    assert waiting_helps(RateLimitInfo(kind="quota", retry_after=38.0))


def test_anthropic_headers_say_what_ran_out_and_when_it_resets() -> None:
    """Anthropic's ``anthropic-ratelimit-*`` headers on a 429: the dimension at 0 is what was hit, its limit is
    the limit, its reset the wait (``retry-after``, when sent, wins)."""
    now = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    headers = {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:01Z",
        "anthropic-ratelimit-input-tokens-limit": "40000",
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": "2026-01-01T00:00:30Z",
    }
    body = '{"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"}}'
    info = parse_rate_limit(429, headers, body, now=now)
    assert info is not None
    assert (info.kind, info.limit, info.retry_after) == ("input_tokens", 40000, 30.0)
    with_retry_after = parse_rate_limit(429, {**headers, "retry-after": "12"}, body, now=now)
    assert with_retry_after is not None and with_retry_after.retry_after == 12.0
