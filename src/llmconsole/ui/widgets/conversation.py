"""The conversation pane: user messages, streamed assistant replies and the worker that feeds them.

A reply is an :class:`AssistantReply`: a collapsible reasoning summary, a ``MarkdownView`` (the line-cache
renderer: it decides how often to render, so the worker hands it every delta) and a telemetry line.
The stream is consumed by :meth:`ConversationPane.stream_reply`, an async worker in the ``response``
group; cancelling it (Escape) raises ``CancelledError`` inside the client's generator, which closes the
HTTP response, and the partial text stays, marked cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widget import AwaitMount
from textual.widgets import Collapsible, Static
from textual.worker import WorkerState

from llmconsole.core.errors import LLMConsoleError, ProxyError, RateLimitError
from llmconsole.core.events import Completed, Failed, Incomplete, ReasoningDelta, ResponseStarted, TextDelta
from llmconsole.ui.messages import ReplyFinished, ReplyStarted
from llmconsole.ui.widgets.formatting import describe_error, telemetry_line

if TYPE_CHECKING:
    from llmconsole.core.client import ProxyClient
    from llmconsole.core.conversation import Conversation, Message, MessageStatus
    from llmconsole.core.models import ModelInfo
    from llmconsole.ui.widgets.markdown_view import MarkdownView

REASONING_REFRESH_S = 0.1
"""The reasoning summary is re-rendered at most this often while it streams."""


def _markdown_view(text: str, *, streaming: bool) -> MarkdownView:
    from llmconsole.ui.widgets.markdown_view import MarkdownView  # rich's Markdown stack: loaded on first use

    return MarkdownView(text, streaming=streaming)


class UserMessage(Static):
    """What the user sent, shown literally (no markup)."""

    def __init__(self, message: Message) -> None:
        super().__init__(Content(message.text), markup=False, classes="user-message")
        self.message = message
        self.border_title = "you"

    def mark_unsent(self) -> None:
        """The prompt never got a reply and left the conversation (it was sent again or replaced)."""
        self.add_class("-unsent")
        self.border_subtitle = "not sent"


class AssistantReply(Vertical):
    """One assistant reply: reasoning (collapsible), the Markdown body, an error line and telemetry."""

    def __init__(self, message: Message, *, streaming: bool = True) -> None:
        super().__init__(classes="assistant-reply")
        self.message = message
        self._streaming = streaming
        self._reasoning_parts: list[str] = [message.reasoning] if message.reasoning else []
        self._reasoning_timer: Timer | None = None
        self.border_title = message.model or "assistant"
        # Children exist from the start so that a reply finishing before it is mounted still shows its end.
        self._body = _markdown_view(message.text, streaming=streaming)
        self._reasoning_text = Static(Content("".join(self._reasoning_parts)), markup=False, classes="reasoning-text")
        self._collapsible = Collapsible(self._reasoning_text, title="Reasoning", collapsed=True, classes="reasoning")
        self._collapsible.display = bool(self._reasoning_parts)
        self._error_line = Static("", markup=False, classes="reply-error")
        self._error_line.display = False
        self._telemetry = Static("", markup=False, classes="telemetry")
        self._telemetry.display = False

    def compose(self) -> ComposeResult:
        yield self._collapsible
        yield self._body
        yield self._error_line
        yield self._telemetry

    def on_mount(self) -> None:
        if not self._streaming:
            self.show_end(self.message)

    @property
    def body(self) -> MarkdownView:
        """The MarkdownView of the reply."""
        return self._body

    @property
    def text(self) -> str:
        return self.body.text

    @property
    def code_blocks(self) -> list[str]:
        return self.body.code_blocks

    @property
    def telemetry(self) -> Static:
        return self._telemetry

    @property
    def error_line(self) -> Static:
        return self._error_line

    def append(self, delta: str) -> None:
        self._body.append(delta)

    def append_reasoning(self, delta: str) -> None:
        """Add to the reasoning summary; re-rendered at a bounded rate."""
        self._reasoning_parts.append(delta)
        if self._reasoning_timer is None:
            self._reasoning_timer = self.set_timer(REASONING_REFRESH_S, self._flush_reasoning)

    def _flush_reasoning(self) -> None:
        self._reasoning_timer = None
        self._collapsible.display = True
        self._reasoning_text.update(Content("".join(self._reasoning_parts)))

    def show_end(self, message: Message, *, max_output_tokens: int | None = None) -> None:
        """Finish rendering and show the telemetry line (and the error line, if any)."""
        if self._reasoning_timer is not None:
            self._reasoning_timer.stop()
        if self._reasoning_parts:
            self._flush_reasoning()
        self._body.finish()
        self.set_class(message.status == "cancelled", "-cancelled")
        self.set_class(message.status in ("error", "rate_limited", "interrupted"), "-failed")
        if message.error:
            self.error_line.update(Content.styled(message.error, "$error"))
            self.error_line.display = True
        telemetry = self.telemetry
        telemetry.update(
            telemetry_line(
                model_id=message.model or "?",
                usage=message.usage,
                ttft_s=message.ttft_s,
                duration_s=message.duration_s,
                status=message.status,
                max_output_tokens=max_output_tokens,
            )
        )
        telemetry.display = True


class NoticeLine(Static):
    """A one-line notice in the conversation (an error outside a reply, a model switch)."""

    def __init__(self, text: str, *, error: bool = False) -> None:
        super().__init__(Content(text), markup=False, classes="notice -error" if error else "notice")


@dataclass
class ReplyRequest:
    """Everything one streamed reply needs."""

    client: ProxyClient
    model: ModelInfo
    conversation: Conversation
    message: Message
    """The assistant message (status ``streaming``) the reply fills."""
    reply: AssistantReply
    reasoning_effort: str | None
    system_prompt: str | None
    clock: Callable[[], float]


class ConversationPane(VerticalScroll):
    """The scrolling transcript. Follows the bottom unless the user scrolls up (``anchor``)."""

    can_focus = True

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's parameter name
        super().__init__(id=id)
        self._mounting: dict[AssistantReply, AwaitMount] = {}

    def on_mount(self) -> None:
        self.anchor()

    def clear(self) -> None:
        """Remove every message (new conversation)."""
        self.workers.cancel_group(self, "response")
        self.remove_children()

    def add_user(self, message: Message) -> UserMessage:
        widget = UserMessage(message)
        self.mount(widget)
        return widget

    def add_reply(self, message: Message, *, streaming: bool = True) -> AssistantReply:
        reply = AssistantReply(message, streaming=streaming)
        self._mounting[reply] = self.mount(reply)
        return reply

    def add_notice(self, text: str, *, error: bool = False) -> NoticeLine:
        notice = NoticeLine(text, error=error)
        self.mount(notice)
        return notice

    @property
    def replies(self) -> list[AssistantReply]:
        return list(self.query_children(AssistantReply))

    @property
    def streaming(self) -> bool:
        active = (WorkerState.PENDING, WorkerState.RUNNING)
        return any(w.group == "response" and w.state in active for w in self.workers if w.node is self)

    def cancel_reply(self) -> bool:
        """Cancel the streaming reply, if any. Returns whether one was running."""
        running = self.streaming
        self.workers.cancel_group(self, "response")
        return running

    @work(exclusive=True, group="response", exit_on_error=False)
    async def stream_reply(self, request: ReplyRequest) -> None:
        """Consume ``client.stream_response`` into the reply widget; post :class:`ReplyFinished` at the end."""
        message, reply, clock = request.message, request.reply, request.clock
        start = clock()
        mounting = self._mounting.pop(reply, None)
        if mounting is not None:
            await mounting  # the reply's widgets exist before the first delta
        started = False
        parts: list[str] = []
        reasoning: list[str] = []
        max_out: int | None = None
        error: ProxyError | None = None
        status: MessageStatus = "error"
        try:
            stream = request.client.stream_response(
                request.model,
                request.conversation,
                reasoning_effort=request.reasoning_effort,
                system_prompt=request.system_prompt,
            )
            async for event in stream:
                match event:
                    case TextDelta(text=delta):
                        if message.ttft_s is None:
                            message.ttft_s = clock() - start
                        parts.append(delta)
                        reply.append(delta)
                    case ReasoningDelta(text=delta):
                        if message.ttft_s is None:
                            message.ttft_s = clock() - start
                        reasoning.append(delta)
                        reply.append_reasoning(delta)
                    case ResponseStarted():
                        started = True
                        self.post_message(ReplyStarted(event))
                    case Completed(usage=usage):
                        status, message.usage = "completed", usage
                    case Incomplete(usage=usage, max_output_tokens=cap):
                        status, message.usage, max_out = "truncated", usage, cap
                        if cap is None:
                            max_out = usage.output_tokens or None
                    case Failed(error=failure, usage=usage, interrupted=interrupted):
                        error, message.usage = failure, usage
                        if isinstance(failure, RateLimitError):
                            status = "rate_limited"
                        else:
                            status = "interrupted" if interrupted else "error"
        except asyncio.CancelledError:
            status = "cancelled"
            self._finish(request, parts, reasoning, status, None, started, max_out, start)
            raise
        except LLMConsoleError as exc:
            error = exc if isinstance(exc, ProxyError) else ProxyError(str(exc))
            status = "rate_limited" if isinstance(exc, RateLimitError) else "error"
        self._finish(request, parts, reasoning, status, error, started, max_out, start)

    def _finish(
        self,
        request: ReplyRequest,
        parts: list[str],
        reasoning: list[str],
        status: MessageStatus,
        error: ProxyError | None,
        started: bool,
        max_out: int | None,
        start: float,
    ) -> None:
        message = request.message
        message.text = "".join(parts)
        message.reasoning = "".join(reasoning)
        message.status = status
        message.duration_s = request.clock() - start
        if error is not None:
            message.error = describe_error(
                error, model=request.model, estimated_tokens=request.conversation.estimated_tokens()
            )
        request.reply.show_end(message, max_output_tokens=max_out)
        self.post_message(ReplyFinished(message=message, error=error, pre_stream=not started, model=request.model))
