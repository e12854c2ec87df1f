"""Turn what the proxy answered (an error status and body, or a mid-stream failure event) into typed errors.

Every message is one line, starts with ``HTTP {status}:`` for status errors, and is redacted: the API
key (and any other secret passed in) never survives into ``str()``, ``repr()`` or ``args``.
All functions are pure and never raise on bad input.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from llmconsole.core.errors import (
    AuthenticationError,
    BadRequestError,
    ContextOverflowError,
    NotFoundError,
    ProxyError,
    ProxyStatusError,
    RateLimitError,
    ServerError,
    StreamError,
)
from llmconsole.core.ratelimit import (
    Body,
    RateLimitInfo,
    analyse,
    describe_limit_type,
    embedded_objects,
    lower_headers,
    rate_limit_from_body,
    search_text,
    to_text,
)
from llmconsole.core.redact import REDACTED, one_line, redact

__all__ = [
    "error_from_event",
    "error_from_response",
    "extract_error_message",
]

_SERVER_PART = 220
"""Characters of the server's own message kept inside our messages."""
_BODY_KEEP = 20_000
"""Characters of the (redacted) body kept on the exception for ``--debug``."""
_LIST_MODELS_HINT = "Run `llmconsole --list-models` to see the models."

# Keys a proxy or an upstream may echo whoever they belong to (LiteLLM echoes its own upstream key in a 401:
# "Incorrect API key provided: sk-…"; Databricks tokens are dapi…): never shown, ours or not.
_FOREIGN_KEY_RE = re.compile(r"\b(?:sk-[A-Za-z0-9_\-]{16,}|dapi[0-9a-f]{32}(?:-\d+)?)")
_EMBEDDED_HTML_RE = re.compile(r"<!doctype html|<html[\s>]|<head[\s>]|<title[\s>]", re.IGNORECASE)
_LITELLM_TAIL_RE = re.compile(r"\s*\.?\s*Received Model Group=.*\Z", re.DOTALL)
_HTML_START_RE = re.compile(r"\s*(?:<!doctype html|<html|<head|<body|<title|<h1|<center|<\?xml)", re.IGNORECASE)
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1_RE = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]*>")
_SCRIPT_RE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# What LiteLLM (and the SDKs it wraps) put in front of an upstream's body: "litellm.BadRequestError:
# BadRequestError: DatabricksException - ", "OpenAIException - Error code: 400 - ", "b'" ...
_WRAPPER_RE = re.compile(
    r"(?:\s*(?:litellm\.)?[A-Za-z_]*(?:Error|Exception)\s*(?::|-)\s*"
    r"|\s*Error code:?\s*\d{3}\s*-?\s*"
    r"|\s*[A-Za-z_]+\s+-\s*"
    r"|\s*b?['\"]\s*)*"
)

_CONTEXT_PATTERNS = (
    "context_length_exceeded",
    "maximum context length",
    "contextwindowexceedederror",
    "prompt is too long",
    "input is too long",
    "exceed context limit",
    "exceeds the context window",
    "context window exceeded",
    "exceeds the maximum number of tokens",
)
_MODEL_NOT_FOUND_PATTERNS = (
    "invalid model name passed in model=",
    "model_not_found",
    "no healthy deployments",
    "no deployments available for selected model",
    "llm provider not provided",
    "endpoint_not_found",
    "model not found",
    "unknown model",
    "is not a valid model",
)
_MODEL_DOES_NOT_EXIST_RE = re.compile(r"\bmodel\b[^.]{0,200}?\b(?:does not exist|not found)", re.IGNORECASE)
_MODEL_IN_TEXT_RE = re.compile(r"\bmodel=([^\s,;]+?)(?=[.,;]?(?:\s|$))")


# --------------------------------------------------------------------------------------------------
# The human message of any error body


def _detail_list(items: list[Any]) -> str | None:
    """FastAPI/pydantic validation errors: ``[{"loc": [...], "msg": "..."}]`` -> "loc: msg; ..."."""
    parts: list[str] = []
    for item in items[:3]:
        if isinstance(item, dict) and isinstance(item.get("msg"), str):
            loc = item.get("loc")
            where = ".".join(str(p) for p in loc) if isinstance(loc, list | tuple) else ""
            parts.append(f"{where}: {item['msg']}" if where else item["msg"])
        else:
            message = _message_from_obj(item, 1)
            if message:
                parts.append(message)
    return "; ".join(parts) or None


def _message_from_obj(obj: Any, depth: int = 0) -> str | None:
    """The most useful human message inside a parsed JSON error body."""
    if depth > 6:
        return None
    if isinstance(obj, str):
        return obj.strip() or None
    if isinstance(obj, list):
        if any(isinstance(item, dict) and "msg" in item for item in obj[:3]):
            return _detail_list(obj)
        for item in obj[:5]:
            message = _message_from_obj(item, depth + 1)
            if message:
                return message
        return None
    if not isinstance(obj, dict):
        return None
    error = obj.get("error")
    if isinstance(error, dict | list):
        message = _message_from_obj(error, depth + 1)
        if message:
            return message
    message = obj.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    if isinstance(error, str) and error.strip():
        description = obj.get("error_description")
        if isinstance(description, str) and description.strip():
            return f"{error.strip()}: {description.strip()}"
        return error.strip()
    detail = obj.get("detail")
    if detail is not None:
        message = _detail_list(detail) if isinstance(detail, list) else _message_from_obj(detail, depth + 1)
        if message:
            return message
    for key in ("msg", "error_description", "title", "description", "error_message", "errorMessage"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    if isinstance(message, dict | list):
        return _message_from_obj(message, depth + 1)
    return None


def _unwrap(message: str) -> str:
    """Prefer the innermost message when the outer one only wraps an embedded JSON body."""
    for _level in range(3):
        brace = message.find("{")
        if brace == -1:
            break
        head = message[:brace]
        if _WRAPPER_RE.fullmatch(head) is None:
            break
        inner: str | None = None
        for obj in embedded_objects(message):
            inner = _message_from_obj(obj)
            if inner:
                break
        if not inner or inner == message:
            break
        message = inner
    return message


def _html_message(text: str) -> str:
    for pattern in (_TITLE_RE, _H1_RE):
        match = pattern.search(text[:100_000])
        if match:
            title = one_line(html.unescape(_TAG_RE.sub(" ", match.group(1))))
            if title:
                return title
    stripped = _TAG_RE.sub(" ", _SCRIPT_RE.sub(" ", text[:100_000]))
    return one_line(html.unescape(stripped))


def is_html(text: str) -> bool:
    """Whether a body is an HTML page (a gateway's or a load balancer's error page)."""
    return _HTML_START_RE.match(text[:512]) is not None


def message_from_body(body: Body) -> str:
    """:func:`extract_error_message` on a body already taken apart."""
    text = body.text.strip()
    if not text:
        return ""
    if body.top is None and is_html(text):
        return _html_message(text)
    message = _message_from_obj(body.top) if body.top is not None else text
    if message is None:
        return one_line(text)
    return one_line(_tidy(_unwrap(message)))


def _tidy(message: str) -> str:
    """Drop LiteLLM's ``. Received Model Group=…`` tail; an HTML page it relayed becomes its title."""
    page = _EMBEDDED_HTML_RE.search(message)
    if page is not None:
        title = _html_message(message[page.start() :])
        if title:
            return f"{title} (an HTML page from a gateway behind the proxy)"
    tidy = _LITELLM_TAIL_RE.sub("", message)
    if tidy == message:
        return message
    if _WRAPPER_RE.fullmatch(tidy):
        return ""  # LiteLLM wrapped an empty upstream body: nothing to say
    return tidy.rstrip(" :-")


def extract_error_message(body: str | bytes) -> str:
    """The most useful human message of any error body, on one line ("" for an empty body).

    Understands OpenAI/LiteLLM ``{"error": {"message"}}``, ``{"detail": ...}`` (string, object or
    FastAPI's validation list), ``{"message"}``, Databricks ``{"error_code", "message"}``, LiteLLM's
    wrapping of an upstream's body (the inner message wins when the outer only wraps it), HTML pages
    (their ``<title>`` or first ``<h1>``) and plain text.
    """
    return message_from_body(analyse(to_text(body)))


# --------------------------------------------------------------------------------------------------
# Status errors


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` without our secrets and without any other API key a server echoed."""
    return _FOREIGN_KEY_RE.sub(REDACTED, redact(text, secrets))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{max(value, 0.1):.1f}"


def rate_limit_summary(info: RateLimitInfo) -> str:
    """One line: the message and, in parentheses, the limit type, usage and retry-after it carries."""
    details: list[str] = []
    if info.limit_type:
        details.append(describe_limit_type(info.limit_type))
    if info.limit is not None and info.current is not None:
        details.append(f"{info.current} of {info.limit}")
    elif info.limit is not None:
        details.append(f"limit {info.limit}")
    if info.retry_after:
        details.append(f"retry after {_seconds(info.retry_after)} seconds")
    summary = info.message or "Rate limit exceeded"
    return f"{summary} ({'; '.join(details)})" if details else summary


def _redact_info(info: RateLimitInfo, secrets: Sequence[str]) -> RateLimitInfo:
    return dataclasses.replace(
        info,
        message=_scrub(_tidy(info.message), secrets) if info.message else info.message,
        model=_scrub(info.model, secrets) if info.model else info.model,
        limit_type=_scrub(info.limit_type, secrets) if info.limit_type else info.limit_type,
    )


def _is_model_not_found(lowered: str) -> bool:
    return any(p in lowered for p in _MODEL_NOT_FOUND_PATTERNS) or bool(_MODEL_DOES_NOT_EXIST_RE.search(lowered))


def _is_context_overflow(lowered: str) -> bool:
    return any(p in lowered for p in _CONTEXT_PATTERNS)


def _model_named(search: str) -> str | None:
    match = _MODEL_IN_TEXT_RE.search(search)
    return match.group(1).strip("'\"`") or None if match else None


def _with_server(lead: str, server: str) -> str:
    server = one_line(server, _SERVER_PART)
    return f"{lead} ({server})" if server else lead


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: str | bytes,
    *,
    model: str | None,
    secrets: Sequence[str],
) -> ProxyError:
    """The typed error for an error answer (status, headers, body) from the proxy.

    Rate limit -> :class:`RateLimitError`; 401/403 -> :class:`AuthenticationError`; a model the proxy
    does not serve (404, or a 4xx saying so, as LiteLLM's 400 "Invalid model name") ->
    :class:`NotFoundError`; a context overflow -> :class:`ContextOverflowError`; other 400/422 ->
    :class:`BadRequestError`; 5xx -> :class:`ServerError`; anything else -> :class:`ProxyStatusError`.
    """
    h = lower_headers(headers)
    text = to_text(body)
    parsed = analyse(text)
    server = message_from_body(parsed)
    lowered = search_text(text).lower()
    request_id = h.get("x-request-id") or h.get("x-litellm-call-id") or None
    kept_body = _scrub(text[:_BODY_KEEP], secrets)
    prefix = f"HTTP {status}: "

    def done(cls: type[ProxyStatusError], message: str) -> ProxyStatusError:
        return cls(
            one_line(_scrub(prefix + message, secrets), 1000),
            status=status,
            body=kept_body,
            request_id=request_id,
        )

    info = rate_limit_from_body(status, h, parsed)
    if info is not None:
        info = _redact_info(info, secrets)
        message = one_line(_scrub(prefix + rate_limit_summary(info), secrets), 1000)
        return RateLimitError(message, info=info, status=status, body=kept_body, request_id=request_id)

    if status == 400 and ("no_db_connection" in lowered or "no connected db" in lowered):
        # LiteLLM without a key database answers a key other than its master key with 400 "No connected db."
        lead = "The proxy refused the API key (it only knows its master key) — check OPENAI_API_KEY"
        return done(AuthenticationError, _with_server(lead, server))
    if status == 401:
        return done(AuthenticationError, _with_server("The proxy refused the API key — check OPENAI_API_KEY", server))
    if status == 403:
        lead = "The proxy refused access with this API key — check OPENAI_API_KEY and what the key may use"
        return done(AuthenticationError, _with_server(lead, server))

    if status == 404 or (400 <= status < 500 and _is_model_not_found(lowered)):
        fastapi_route = server in ("", "Not Found") or is_html(text.strip())
        if status == 404 and fastapi_route and not _is_model_not_found(lowered):
            lead = "Not Found — the proxy has no such endpoint; check OPENAI_BASE_URL"
            return done(NotFoundError, _with_server(lead, "" if server == "Not Found" else server))
        name = model or _model_named(search_text(text))
        lead = f"Model {name!r} is not served by this proxy" if name else "The model is not served by this proxy"
        return done(NotFoundError, f"{_with_server(lead, server)}. {_LIST_MODELS_HINT}")

    if status >= 400 and _is_context_overflow(lowered):
        whose = f"{model}'s" if model else "the model's"
        lead = (
            f"The conversation is too long for {whose} context window — start a new conversation (ctrl+n) "
            "or pick a model with a larger window"
        )
        return done(ContextOverflowError, _with_server(lead, server))

    if status in (400, 422):
        return done(BadRequestError, server or _phrase(status))
    if 500 <= status < 600:
        if is_html(text.strip()):
            title = server or _phrase(status)
            return done(ServerError, f"{title} (an HTML page from a gateway in front of the proxy)")
        return done(ServerError, server or _phrase(status))
    return done(ProxyStatusError, server or _phrase(status))


# --------------------------------------------------------------------------------------------------
# Mid-stream failures


def _event_error(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The error object of a ``response.failed`` (``response.error``) or ``error`` event."""
    response = payload.get("response")
    if isinstance(response, Mapping):
        error = response.get("error")
        if isinstance(error, Mapping):
            return error
    error = payload.get("error")
    if isinstance(error, Mapping):
        return error
    return payload


def error_from_event(payload: Mapping[str, Any], *, model: str | None, secrets: Sequence[str]) -> ProxyError:
    """The typed error for a mid-stream ``response.failed`` or ``error`` event.

    A rate limit -> :class:`RateLimitError` (status 429); anything else -> :class:`StreamError`.
    """
    top: Any = dict(payload) if isinstance(payload, Mapping) else payload
    try:
        text = json.dumps(top, default=str)
    except (ValueError, TypeError, RecursionError):
        text = ""
    parsed = analyse(text, top, parsed=True)
    info = rate_limit_from_body(None, {}, parsed)
    kept_body = _scrub(text[:_BODY_KEEP], secrets)
    if info is not None:
        info = _redact_info(info, secrets)
        message = one_line(_scrub("Rate limited mid-stream: " + rate_limit_summary(info), secrets), 1000)
        return RateLimitError(message, info=info, status=429, body=kept_body)

    error = _event_error(top) if isinstance(top, Mapping) else {}
    raw_message = error.get("message")
    if not isinstance(raw_message, str) or not raw_message.strip():
        raw_message = payload.get("message") if isinstance(payload, Mapping) else None
    detail = one_line(_unwrap(raw_message), _SERVER_PART) if isinstance(raw_message, str) else ""
    code = error.get("code") or (error.get("type") if error is not top else None)
    if not isinstance(code, str | int) or isinstance(code, bool):
        code = None
    code_text = one_line(str(code), 60) if code is not None else ""
    if detail:
        lead = f"The server reported an error mid-stream: {detail}"
        message = f"{lead} ({code_text})" if code_text and code_text not in detail else lead
    else:
        message = f"The server reported an error mid-stream ({code_text or 'no details'})"
    return StreamError(one_line(_scrub(message, secrets), 1000))
