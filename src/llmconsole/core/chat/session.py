"""The conversation flow of the console, free of any UI: :class:`ChatSession`.

The session owns the conversation being typed into and the rules around it:

- sending a prompt: an unanswered prompt before it (no reply, or a failed one) is *dropped* (it leaves the
  conversation and the history; :class:`PromptDropped` tells the UI to mark it);
- retrying: the unanswered prompt is sent again in place (its failed reply leaves the conversation), and
  automatic resends after a rate limit are counted (at most ``max_auto_resends`` per prompt);
- streaming one reply (:class:`ReplyRun`): the client's stream events become :class:`TextReceived`,
  :class:`ReasoningReceived`, :class:`ReplyAccepted` and finally one :class:`ReplyEnded`; the reply is
  saved while it streams (through the :class:`Recorder`);
- settling a reply: a failure with nothing received leaves the conversation (the prompt stays unanswered).

The UI subscribes to the session's events (``listener``), consumes a run's events in its worker and keeps
keys, widgets and messages to itself. Nothing here imports Textual or rich.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Protocol

from llmconsole.core.chat.context import ContextGauge, ContextMeter
from llmconsole.core.chat.conversation import FAILED_STATUSES, Conversation, Message, title_from_prompt
from llmconsole.core.chat.streamer import Streamer as Streamer
from llmconsole.core.chat.streamer import reply_cost as reply_cost
from llmconsole.core.chat.tree import activate, cut_before, step_sibling
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

if TYPE_CHECKING:
    from llmconsole.core.chat.compact import Compacted
    from llmconsole.core.chat.conversation import MessageStatus
    from llmconsole.core.events import Usage
    from llmconsole.core.proxy.models import ModelInfo

log = logging.getLogger(__name__)

MAX_AUTO_RESENDS = 3
"""Automatic resends of one prompt after rate limits, at most."""
SLICE_S = 0.002
"""A run yields to the event loop after this much work (a burst of buffered events would otherwise run for
one whole socket read, delaying key presses behind it)."""


# -- what the session reports -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromptDropped:
    """An unanswered prompt left the conversation (a new prompt replaced it, or it was sent again)."""

    message: Message


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


SessionEvent = PromptDropped
"""Events the session reports to its listener (state changes outside a run)."""
RunEvent = ReplyAccepted | TextReceived | ReasoningReceived | ReplyEnded
"""Events a :class:`ReplyRun` yields."""


# -- what the session needs ---------------------------------------------------------------------------------


class ReplySaverLike(Protocol):
    """Persists one streaming reply (``llmconsole.ui.persistence.ReplySaver`` in the console)."""

    async def start(self) -> None: ...
    def append(self, delta: str) -> None: ...
    def append_reasoning(self, delta: str) -> None: ...
    def finish(self, status: MessageStatus, usage: Usage | None = None, error: str | None = None) -> None: ...


class Recorder(Protocol):
    """Where the session saves (``llmconsole.ui.persistence.HistoryAdapter`` in the console)."""

    def reply_saver(self, conversation: Conversation, reply: Message) -> ReplySaverLike | None: ...
    def record_turn(self, conversation: Conversation, reply: Message) -> None: ...
    def forget(self, conversation: Conversation, message: Message) -> None: ...
    def new_conversation(self) -> None: ...
    def adopt(self, conversation: Conversation, stored: list[Message] | None = None) -> None: ...
    def set_active(self, conversation: Conversation, leaf: Message) -> None: ...
    def record(self, conversation: Conversation, message: Message) -> None: ...


class _NoRecorder:
    """No history: every call does nothing."""

    def reply_saver(self, conversation: Conversation, reply: Message) -> None:
        return None

    def record_turn(self, conversation: Conversation, reply: Message) -> None:
        return None

    def forget(self, conversation: Conversation, message: Message) -> None:
        return None

    def new_conversation(self) -> None:
        return None

    def adopt(self, conversation: Conversation, stored: list[Message] | None = None) -> None:
        return None

    def set_active(self, conversation: Conversation, leaf: Message) -> None:
        return None

    def record(self, conversation: Conversation, message: Message) -> None:
        return None


def _plain_error(
    error: BaseException, *, model: ModelInfo | None = None, estimated_tokens: int = 0, mid_reply: bool = False
) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def continuable(messages: list[Message]) -> tuple[list[Message], set[str]]:
    """What of a stored conversation is sent when it continues, and the ids of prompts that left it.

    The same rules as live: a prompt replaced by a new one before it got an answer, and a failed reply
    followed by a retry, leave the conversation; a failed reply with no text is dropped.
    """
    kept: list[Message] = []
    unsent: set[str] = set()

    def drop_unanswered() -> None:
        if kept and kept[-1].role == "user":
            unsent.add(kept.pop().id)
        elif len(kept) >= 2 and kept[-1].status in FAILED_STATUSES and kept[-2].role == "user":
            kept.pop()
            unsent.add(kept.pop().id)

    for message in messages:
        if message.role == "user":
            drop_unanswered()
            kept.append(message)
            continue
        if message.status in FAILED_STATUSES and not message.text:
            continue
        if kept and kept[-1].role == "assistant" and kept[-1].status in FAILED_STATUSES:
            kept.pop()  # retried in place
        kept.append(message)
    return kept, unsent


def keep_continuable(conversation: Conversation) -> set[str]:
    """Reduce the active path to what is sent when it continues (:func:`continuable`); what leaves it stays
    in the tree (``others``). Returns the ids of prompts that left it."""
    shown = conversation.messages
    conversation.messages, unsent = continuable(shown)
    kept = {m.id for m in conversation.messages}
    conversation.others = sorted(
        [*conversation.others, *(m for m in shown if m.id not in kept)], key=lambda m: m.created_at
    )
    return unsent


# -- the session --------------------------------------------------------------------------------------------


class ChatSession:
    """One conversation at a time and the flow around it (see the module docstring)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        recorder: Recorder | None = None,
        system_prompt: str | None = None,
        reasoning_effort: str | None = None,
        listener: Callable[[SessionEvent], None] | None = None,
        describe_error: Callable[..., str] = _plain_error,
        max_auto_resends: int = MAX_AUTO_RESENDS,
        meter: ContextMeter | None = None,
    ) -> None:
        """``meter``: the context meter to keep (one the console made before this session), else a new one."""
        self.clock = clock
        self.recorder: Recorder = recorder if recorder is not None else _NoRecorder()
        self.system_prompt = system_prompt
        self.reasoning_effort = reasoning_effort
        self.listener = listener
        self.describe_error = describe_error
        """``(error, model=, estimated_tokens=) -> one line``: the error line stored with a failed reply."""
        self.max_auto_resends = max_auto_resends
        self.conversation = Conversation(system_prompt=system_prompt)
        self.auto_resends = 0
        """Automatic resends of the current prompt so far."""
        self.meter = meter if meter is not None else ContextMeter()
        """What fills the context window: local estimates at once, the proxy's exact counts once asked
        (``meter.counter``, set by the caller that owns the client; ``meter.refine`` asks)."""
        self.empty_failures: list[Message] = []
        """Replies that failed with nothing received: out of the conversation, still stored, their prompt
        unanswered (they leave the history with it when it is replaced)."""

    def _emit(self, event: SessionEvent) -> None:
        if self.listener is not None:
            self.listener(event)

    # -- conversations ------------------------------------------------------------------------------------

    def new_conversation(self, system_prompt: str | None = None) -> Conversation:
        """Start afresh (``system_prompt``: the session's when not given)."""
        if system_prompt is not None:
            self.system_prompt = system_prompt
        self.conversation = Conversation(system_prompt=self.system_prompt)
        self.recorder.new_conversation()
        self.empty_failures.clear()
        self.auto_resends = 0
        return self.conversation

    def open(self, conversation: Conversation, focus: str | None = None) -> tuple[list[Message], set[str]]:
        """Continue a stored conversation (on the branch of message ``focus`` when given): returns the active
        path's messages (to show) and the ids of prompts that left it; the conversation keeps what is sent
        when it continues."""
        if focus is not None and all(m.id != focus for m in conversation.messages):
            activate(conversation, focus)
        shown = list(conversation.messages)
        unsent = keep_continuable(conversation)
        self.conversation = conversation
        self.recorder.adopt(conversation, [*shown, *conversation.others])
        self.empty_failures.clear()
        self.auto_resends = 0
        self.system_prompt = conversation.system_prompt
        return shown, unsent

    def set_system_prompt(self, system_prompt: str | None) -> None:
        self.system_prompt = system_prompt
        self.conversation.system_prompt = system_prompt

    def adopt_reply(
        self, prompt: str, reply: Message, *, system_prompt: str | None, siblings: Sequence[Message] = ()
    ) -> Message:
        """A new conversation of ``prompt`` and a finished ``reply`` (compare mode's chosen answer); the other
        answers (``siblings``, copied) are its siblings: one turn, the chosen one active, the others kept."""
        import dataclasses

        from llmconsole.core.chat.conversation import new_id

        self.new_conversation()
        conversation = self.conversation
        conversation.system_prompt = system_prompt
        user = conversation.add_user(prompt)
        self.recorder.record_turn(conversation, user)
        for other in siblings:
            copy = dataclasses.replace(other, id=new_id(), parent_id=user.id, attachments=list(other.attachments))
            conversation.others.append(copy)
            self.recorder.record(conversation, copy)
        reply.parent_id = user.id
        conversation.messages.append(reply)
        self.recorder.record_turn(conversation, reply)
        return user

    # -- prompts --------------------------------------------------------------------------------------------

    def unanswered(self) -> Message | None:
        """The last user message when it has no successful reply (it can be sent again)."""
        messages = self.conversation.messages
        if not messages:
            return None
        last = messages[-1]
        if last.role == "user":
            return last
        if last.status in FAILED_STATUSES and len(messages) >= 2 and messages[-2].role == "user":
            return messages[-2]
        return None

    def last_prompt(self) -> Message | None:
        return next((m for m in reversed(self.conversation.messages) if m.role == "user"), None)

    def drop_unanswered(self) -> Message | None:
        """A new prompt replaces an unanswered one: it leaves the conversation and the history (with its
        failed reply), and a title taken from it goes too. Returns the dropped prompt."""
        unanswered = self.unanswered()
        if unanswered is None:
            return None
        conversation = self.conversation
        messages = conversation.messages
        dropped: list[Message] = []
        while messages and messages[-1] is not unanswered:
            dropped.append(messages.pop())
        dropped.append(messages.pop())
        for message in [*self.empty_failures, *reversed(dropped)]:
            self.recorder.forget(conversation, message)
        gone = {m.id for m in self.empty_failures}
        conversation.others = [m for m in conversation.others if m.id not in gone]
        self.empty_failures.clear()
        if conversation.title == title_from_prompt(unanswered.text):
            first = next((m for m in messages if m.role == "user"), None)
            conversation.title = title_from_prompt(first.text) if first is not None else ""
        self._emit(PromptDropped(unanswered))
        return unanswered

    def add_prompt(self, text: str, attachments: Sequence[str] = ()) -> Message:
        """A new user message (an unanswered one before it is dropped); the resend count starts again."""
        self.drop_unanswered()
        self.auto_resends = 0
        return self.conversation.add_user(text, attachments=list(attachments))

    def rewind_to_unanswered(self) -> Message | None:
        """Make the unanswered prompt the last message again (its failed reply stays stored but leaves the
        conversation), ready for a new reply; None when every prompt is answered."""
        unanswered = self.unanswered()
        if unanswered is None:
            return None
        conversation = self.conversation
        messages = conversation.messages
        if messages[-1] is not unanswered:
            cut_before(conversation, messages[messages.index(unanswered) + 1])  # the failed reply: a branch
        return unanswered

    # -- branches -----------------------------------------------------------------------------------------

    def edit(self, message: Message, text: str, attachments: Sequence[str] = ()) -> Message:
        """Send ``text`` in place of the prompt ``message``: a sibling of it (the original and what followed
        stay, as another branch); an unanswered prompt is simply replaced."""
        if message is self.unanswered() or message not in self.conversation.messages:
            return self.add_prompt(text, attachments)
        cut_before(self.conversation, message)
        self.empty_failures.clear()
        self.auto_resends = 0
        return self.conversation.add_user(text, attachments=list(attachments))

    def regenerate(self, message: Message, client: Streamer, model: ModelInfo) -> ReplyRun:
        """A new answer by ``model``: to the prompt before ``message`` when it is a reply (a sibling of it,
        which stays), or to ``message`` itself when it is a prompt (what followed it stays, as a branch)."""
        self.branch_for_answer(message)
        return self.start_reply(client, model)

    def branch_for_answer(self, message: Message) -> None:
        """End the path where a new answer goes (see :meth:`regenerate`); the rest stays, as a branch."""
        path = self.conversation.messages
        if message in path:
            index = path.index(message)
            after = index if message.role == "assistant" else index + 1
            if after < len(path):
                cut_before(self.conversation, path[after])
        self.empty_failures.clear()
        self.auto_resends = 0

    def switch(self, message: Message, step: int = 1) -> Message | None:
        """Show the sibling ``step`` away from ``message`` (and its newest continuation); returns it, None when
        ``message`` has no sibling. The store remembers the branch."""
        target = step_sibling(self.conversation, message, step)
        if target is None:
            return None
        self.empty_failures.clear()
        self.auto_resends = 0
        if self.conversation.messages:
            self.recorder.set_active(self.conversation, self.conversation.messages[-1])
        return target

    async def compact(self, client: Streamer, model: ModelInfo) -> Compacted | None:
        """Summarise the older part of the active path by ``model`` into a new branch (the original stays);
        the new branch is saved and becomes the active one. None when there is too little to compact."""
        from llmconsole.core.chat.compact import compact

        done = await compact(self.conversation, client, model, reasoning_effort=self.reasoning_effort)
        if done is not None:
            self._adopt_branch()
        return done

    def drop_oldest(self, model: ModelInfo, prompt: str = "") -> int:
        """A new branch with only the most recent turns that fit ``model``; returns how many were left out."""
        from llmconsole.core.chat.compact import drop_oldest

        dropped = drop_oldest(self.conversation, model, prompt=prompt)
        if dropped:
            self._adopt_branch()
        return dropped

    def _adopt_branch(self) -> None:
        self.empty_failures.clear()
        self.auto_resends = 0
        path = self.conversation.messages
        if path:
            self.recorder.record_turn(self.conversation, path[-1])
            self.recorder.set_active(self.conversation, path[-1])

    def take_auto_resend(self) -> bool:
        """Count one automatic resend; False when the limit is reached or nothing is unanswered."""
        if self.unanswered() is None or self.auto_resends >= self.max_auto_resends:
            return False
        self.auto_resends += 1
        return True

    # -- replies --------------------------------------------------------------------------------------------

    def start_reply(self, client: Streamer, model: ModelInfo) -> ReplyRun:
        """An assistant message for ``model`` (status ``streaming``) and the run that will fill it."""
        message = self.conversation.add_assistant(model.id)
        saver = self.recorder.reply_saver(self.conversation, message)
        return ReplyRun(self, client, model, message, saver)

    def settle(self, end: ReplyEnded) -> None:
        """Book a reply that ended: a failure with nothing received leaves the conversation (the prompt stays
        unanswered, the empty reply stays stored until the prompt is replaced); anything else is recorded."""
        message = end.message
        messages = self.conversation.messages
        if message not in messages:
            return
        if end.error is not None and not message.text:
            messages.remove(message)
            self.conversation.others.append(message)  # stored, off the path: a failed attempt
            self.empty_failures.append(message)
        else:
            self.empty_failures.clear()
            self.recorder.record_turn(self.conversation, message)

    def estimated_tokens(self) -> int:
        return self.conversation.estimated_tokens()

    def gauge(self, model: ModelInfo, *, prompt: str = "", images: int = 0) -> ContextGauge:
        """The context gauge for sending ``prompt`` (and ``images`` more images) on the active path to ``model``."""
        return self.meter.gauge(model, self.system_prompt, self.conversation.messages, prompt=prompt, images=images)


class ReplyRun:
    """One reply being streamed: iterate :meth:`events`; :attr:`end` is set when it ended (also when the task
    consuming it was cancelled: the reply is then ``cancelled`` with the text received so far)."""

    def __init__(
        self,
        session: ChatSession,
        client: Streamer,
        model: ModelInfo,
        message: Message,
        saver: ReplySaverLike | None,
    ) -> None:
        self.session = session
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

    @property
    def conversation(self) -> Conversation:
        return self.session.conversation

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
            stream = self.client.stream_response(
                model,
                self.conversation.to_request(),
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
        self.end = ReplyEnded(
            message=message,
            error=error,
            pre_stream=not self._started,
            model=self.model,
            max_output_tokens=self._max_out,
        )
        return self.end
