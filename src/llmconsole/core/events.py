"""Typed events yielded by :meth:`llmconsole.core.client.ProxyClient.stream_response`.

A stream yields, in order: one :class:`ResponseStarted` (headers parsed: quota, cost, spend),
any number of :class:`TextDelta` / :class:`ReasoningDelta`, and exactly one terminal event:
:class:`Completed`, :class:`Incomplete` (e.g. truncated at max_output_tokens) or :class:`Failed`
(mid-stream failure or interruption; carries the partial text and a typed error).
Errors *before* the stream starts are raised as :mod:`llmconsole.core.errors` exceptions.

Deltas are slotted dataclasses (cheap: they sit on the hot path); nothing is validated per delta.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from llmconsole.core.errors import ProxyError

EndReason = Literal["completed", "truncated", "cancelled", "interrupted", "error", "rate_limited"]
"""How a reply ended; stored in the history and shown on the reply's telemetry line."""


@dataclass(slots=True)
class Usage:
    """Token usage of one reply, as the proxy reported it."""

    input_tokens: int = 0
    """Prompt tokens, cached ones included."""
    cached_tokens: int = 0
    """Prompt tokens served from the provider's cache."""
    output_tokens: int = 0
    """Completion tokens, reasoning tokens included."""
    reasoning_tokens: int = 0
    """Tokens spent on hidden reasoning."""
    cost: float | None = None
    """Cost in USD when the proxy or the price table gives one; None means unknown (never 0)."""


@dataclass(frozen=True, slots=True)
class Quota:
    """What the rate-limit headers of a successful reply said about what is left."""

    remaining_requests: int | None = None
    limit_requests: int | None = None
    remaining_tokens: int | None = None
    limit_tokens: int | None = None
    reset_requests_s: float | None = None
    reset_tokens_s: float | None = None


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    """The proxy accepted the request; headers are parsed."""

    type: Literal["started"] = "started"
    quota: Quota | None = None
    """The rate-limit state from headers, if any were sent."""
    cost: float | None = None
    """``x-litellm-response-cost`` when the proxy sent it."""
    key_spend: float | None = None
    """``x-litellm-key-spend`` when the proxy sent it."""
    dropped_params: tuple[str, ...] = ()
    """Parameters left out of this request (unsupported by the model or learned as rejected)."""


@dataclass(slots=True)
class TextDelta:
    """A piece of the reply's text."""

    text: str
    type: Literal["text"] = "text"


@dataclass(slots=True)
class ReasoningDelta:
    """A piece of the reasoning summary."""

    text: str
    type: Literal["reasoning"] = "reasoning"


@dataclass(slots=True)
class Completed:
    """The reply finished normally."""

    usage: Usage = field(default_factory=Usage)
    response_id: str | None = None
    type: Literal["completed"] = "completed"


@dataclass(slots=True)
class Incomplete:
    """The reply stopped early on the server's side (``reason``: e.g. ``max_output_tokens``)."""

    reason: str
    usage: Usage = field(default_factory=Usage)
    max_output_tokens: int | None = None
    """The cap the request carried, for the "truncated at N output tokens" line."""
    type: Literal["incomplete"] = "incomplete"


@dataclass(slots=True)
class Failed:
    """The stream failed or was interrupted after it started. ``partial_text`` is what arrived."""

    error: ProxyError
    partial_text: str = ""
    interrupted: bool = False
    """True when the connection broke or the server reported a break (not a clean error event)."""
    usage: Usage | None = None
    type: Literal["failed"] = "failed"


StreamEvent = ResponseStarted | TextDelta | ReasoningDelta | Completed | Incomplete | Failed
TerminalEvent = Completed | Incomplete | Failed
