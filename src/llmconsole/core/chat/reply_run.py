"""One reply being streamed (:class:`ReplyRun`) and the typed events it yields.

The client's stream events become :class:`TextReceived`, :class:`ReasoningReceived`, :class:`ReplyAccepted`
and finally one :class:`ReplyEnded`; the reply is saved while it streams (through the session's recorder).
When it ends, however it ends, the session books it (``ChatSession.settle``) before :class:`ReplyEnded`
reaches anyone: its ``outcome`` says what the end means for the conversation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Literal, Protocol

from llmconsole.core.chat.streamer import reply_cost
from llmconsole.core.errors import LLMConsoleError, ProxyError, RateLimitError, StreamError
from llmconsole.core.events import (
    Completed,
    Failed,
    Incomplete,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    TextDelta,
)
from llmconsole.core.tools.events import ToolCallDone

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import Conversation, Message, MessageStatus, ToolExchange
    from llmconsole.core.chat.streamer import Streamer
    from llmconsole.core.chat.tool_round import ToolRunner
    from llmconsole.core.events import Usage
    from llmconsole.core.proxy.models import ModelInfo

log = logging.getLogger(__name__)

SLICE_S = 0.002
"""A run yields to the event loop after this much work (a burst of buffered events would otherwise run for
one whole socket read, delaying key presses behind it)."""

Outcome = Literal["answered", "cancelled", "rate_limited", "budget", "overflow", "failed"]
"""What a finished reply means: an answer (complete, truncated or refused); cancelled (its text stays);
rate limited (a countdown, an automatic resend); a spent budget (no countdown, no resend); the conversation
does not fit (the overflow offer, then a retry); any other failure (one line; the prompt and any text stay,
ctrl+r sends it again)."""


@dataclass(frozen=True, slots=True)
class ReplyAccepted:
    """The proxy accepted the request (headers parsed: quota, cost, key spend)."""

    event: ResponseStarted
    model: ModelInfo


@dataclass(frozen=True, slots=True)
class TextReceived:
    """A piece of the reply's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningReceived:
    """A piece of the reply's reasoning summary."""

    text: str


@dataclass(frozen=True, slots=True)
class ReplyEnded:
    """A reply ended, however it ended (``message.status``); ``error`` is set for failures."""

    message: Message
    error: ProxyError | None
    pre_stream: bool
    """The request failed before the proxy accepted it (nothing was streamed)."""
    model: ModelInfo
    max_output_tokens: int | None = None
    """The cap a truncated reply hit (None when it was not truncated or the cap is unknown)."""
    outcome: Outcome = "answered"
    """What the end means for the conversation (decided by the session when it booked the reply)."""


@dataclass(frozen=True, slots=True)
class ToolCallReceived:
    """The model made a tool call (complete); it is kept on the reply as ``exchange`` (``pending`` until the
    session's tool round settles it)."""

    exchange: ToolExchange


@dataclass(frozen=True, slots=True)
class ToolsRefused:
    """The backend refused ``tools`` for this model: learned, and the reply went without (one line says so)."""

    model_id: str

    def describe(self) -> str:
        """The line shown."""
        return (
            f"{self.model_id} does not accept tools: this reply went without them (learned; "
            f"`llmconsole --forget-learned {self.model_id}` offers them again)"
        )


RunEvent = ReplyAccepted | TextReceived | ReasoningReceived | ToolCallReceived | ToolsRefused | ReplyEnded
"""Events a :class:`ReplyRun` yields."""


class RunOwner(Protocol):
    """What a run needs of its session (``ChatSession``)."""

    clock: Callable[[], float]
    conversation: Conversation
    reasoning_effort: str | None
    system_prompt: str | None
    describe_error: Callable[..., str]
    tools: ToolRunner | None

    def settle(self, run: ReplyRun, end: ReplyEnded) -> ReplyEnded: ...


class ReplySaverLike(Protocol):
    """Persists one streaming reply (``llmconsole.ui.persistence.ReplySaver`` in the console)."""

    async def start(self) -> None: ...
    def append(self, delta: str) -> None: ...
    def append_reasoning(self, delta: str) -> None: ...
    def finish(self, status: MessageStatus, usage: Usage | None = None, error: str | None = None) -> None: ...


class ReplyRun:
    """One reply being streamed: iterate :meth:`events`; :attr:`end` is set when it ended (also when the task
    consuming it was cancelled: the reply is then ``cancelled`` with the text received so far)."""

    def __init__(
        self,
        session: RunOwner,
        client: Streamer,
        model: ModelInfo,
        message: Message,
        saver: ReplySaverLike | None,
    ) -> None:
        self.session = session
        self.conversation: Conversation = session.conversation
        """The conversation the reply belongs to (the session may have moved on to another by its end)."""
        self.client = client
        self.model = model
        self.message = message
        self.saver = saver
        self.end: ReplyEnded | None = None
        self._parts: list[str] = []
        self._reasoning: list[str] = []
        self._started = False
        self._max_out: int | None = None
        self._start = session.clock()

    async def events(self) -> AsyncIterator[RunEvent]:
        """The reply's events, :class:`ReplyEnded` last. Cancelling the consumer closes the HTTP response."""
        session, message, model, saver = self.session, self.message, self.model, self.saver
        clock = session.clock
        start = self._start = clock()
        header_cost: float | None = None
        error: ProxyError | None = None
        status: MessageStatus = "error"
        try:
            if saver is not None:
                await saver.start()  # the prompt is stored before the request goes out
            tools = session.tools
            request = self.conversation.to_request()
            if tools is not None:
                request = tools.with_tools(request, model)
            stream = self.client.stream_response(
                model,
                request,
                reasoning_effort=session.reasoning_effort,
                system_prompt=session.system_prompt,
            )
            yield_at = perf_counter() + SLICE_S
            async for event in stream:
                if perf_counter() >= yield_at:
                    await asyncio.sleep(0)
                    yield_at = perf_counter() + SLICE_S
                match event:
                    case TextDelta(text=delta) | RefusalDelta(text=delta):  # a refusal is the reply
                        if message.ttft_s is None:
                            message.ttft_s = clock() - start
                        self._parts.append(delta)
                        if saver is not None:
                            saver.append(delta)
                        yield TextReceived(delta)
                    case ReasoningDelta(text=delta):
                        if message.ttft_s is None:
                            message.ttft_s = clock() - start
                        self._reasoning.append(delta)
                        if saver is not None:
                            saver.append_reasoning(delta)
                        yield ReasoningReceived(delta)
                    case ResponseStarted():
                        self._started, header_cost = True, event.cost
                        yield ReplyAccepted(event, model)
                        if request.tools and "tools" in event.dropped_params:
                            yield ToolsRefused(model.id)
                    case ToolCallDone(call=call) if tools is not None:
                        yield ToolCallReceived(tools.record(message, call))
                    case Completed(usage=usage, refused=refused):
                        usage.cost = reply_cost(header_cost, usage, model)
                        status, message.usage = ("refused" if refused else "completed"), usage
                    case Incomplete(usage=usage, reason=reason):
                        usage.cost = reply_cost(header_cost, usage, model)
                        status, message.usage, message.end_reason = "truncated", usage, reason
                        self._max_out = event.output_tokens
                    case Failed(error=failure, usage=usage, interrupted=interrupted):
                        error, message.usage = failure, usage
                        if isinstance(failure, RateLimitError):
                            status = "rate_limited"
                        else:
                            status = "interrupted" if interrupted else "error"
        except asyncio.CancelledError:
            self.cancel()
            raise
        except LLMConsoleError as exc:
            error = exc if isinstance(exc, ProxyError) else ProxyError(str(exc))
            status = "rate_limited" if isinstance(exc, RateLimitError) else "error"
        except Exception as exc:  # a bug must not leave the reply "streaming": it ends as an error, logged
            log.error("reply stream failed: %r", exc)
            yield self.fail(exc)
            return
        yield self._finish(status, error)

    def fail(self, exc: BaseException) -> ReplyEnded:
        """End the reply as an error after something unexpected (a bug), unless it already ended."""
        if self.end is not None:
            return self.end
        return self._finish("error", StreamError(f"unexpected {type(exc).__name__}: {exc}"))

    def cancel(self) -> ReplyEnded:
        """End the reply as cancelled (keeping what arrived) unless it already ended."""
        if self.end is not None:
            return self.end
        return self._finish("cancelled", None)

    def _finish(self, status: MessageStatus, error: ProxyError | None) -> ReplyEnded:
        message, session = self.message, self.session
        message.text = "".join(self._parts)
        message.reasoning = "".join(self._reasoning)
        message.status = status
        message.duration_s = session.clock() - self._start
        if error is not None:
            message.error = session.describe_error(
                error,
                model=self.model,
                estimated_tokens=self.conversation.estimated_tokens(),
                mid_reply=self._started,
            )
        if self.saver is not None:
            self.saver.finish(status)
        end = ReplyEnded(
            message=message,
            error=error,
            pre_stream=not self._started,
            model=self.model,
            max_output_tokens=self._max_out,
        )
        self.end = session.settle(self, end)
        return self.end
