"""The exception tree of llmconsole. Every error the core raises is one of these.

    LLMConsoleError
    ├── ConfigError                  missing/invalid environment, config file or flag (exit 2)
    ├── UnknownModelError            a model id the proxy does not serve (exit 4, hint --list-models)
    └── ProxyError                   anything the proxy or the network did (exit 4, rate limit exit 3)
        ├── ProxyConnectionError     cannot connect / connection dropped before a response
        │   └── ProxyTimeoutError    connect/read/idle timeout
        ├── ProxyStatusError         the proxy answered with an error status (status, message)
        │   ├── AuthenticationError  401/403
        │   ├── NotFoundError        404 (and "model not found" answers with other statuses)
        │   ├── BadRequestError      400/422
        │   │   └── ContextOverflowError  the request does not fit the model's context window
        │   ├── RateLimitError       429, or any body the rate-limit parser recognises (carries .info)
        │   └── ServerError          5xx (HTML gateway pages included)
        └── StreamError              the stream broke or reported a failure after it started
            └── StreamDecodeError    bytes that are not valid SSE/JSON where JSON was required

Messages are always one line, already redacted (no API key), and safe to print. This module imports
no other module of the core (every other one may import it).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ContextOverflowError",
    "LLMConsoleError",
    "NotFoundError",
    "ProxyConnectionError",
    "ProxyError",
    "ProxyStatusError",
    "ProxyTimeoutError",
    "RateLimitError",
    "RateLimitInfo",
    "ServerError",
    "StreamDecodeError",
    "StreamError",
    "UnknownModelError",
]


class LLMConsoleError(Exception):
    """Base class of every error llmconsole raises on purpose."""

    exit_code: int = 4

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(LLMConsoleError):
    """The configuration (environment, config file, flags) is missing or invalid."""

    exit_code = 2


class UnknownModelError(LLMConsoleError):
    """The model is not among those the proxy serves."""

    exit_code = 4

    def __init__(self, model: str) -> None:
        super().__init__(
            f"Model {model!r} is not served by this proxy. Run `llmconsole --list-models` to see the models."
        )
        self.model = model


class ProxyError(LLMConsoleError):
    """Anything that went wrong talking to the proxy."""


class ProxyConnectionError(ProxyError):
    """The proxy could not be reached, or the connection dropped before a response."""


class ProxyTimeoutError(ProxyConnectionError):
    """A connect, read or idle timeout."""


class ProxyStatusError(ProxyError):
    """The proxy answered with an error status."""

    def __init__(self, message: str, *, status: int, body: str = "", request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.request_id = request_id


class AuthenticationError(ProxyStatusError):
    """The proxy refused the API key (401/403)."""


class NotFoundError(ProxyStatusError):
    """A 404, or an answer saying the model does not exist."""


class BadRequestError(ProxyStatusError):
    """The proxy refused the request as malformed (400/422)."""


class ContextOverflowError(BadRequestError):
    """The conversation does not fit the model's context window."""


MAX_RETRY_AFTER_S = 24 * 3600.0
"""Waits longer than this are not counted down (an absurd ``Retry-After``, or a daily quota): the parser keeps
them as ``MAX_RETRY_AFTER_S + 1``, read "more than 24 hours"."""


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What a rate-limit answer told us. Every field is optional: each shape carries a different subset."""

    message: str | None = None
    """A human message (the server's, or e.g. "Exceeded Databricks workspace rate limit")."""
    limit_type: str | None = None
    """``input_tokens_per_minute``, ``output_tokens_per_minute``, ``requests_per_minute``, ``tokens`` ..."""
    limit: int | float | None = None
    """The limit that was hit."""
    current: int | float | None = None
    """The usage the server counted against it."""
    retry_after: float | None = None
    """Seconds to wait (>= 0; more than :data:`MAX_RETRY_AFTER_S` means "more than 24 hours")."""
    model: str | None = None
    """The model named in the error text, when there is one."""


class RateLimitError(ProxyStatusError):
    """A rate limit: the parsed details are in ``info``."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        info: RateLimitInfo,
        status: int = 429,
        body: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, body=body, request_id=request_id)
        self.info = info


class ServerError(ProxyStatusError):
    """A 5xx from the proxy or a gateway in front of it."""


class StreamError(ProxyError):
    """The stream broke or reported a failure after it started."""


class StreamDecodeError(StreamError):
    """The stream carried bytes that could not be decoded where JSON was required."""
