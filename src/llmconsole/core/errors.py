"""The exception tree of llmconsole. Every error the core raises is one of these.

    LLMConsoleError
    ├── ConfigError                  missing/invalid environment, config file or flag (exit 2)
    ├── UnknownModelError            a model id the proxy does not serve (exit 4, hint --list-models)
    └── ProxyError                   anything the proxy or the network did (exit 4, rate limit exit 3)
        ├── ProxyConnectionError     cannot connect / connection dropped before a response
        │   └── ProxyTimeoutError    connect/read/idle timeout
        ├── ProxyStatusError         the proxy answered with an error status (status, message)
        │   ├── AuthenticationError  401/403, or a 400 refusing the key ("API key not valid", "No connected db")
        │   ├── NotFoundError        404 (and "model not found" answers with other statuses; .model)
        │   ├── BadRequestError      400/422
        │   │   ├── ContextOverflowError  the request does not fit the model's context window (.window, .requested)
        │   │   ├── ContentFilterError    a content filter or guardrail blocked it (.category; never retried)
        │   │   └── WrongEndpointError    "use /v1/responses" and the like (.use: the endpoint to switch to)
        │   ├── BudgetError          a spent budget (key, team, user ...; .spent, .budget, .scope; exit 3)
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
    "BudgetError",
    "ConfigError",
    "ContentFilterError",
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
    "WrongEndpointError",
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

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: str = "",
        request_id: str | None = None,
        rejected: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        """The body as answered, redacted and cut (for ``--debug``): never parse it (use the fields read)."""
        self.request_id = request_id
        self.rejected = rejected
        """The request fields the answer names as not accepted (dotted paths, read from the original body)."""


class AuthenticationError(ProxyStatusError):
    """The proxy refused the API key (401/403)."""


class NotFoundError(ProxyStatusError):
    """A 404, or an answer saying the model does not exist."""

    model: str | None = None
    """The model the answer (or the request) names, when there is one."""
    route_missing: bool = False
    """The proxy has no such endpoint at all (a bare 404 from its router): not about a model."""


class BadRequestError(ProxyStatusError):
    """The proxy refused the request as malformed (400/422)."""


class ContextOverflowError(BadRequestError):
    """The conversation does not fit the model's context window."""

    window: int | None = None
    """The window (tokens) the answer states, when it does."""
    requested: int | None = None
    """The tokens the answer says the request holds (or needs), when it does."""


class ContentFilterError(BadRequestError):
    """A content filter or a guardrail blocked the request or the reply: never retried, never a field drop."""

    category: str | None = None
    """What the filter says it found (``violence``, ``hate`` ...), when it says."""


class WrongEndpointError(BadRequestError):
    """The answer says this model is served on the other endpoint ("Please use /v1/responses")."""

    use: str = "responses"
    """``responses`` or ``chat``: the endpoint the answer points to."""


class BudgetError(ProxyStatusError):
    """A spent budget (LiteLLM's "Budget has been exceeded!"): waiting does not help, only a higher budget."""

    exit_code = 3
    spent: float | None = None
    """What was spent, as the answer states it."""
    budget: float | None = None
    """The budget, as the answer states it."""
    scope: str | None = None
    """Whose budget: ``key``, ``team``, ``user``, ``end_user``, ``organization``, ``deployment`` ..."""
    owner: str | None = None
    """The id the answer names for that scope (a team id, a user id ...), when it does."""


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
    kind: str | None = None
    """What is counted: ``requests``, ``tokens``, ``input_tokens``, ``output_tokens``, ``concurrency`` or
    ``quota`` (read from ``limit_type``, the words or the headers; None when nothing says)."""
    period: str | None = None
    """Per what: ``second``, ``minute``, ``hour``, ``day`` or ``month``, when stated."""
    requested: int | float | None = None
    """What the refused request asked for ("Requested 2000"), when stated."""


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
