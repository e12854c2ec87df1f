"""Property tests: the error-path parsers take anything a server could send and never raise.

Each returns its typed result (or one of the project's own typed errors) for arbitrary bytes, text,
JSON and headers, and never leaks a secret.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmconsole.core.errors import ProxyError, ProxyStatusError, RateLimitError, StreamError
from llmconsole.core.events import Quota
from llmconsole.core.proxy.errorbody import extract_error_message
from llmconsole.core.proxy.http_errors import (
    error_from_event,
    error_from_response,
)
from llmconsole.core.proxy.ratelimit import (
    RateLimitInfo,
    format_rate_limit,
    parse_quota,
    parse_rate_limit,
)
from llmconsole.core.proxy.rejections import rejected_paths, request_field
from llmconsole.core.redact import one_line, redact

SETTINGS = settings(max_examples=200, deadline=500, suppress_health_check=[HealthCheck.too_slow])
SECRET = "sk-prop-test-0123456789"

# Words that steer examples into the parsers' interesting branches.
_WORDS = st.sampled_from(
    [
        "rate_limit_exceeded",
        "REQUEST_LIMIT_EXCEEDED",
        "limit_type",
        "retry_after",
        "429",
        "litellm.RateLimitError: ",
        "Crossed TPM / RPM / Max Parallel Request Limit",
        "current rpm: 5, rpm limit: 1",
        "Limit type: tokens. Current limit: 10, Remaining: 0",
        "Try again in 5 seconds",
        "Extra inputs are not permitted",
        'Unknown name \\"x\\"',
        "does not support parameters: ['",
        "{",
        "}",
        '\\"',
        "<title>",
        "response.failed",
        SECRET,
    ]
)
_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_WORDS, st.text(max_size=20)), max_size=12).map("".join),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
)
_KEYS = st.one_of(
    st.sampled_from(
        [
            "error",
            "message",
            "type",
            "code",
            "limit_type",
            "limit",
            "current",
            "retry_after",
            "detail",
            "response",
            "error_code",
            "status",
            "loc",
            "msg",
            "rate_limit_type",
            "retryDelay",
            "model",
        ]
    ),
    st.text(max_size=10),
)
JSON = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=5)),
    max_leaves=25,
)
_HEADER_NAMES = st.one_of(
    st.sampled_from(
        [
            "retry-after",
            "Retry-After",
            "retry-after-ms",
            "llm_provider-retry-after",
            "llm_provider-retry-after-ms",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-reset-tokens",
            "llm_provider-x-ratelimit-remaining-tokens",
            "x-ratelimit-key-remaining-requests",
            "x-ratelimit-team-limit-tokens",
            "x-request-id",
            "rate_limit_type",
            "x-ratelimit-reset",
        ]
    ),
    st.text(max_size=20),
)
_HEADER_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["15", "-1", "NaN", "inf", "1e400", "1m30s", "20ms", "Wed, 21 Oct 2015 07:28:00 GMT", "9" * 50]),
    st.integers().map(str),
    st.floats().map(str),
)
HEADERS = st.dictionaries(_HEADER_NAMES, _HEADER_VALUES, max_size=6)
BODIES = st.one_of(
    st.binary(max_size=300),
    _TEXT,
    JSON.map(lambda v: json.dumps(v)),
    JSON.map(
        lambda v: json.dumps({"error": {"message": "litellm.RateLimitError: X - " + json.dumps(v), "code": "429"}})
    ),
)
STATUSES = st.one_of(
    st.none(), st.sampled_from([200, 400, 401, 403, 404, 422, 429, 500, 502, 503]), st.integers(0, 999)
)


def _check_info(info: RateLimitInfo | None) -> None:
    if info is None:
        return
    assert isinstance(info, RateLimitInfo)
    assert info.retry_after is None or (isinstance(info.retry_after, float) and 0 <= info.retry_after < float("inf"))
    for value in (info.limit, info.current):
        assert value is None or (isinstance(value, int | float) and not isinstance(value, bool) and value >= 0)
    for text in (info.message, info.limit_type, info.model):
        assert text is None or isinstance(text, str)
    assert isinstance(format_rate_limit(info, "model", databricks=True), str)


@SETTINGS
@given(status=STATUSES, headers=HEADERS, body=BODIES)
def test_parse_rate_limit_total(status: int | None, headers: dict[str, str], body: str | bytes) -> None:
    info = parse_rate_limit(status, headers, body, now=1_700_000_000.0)
    _check_info(info)
    if status == 429:
        assert info is not None


@SETTINGS
@given(headers=HEADERS)
def test_header_parsers_total(headers: dict[str, str]) -> None:
    info = parse_rate_limit(429, headers, None, now=1_700_000_000.0)
    seconds = info.retry_after if info is not None else None
    assert seconds is None or (isinstance(seconds, float) and seconds >= 0)
    quota = parse_quota(headers)
    assert quota is None or isinstance(quota, Quota)
    if quota is not None:
        for value in (quota.remaining_requests, quota.remaining_tokens):
            assert value is None or value >= 0


@SETTINGS
@given(body=BODIES)
def test_extract_error_message_total(body: str | bytes) -> None:
    message = extract_error_message(body)
    assert isinstance(message, str)
    assert "\n" not in message and len(message) <= 300


@SETTINGS
@given(status=st.integers(0, 999), headers=HEADERS, body=BODIES, model=st.one_of(st.none(), st.text(max_size=20)))
def test_error_from_response_total(status: int, headers: dict[str, str], body: str | bytes, model: str | None) -> None:
    error = error_from_response(status, headers, body, model=model, secrets=[SECRET])
    assert isinstance(error, ProxyStatusError)
    assert str(error).startswith(f"HTTP {status}: ")
    assert "\n" not in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error) and SECRET not in error.body
    if isinstance(error, RateLimitError):
        _check_info(error.info)
        assert error.info.message is None or SECRET not in error.info.message


@SETTINGS
@given(payload=st.dictionaries(_KEYS, JSON, max_size=6), model=st.one_of(st.none(), st.text(max_size=20)))
def test_error_from_event_total(payload: dict[str, Any], model: str | None) -> None:
    error = error_from_event(payload, model=model, secrets=[SECRET])
    assert isinstance(error, RateLimitError | StreamError)
    assert isinstance(error, ProxyError)
    assert SECRET not in str(error) and "\n" not in str(error)


@SETTINGS
@given(
    payload=st.fixed_dictionaries(
        {"type": st.sampled_from(["response.failed", "error"])},
        optional={
            "response": st.fixed_dictionaries({}, optional={"error": JSON}),
            "error": JSON,
            "code": _SCALARS,
            "message": _SCALARS,
        },
    )
)
def test_error_from_event_shaped_payloads(payload: dict[str, Any]) -> None:
    error = error_from_event(payload, model="m", secrets=[SECRET])
    assert isinstance(error, RateLimitError | StreamError)


@SETTINGS
@given(message=st.one_of(_TEXT, BODIES.map(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else b)))
def test_rejected_paths_total(message: str) -> None:
    for path in rejected_paths(message):
        field = request_field(path)
        assert field is None or (field.isidentifier() and field.isascii())


@SETTINGS
@given(
    text=_TEXT,
    secrets=st.lists(st.text(st.characters(blacklist_characters="[]REDACT"), min_size=1, max_size=12), max_size=4),
    limit=st.integers(-5, 400),
)
def test_redact_and_one_line_total(text: str, secrets: list[str], limit: int) -> None:
    out = redact(text + "".join(secrets), secrets)
    for secret in secrets:
        assert secret not in out
    line = one_line(out, limit)
    assert "\n" not in line and len(line) <= max(limit, 0)
