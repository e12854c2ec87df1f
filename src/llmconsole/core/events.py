"""Typed events yielded by :meth:`llmconsole.core.proxy.client.ProxyClient.stream_response`.

A stream yields, in order: one :class:`ResponseStarted` (headers parsed: quota, cost, spend),
any number of :class:`TextDelta` / :class:`RefusalDelta` / :class:`ReasoningDelta` and the tool-call events
(:mod:`llmconsole.core.tools.events`: a ``ToolCallDone`` for each call of a completed reply), and exactly one terminal
event: :class:`Completed` (``refused`` when the model refused: the refusal text is the reply),
:class:`Incomplete` (stopped early: ``reason`` says why, see :func:`incomplete_text`) or :class:`Failed`
(mid-stream failure or interruption; carries the partial text and a typed error).
Errors *before* the stream starts are raised as :mod:`llmconsole.core.errors` exceptions.

Deltas are slotted dataclasses (cheap: they sit on the hot path); nothing is validated per delta.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from llmconsole.core.tools.events import ToolCallDelta, ToolCallDone, ToolCallStarted

if TYPE_CHECKING:
    from llmconsole.core.errors import ProxyError

MAX_TOKEN_COUNT = 10**12
"""Token counts at or above this (or not finite) are nonsense from a broken proxy and read as unknown."""

EndReason = Literal["completed", "refused", "truncated", "cancelled", "interrupted", "error", "rate_limited"]
"""How a reply ended; stored in the history and shown on the reply's telemetry line. ``refused``: the model
declined (its refusal text is the reply); ``truncated``: the reply stopped early (any incomplete reason)."""


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
    endpoint: Literal["responses", "chat"] = "responses"
    """The API that answered: ``/v1/responses`` or ``/v1/chat/completions``."""


@dataclass(slots=True)
class TextDelta:
    """A piece of the reply's text."""

    text: str
    type: Literal["text"] = "text"


@dataclass(slots=True)
class RefusalDelta:
    """A piece of the model's refusal (``response.refusal.delta``): shown as the reply, which ends refused."""

    text: str
    type: Literal["refusal"] = "refusal"


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
    refused: bool = False
    """The model refused (the reply's text came as :class:`RefusalDelta`)."""
    type: Literal["completed"] = "completed"


@dataclass(slots=True)
class Incomplete:
    """The reply stopped early on the server's side.

    ``reason`` is ``incomplete_details.reason`` (``max_output_tokens``, ``content_filter``, or any other name),
    or ``max_output_tokens`` inferred when the proxy gave none and the output reached the cap, else ``""``
    (no reason given: LiteLLM's chat bridge drops it). :func:`incomplete_text` puts it in words.
    """

    reason: str
    usage: Usage = field(default_factory=Usage)
    max_output_tokens: int | None = None
    """The cap the request carried (the "truncated at N output tokens" line when usage has no count)."""
    type: Literal["incomplete"] = "incomplete"

    @property
    def output_tokens(self) -> int | None:
        """The output tokens the reply stopped at: the usage's count, else the request's cap."""
        return self.usage.output_tokens or self.max_output_tokens

    def describe(self) -> str:
        """Why the reply stopped, in words (:func:`incomplete_text`)."""
        return incomplete_text(self.reason, self.output_tokens)


@dataclass(slots=True)
class Failed:
    """The stream failed or was interrupted after it started. ``partial_text`` is what arrived."""

    error: ProxyError
    partial_text: str = ""
    interrupted: bool = False
    """True when the connection broke or the server reported a break (not a clean error event)."""
    usage: Usage | None = None
    type: Literal["failed"] = "failed"


StreamEvent = (
    ResponseStarted
    | TextDelta
    | RefusalDelta
    | ReasoningDelta
    | ToolCallStarted
    | ToolCallDelta
    | ToolCallDone
    | Completed
    | Incomplete
    | Failed
)
"""Everything a stream yields; the tool-call events are :mod:`llmconsole.core.tools.events`'."""
TerminalEvent = Completed | Incomplete | Failed


def incomplete_text(reason: str | None, output_tokens: int | None = None) -> str:
    """Why a reply stopped early, in words: ``truncated at 512 output tokens``, ``stopped by the content
    filter``, ``stopped early: <reason>`` for any other reason, ``stopped early (no reason given)``."""
    reason = " ".join((reason or "").split())[:60]
    if reason == "max_output_tokens":
        return f"truncated at {output_tokens:,} output tokens" if output_tokens else "truncated at the output limit"
    if reason == "content_filter":
        return "stopped by the content filter"
    if not reason:
        return "stopped early (no reason given)"
    printable = "".join(c if c.isprintable() else "?" for c in reason)
    return f"stopped early: {printable}"


def end_text(status: str | None, *, reason: str | None = None, output_tokens: int | None = None) -> str:
    """How a reply ended, in words, for every place that shows it (reply line, status bar, history, ``-p``).

    A ``truncated`` reply without a stored reason (older history) reads as truncated at its output tokens.
    """
    if status == "truncated":
        return incomplete_text(reason if reason is not None else "max_output_tokens", output_tokens)
    if status == "rate_limited":
        return "rate limited"
    return str(status or "")
