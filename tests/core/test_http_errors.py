"""Error bodies -> messages and typed errors; mid-stream failures; rejected-parameter detection."""

from __future__ import annotations

import json

import pytest

from llmconsole.core.errors import (
    AuthenticationError,
    BadRequestError,
    ContextOverflowError,
    NotFoundError,
    ProxyStatusError,
    RateLimitError,
    ServerError,
    StreamError,
)
from llmconsole.core.proxy.errorbody import extract_error_message
from llmconsole.core.proxy.http_errors import (
    error_from_event,
    error_from_response,
)

KEY = "sk-live-0123456789abcdefXYZ"


def litellm_error(message: str, code: str = "400", type_: str | None = "None") -> str:
    return json.dumps({"error": {"message": message, "type": type_, "param": "None", "code": code}})


def databricks_wrapped(message: str, prefix: str = "litellm.BadRequestError: DatabricksException - ") -> str:
    inner = json.dumps({"error_code": "BAD_REQUEST", "message": message})
    return litellm_error(prefix + inner + "\nReceived Model Group=claude\nAvailable Model Group Fallbacks=None")


# ---------------------------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '{"error":{"message":"Invalid value for temperature","type":"invalid_request_error"}}',
            "Invalid value for temperature",
        ),
        ('{"detail":"Not Found"}', "Not Found"),
        ('{"detail":{"error":"key not allowed"}}', "key not allowed"),
        (
            '{"detail":[{"type":"missing","loc":["body","input"],"msg":"Field required","input":{}}]}',
            "body.input: Field required",
        ),
        ('{"message":"Something broke"}', "Something broke"),
        (
            '{"error_code":"BAD_REQUEST","message":"Invalid request: max_tokens too large"}',
            "Invalid request: max_tokens too large",
        ),
        (
            '{"error":"invalid_token","error_description":"The token expired"}',
            "invalid_token: The token expired",
        ),
        ('["first problem"]', "first problem"),
        (databricks_wrapped("temperature must be <= 1"), "temperature must be <= 1"),
        (
            litellm_error(
                "litellm.BadRequestError: OpenAIException - Error code: 400 - {'error': {'message': "
                "\"Unsupported parameter: 'max_tokens' is not supported with this model.\", 'type': "
                "'invalid_request_error', 'param': 'max_tokens', 'code': 'unsupported_parameter'}}"
            ),
            "Unsupported parameter: 'max_tokens' is not supported with this model.",
        ),
        (
            litellm_error("litellm.BadRequestError: Invalid request: see {the docs} for details"),
            "litellm.BadRequestError: Invalid request: see {the docs} for details",
        ),
        (
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n",
            "502 Bad Gateway",
        ),
        (
            "<!DOCTYPE html><html><body><h1>Service &amp; Gateway down</h1></body></html>",
            "Service & Gateway down",
        ),
        (
            "upstream connect error or disconnect/reset before headers.\nreset reason: overflow",
            "upstream connect error or disconnect/reset before headers. reset reason: overflow",
        ),
        ("", ""),
        ("   \n ", ""),
        (b'{"error":{"message":"bytes body"}}', "bytes body"),
        (b"\xff\xfe broken utf8", "�� broken utf8"),
        ('{"unrelated": 1}', '{"unrelated": 1}'),
    ],
)
def test_extract_error_message(body: str | bytes, message: str) -> None:
    assert extract_error_message(body) == message


def test_extract_error_message_is_one_bounded_line() -> None:
    message = extract_error_message(json.dumps({"error": {"message": "line one\n\tline two " + "x" * 1000}}))
    assert "\n" not in message and "\t" not in message
    assert message.startswith("line one line two x")
    assert len(message) <= 300 and message.endswith("…")


# ---------------------------------------------------------------------------------------------- responses


def test_401_is_authentication_error_and_redacted() -> None:
    body = litellm_error(
        f"Authentication Error, Invalid proxy server token passed. Received API Key = {KEY}, "
        "Key Hash (Token) =0f1e. Unable to find token in cache or `LiteLLM_VerificationTokenTable`",
        code="401",
        type_="auth_error",
    )
    error = error_from_response(401, {"x-litellm-call-id": "call-1"}, body, model="gpt-5", secrets=[KEY])
    assert isinstance(error, AuthenticationError)
    assert error.status == 401 and error.request_id == "call-1"
    assert str(error).startswith(
        "HTTP 401: The proxy refused the API key — check OPENAI_API_KEY (Authentication Error, Invalid proxy "
        "server token passed. Received API Key = [REDACTED]"
    )
    for text in (str(error), repr(error), repr(error.args), error.body, error.message):
        assert KEY not in text
        assert KEY[:12] not in text
    assert "\n" not in str(error)


def test_key_cut_short_by_the_server_is_redacted_too() -> None:
    body = litellm_error(f"Bearer {KEY[:14]} is not valid; got sk-{KEY[3:20]}...", code="401")
    error = error_from_response(401, {}, body, model=None, secrets=[KEY])
    assert KEY[:14] not in str(error) and KEY[3:20] not in str(error)
    assert "Bearer [REDACTED]" in str(error)


def test_403_is_authentication_error() -> None:
    body = litellm_error("key not allowed to access model. This key can only access models=['a']", code="403")
    error = error_from_response(403, {}, body, model="b", secrets=[])
    assert isinstance(error, AuthenticationError) and error.status == 403
    assert "check OPENAI_API_KEY" in str(error) and "key not allowed to access model" in str(error)


def test_litellm_invalid_model_name_is_not_found_with_hint() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "responses: Invalid model name passed in model=nope. Call `/v1/models` to view "
                "available models for your key.",
                "type": "None",
                "param": "None",
                "code": "400",
            }
        }
    )
    error = error_from_response(400, {"x-request-id": "req-9"}, body, model=None, secrets=[])
    assert isinstance(error, NotFoundError) and error.status == 400 and error.request_id == "req-9"
    assert str(error).startswith("HTTP 400: Model 'nope' is not served by this proxy (")
    assert str(error).endswith("Run `llmconsole --list-models` to see the models.")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            404,
            '{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.",'
            '"code":"model_not_found"}}',
        ),
        (400, litellm_error("litellm.BadRequestError: No healthy deployments found.")),
        (400, litellm_error("litellm.BadRequestError: LLM Provider NOT provided. You passed model=gpt-9")),
        (404, '{"error_code":"ENDPOINT_NOT_FOUND","message":"The given endpoint does not exist."}'),
        (404, '{"error":{"message":"something else entirely"}}'),
    ],
)
def test_model_not_found_shapes(status: int, body: str) -> None:
    error = error_from_response(status, {}, body, model="gpt-9", secrets=[])
    assert isinstance(error, NotFoundError)
    assert "Model 'gpt-9' is not served by this proxy" in str(error)
    assert str(error).endswith("Run `llmconsole --list-models` to see the models.")


def test_404_from_a_missing_route_points_at_the_base_url() -> None:
    error = error_from_response(404, {}, '{"detail":"Not Found"}', model="gpt-5", secrets=[])
    assert isinstance(error, NotFoundError)
    assert str(error) == "HTTP 404: Not Found — the proxy has no such endpoint; check OPENAI_BASE_URL"


@pytest.mark.parametrize(
    ("message", "window", "requested"),
    [
        (
            "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: "
            "OpenAIException - This model's maximum context length is 128000 tokens.",
            128000,
            None,
        ),
        ("Error code: 400 - {'error': {'code': 'context_length_exceeded', 'message': 'Input too large'}}", None, None),
        ("prompt is too long: 210000 tokens > 200000 maximum", 200000, 210000),
        ("Input is too long for requested model.", None, None),
        ("input length and `max_tokens` exceed context limit: 187254 + 20000 > 200000", 200000, 207254),
    ],
)
def test_context_overflow(message: str, window: int | None, requested: int | None) -> None:
    error = error_from_response(400, {}, litellm_error(message), model="claude-opus", secrets=[])
    assert isinstance(error, ContextOverflowError) and isinstance(error, BadRequestError)
    assert (error.window, error.requested) == (window, requested)
    assert str(error).startswith("HTTP 400: The conversation is too long for claude-opus's context window")
    assert "— start a new conversation (ctrl+n) or pick a model with a larger window (" in str(error)
    if window and requested:
        assert f"({requested:,} tokens, the window is {window:,})" in str(error)


def test_other_400_and_422_are_bad_requests_with_the_inner_message() -> None:
    error = error_from_response(
        400, {}, databricks_wrapped("prompt_cache_key: Extra inputs are not permitted"), model="m", secrets=[]
    )
    assert type(error) is BadRequestError
    assert str(error) == "HTTP 400: prompt_cache_key: Extra inputs are not permitted"
    error = error_from_response(
        422,
        {},
        '{"detail":[{"type":"missing","loc":["body","model"],"msg":"Field required"}]}',
        model=None,
        secrets=[],
    )
    assert type(error) is BadRequestError and str(error) == "HTTP 422: body.model: Field required"


def test_html_502_is_server_error_from_a_gateway() -> None:
    body = (
        b"<html><head><title>502 Bad Gateway</title></head>"
        b"<body><center><h1>502 Bad Gateway</h1></center></body></html>"
    )
    error = error_from_response(502, {"Content-Type": "text/html"}, body, model=None, secrets=[])
    assert isinstance(error, ServerError) and error.status == 502
    assert str(error) == "HTTP 502: 502 Bad Gateway (an HTML page from a gateway in front of the proxy)"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            500,
            litellm_error("litellm.APIConnectionError: upstream hung up", "500"),
            "HTTP 500: litellm.APIConnectionError: upstream hung up",
        ),
        (503, "", "HTTP 503: Service Unavailable"),
    ],
)
def test_5xx_is_server_error(status: int, body: str, message: str) -> None:
    error = error_from_response(status, {}, body, model=None, secrets=[])
    assert isinstance(error, ServerError) and str(error) == message


def test_other_statuses_are_plain_status_errors() -> None:
    error = error_from_response(409, {}, '{"error":{"message":"conflict"}}', model=None, secrets=[])
    assert type(error) is ProxyStatusError and str(error) == "HTTP 409: conflict" and error.status == 409
    error = error_from_response(799, {}, "", model=None, secrets=[])
    assert type(error) is ProxyStatusError and str(error) == "HTTP 799: Error"


def test_rate_limit_error_carries_info_and_summary() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "litellm.RateLimitError: RateLimitError: OpenAIException - "
                + json.dumps(
                    {
                        "error": {
                            "type": "rate_limit_exceeded",
                            "limit_type": "input_tokens_per_minute",
                            "limit": 200000,
                            "current": 200150,
                            "retry_after": 15,
                        }
                    }
                ),
                "type": None,
                "param": None,
                "code": "429",
            }
        }
    )
    error = error_from_response(429, {"retry-after": "60"}, body, model="databricks-claude-opus-4-6", secrets=[])
    assert isinstance(error, RateLimitError) and error.exit_code == 3 and error.status == 429
    assert error.info.retry_after == 15.0
    assert str(error) == (
        "HTTP 429: Rate limit exceeded (input tokens per minute; 200150 of 200000; retry after 15 seconds)"
    )


def test_rate_limit_info_message_is_redacted() -> None:
    body = litellm_error(f"Slow down, {KEY}", code="429")
    error = error_from_response(429, {}, body, model=None, secrets=[KEY])
    assert isinstance(error, RateLimitError)
    assert error.info.message is not None and KEY not in error.info.message
    assert KEY not in repr(error) and KEY not in error.body


def test_databricks_rate_limit_on_400_is_a_rate_limit() -> None:
    body = (
        '{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"REQUEST_LIMIT_EXCEEDED: Exceeded workspace output '
        'tokens per minute rate limit for databricks-claude-sonnet-4-5."}'
    )
    error = error_from_response(400, {}, body, model=None, secrets=[])
    assert isinstance(error, RateLimitError) and error.status == 400
    assert str(error) == "HTTP 400: Exceeded Databricks workspace rate limit (output tokens per minute)"


# ---------------------------------------------------------------------------------------------- events


def test_event_response_failed_server_error_is_stream_error() -> None:
    payload = {
        "type": "response.failed",
        "response": {"id": "r", "error": {"code": "server_error", "message": "The model crashed"}},
    }
    error = error_from_event(payload, model="m", secrets=[])
    assert type(error) is StreamError
    assert str(error) == "The server reported an error mid-stream: The model crashed (server_error)"


def test_event_error_without_details() -> None:
    error = error_from_event({"type": "error"}, model=None, secrets=[])
    assert type(error) is StreamError and str(error) == "The server reported an error mid-stream (no details)"


def test_event_rate_limit_is_rate_limit_error() -> None:
    payload = {
        "type": "response.failed",
        "response": {"error": {"code": "rate_limit_exceeded", "message": "Too fast"}},
    }
    error = error_from_event(payload, model="m", secrets=[])
    assert isinstance(error, RateLimitError) and error.status == 429
    assert error.info.message == "Too fast"
    assert str(error) == "Rate limited mid-stream: Too fast"


def test_event_error_type_with_nested_error_and_litellm_code() -> None:
    payload = {"error": {"message": "litellm.RateLimitError: busy", "type": "None", "param": None, "code": "429"}}
    error = error_from_event(payload, model=None, secrets=[])
    assert isinstance(error, RateLimitError)
    other: dict[str, object] = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "bad", "code": None},
    }
    error = error_from_event(other, model=None, secrets=[])
    assert (
        type(error) is StreamError
        and str(error) == "The server reported an error mid-stream: bad (invalid_request_error)"
    )


def test_event_message_is_redacted() -> None:
    payload = {"type": "error", "code": "server_error", "message": f"leaked {KEY}"}
    error = error_from_event(payload, model=None, secrets=[KEY])
    assert KEY not in str(error) and KEY not in repr(error) and "[REDACTED]" in str(error)


def test_wrong_key_on_a_proxy_without_database_is_an_authentication_error() -> None:
    from llmconsole.core.errors import AuthenticationError as _Auth

    body = '{"error":{"message":"No connected db.","type":"no_db_connection","param":null,"code":"400"}}'
    error = error_from_response(400, {}, body, model="gpt-5.2", secrets=["sk-wrong"])
    assert isinstance(error, _Auth) and "OPENAI_API_KEY" in str(error)


# ------------------------------------------------------------------- redaction does not blind the readers


@pytest.mark.parametrize("key", ["x", "e", "st"])
def test_a_short_key_is_redacted_from_what_is_shown_but_the_original_is_read(key: str) -> None:
    """Issue 18 §8: with the key ``x`` the body came out as ``E[REDACTED]tra inputs``; now the readers read the
    answer as it came, and only what is shown and kept is redacted."""
    from llmconsole.core.proxy.params import rejected_fields
    from llmconsole.core.redact import REDACTED

    body = databricks_wrapped("prompt_cache_key: Extra inputs are not permitted")
    error = error_from_response(400, {}, body, model="m", secrets=[key])
    assert rejected_fields(error, {"model": "m", "input": [], "prompt_cache_key": "k"}) == ["prompt_cache_key"]
    assert key not in str(error).replace(REDACTED, "") and key not in error.body.replace(REDACTED, "")
    too_long = litellm_error("prompt is too long: 210000 tokens > 200000 maximum")
    overflow = error_from_response(400, {}, too_long, model="m", secrets=[key])
    assert isinstance(overflow, ContextOverflowError) and (overflow.window, overflow.requested) == (200000, 210000)


@pytest.mark.parametrize(
    "body",
    [
        'data: {"error": {"message": "Error processing stream start", "type": "None", "code": "500"}}\n\n'
        "data: [DONE]\n\n",
        'event: error\r\ndata: {"error": {"message": "Error processing stream start"}}\r\n\r\n',
        ': keep-alive\n\ndata: {"error":\ndata:  {"message": "Error processing stream start"}}\n\n',
    ],
)
def test_an_error_body_framed_as_a_stream_is_read_like_json(body: str) -> None:
    """Issue 20 item 2: ``HTTP 500: Error processing stream start``, not the SSE framing."""
    error = error_from_response(500, {"content-type": "text/event-stream"}, body, model="m", secrets=[])
    assert isinstance(error, ServerError)
    assert str(error) == "HTTP 500: Error processing stream start"
