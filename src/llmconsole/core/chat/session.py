"""The conversation flow of the console, free of any UI: :class:`ChatSession`.

The session owns the conversation being typed into and the rules around it. The first one: **nothing a
person wrote, or a model sent, is deleted by sending.**

- sending a prompt (:meth:`ChatSession.submit`): a new message after the active path, or, while a prompt is
  being edited, a sibling of that prompt (the original and what followed stay, as a branch). The next prompt
  continues from the last good state: after a failed reply the prompt stays (it is sent along), a partial
  reply stays (its text is sent), and a regeneration that failed before any text arrived gives way to the
  answer beside it (the failed attempt stays in the tree, a sibling);
- busy (:attr:`ChatSession.busy`): a reply streams or a compaction runs; a prompt waits meanwhile (the screen
  asks, and says why in one line);
- retrying (:meth:`ChatSession.retry`): the unanswered prompt is sent again in place (its failed reply stays,
  a sibling); after a rate limit the countdown's automatic resend (:meth:`ChatSession.resend_step`) is counted
  (at most ``max_auto_resends`` per prompt);
- streaming one reply (:class:`~llmconsole.core.chat.reply_run.ReplyRun`), booking it when it ends
  (:meth:`ChatSession.settle`: every reply is recorded; its ``outcome`` says what the end means);
- compacting (:meth:`ChatSession.compact`): the summary is a new branch, saved even when the console moved to
  another conversation meanwhile;
- continuing a compared answer (:meth:`ChatSession.continue_compare`);
- tool rounds (:meth:`ChatSession.run_tools`, with the tools of :attr:`ChatSession.tools`): a reply that
  completed asking for calls gets them approved, run and settled (busy ``tools`` meanwhile), then the caller
  starts the next reply; at most ``max_rounds`` rounds per prompt (see :mod:`llmconsole.core.chat.tool_round`).

The UI consumes a run's events in its worker and keeps keys, widgets and messages to itself. Nothing here
imports Textual or rich.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from llmconsole.core.chat.context import ContextGauge, ContextMeter
from llmconsole.core.chat.conversation import FAILED_STATUSES, Conversation, Message
from llmconsole.core.chat.reply_run import ReasoningReceived as ReasoningReceived
from llmconsole.core.chat.reply_run import ReplyAccepted as ReplyAccepted
from llmconsole.core.chat.reply_run import ReplyEnded as ReplyEnded
from llmconsole.core.chat.reply_run import ReplyRun as ReplyRun
from llmconsole.core.chat.reply_run import ReplySaverLike as ReplySaverLike
from llmconsole.core.chat.reply_run import RunEvent as RunEvent
from llmconsole.core.chat.reply_run import TextReceived as TextReceived
from llmconsole.core.chat.reply_run import ToolCallReceived as ToolCallReceived
from llmconsole.core.chat.reply_run import ToolsRefused as ToolsRefused
from llmconsole.core.chat.resend import MAX_AUTO_RESENDS
from llmconsole.core.chat.streamer import Streamer as Streamer
from llmconsole.core.chat.streamer import reply_cost as reply_cost
from llmconsole.core.chat.tree import Tree, activate, cut_before, set_path, step_sibling
from llmconsole.core.errors import BudgetError, ContextOverflowError, RateLimitError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from llmconsole.core.chat.compact import Compacted, RoomChoice
    from llmconsole.core.chat.reply_run import Outcome
    from llmconsole.core.chat.resend import ResendCountdown, ResendStep
    from llmconsole.core.chat.tool_round import ToolRunner
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.core.tools.events import ToolRoundEvent

Busy = Literal["reply", "compaction", "tools"]
"""What the conversation is busy with."""
BUSY_LINES: dict[Busy, str] = {
    "reply": "A reply is still streaming: the prompt waits (Escape cancels the reply).",
    "compaction": "The conversation is being compacted: the prompt waits until the summary is in.",
    "tools": "The model's tool calls are being answered: the prompt waits (Escape cancels the turn).",
}
"""Why a prompt waits, in one line."""
GAVE_NOTHING: frozenset[str | None] = frozenset({*FAILED_STATUSES, "cancelled"})
"""How a reply that brought no text can end (failed or cancelled): it gives way to a good answer beside it."""


@dataclass(frozen=True, slots=True)
class Submitted:
    """A prompt went into the conversation: ``message``; ``reshow`` when the active path changed before it
    (an edit's branch, or a failed regeneration giving way to the answer beside it), so it is shown anew."""

    message: Message
    reshow: bool


@dataclass(frozen=True, slots=True)
class Retry:
    """What "send the last prompt again" does: ``in_place`` (the unanswered prompt gets a new reply: start
    one), or ``again`` (the last prompt, answered, is sent as a new message: ``prompt``), or nothing to send."""

    kind: Literal["in_place", "again", "nothing"]
    prompt: Message | None = None


# -- what the session needs ---------------------------------------------------------------------------------


class Recorder(Protocol):
    """Where the session saves (``llmconsole.ui.persistence.HistoryAdapter`` in the console)."""

    def reply_saver(self, conversation: Conversation, reply: Message) -> ReplySaverLike | None: ...
    def record_turn(self, conversation: Conversation, reply: Message) -> None: ...
    def new_conversation(self) -> None: ...
    def adopt(self, conversation: Conversation, stored: list[Message] | None = None) -> None: ...
    def set_active(self, conversation: Conversation, leaf: Message) -> None: ...
    def record(self, conversation: Conversation, message: Message) -> None: ...
    def set_kind(self, conversation: Conversation, kind: str) -> None: ...
    def update(self, conversation: Conversation, message: Message) -> None: ...


class _NoRecorder:
    """No history: every call does nothing."""

    def reply_saver(self, conversation: Conversation, reply: Message) -> None:
        return None

    def record_turn(self, conversation: Conversation, reply: Message) -> None:
        return None

    def new_conversation(self) -> None:
        return None

    def adopt(self, conversation: Conversation, stored: list[Message] | None = None) -> None:
        return None

    def set_active(self, conversation: Conversation, leaf: Message) -> None:
        return None

    def record(self, conversation: Conversation, message: Message) -> None:
        return None

    def set_kind(self, conversation: Conversation, kind: str) -> None:
        return None

    def update(self, conversation: Conversation, message: Message) -> None:
        return None


def _plain_error(
    error: BaseException, *, model: ModelInfo | None = None, estimated_tokens: int = 0, mid_reply: bool = False
) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def _awaits_reply(message: Message) -> bool:
    """A reply that completed with tool calls, every one answered: the model has yet to read the results."""
    return (
        message.role == "assistant"
        and message.status == "completed"
        and bool(message.tool_calls)
        and all(exchange.status != "pending" for exchange in message.tool_calls)
    )


def continuable(messages: list[Message]) -> tuple[list[Message], set[str]]:
    """What of a stored active path is sent when it continues, and the ids of prompts that left it.

    The live rules keep everything (a failed reply stays on the path, the prompt after it follows it). Older
    histories (before the tree) may hold a prompt followed directly by another prompt (it was replaced before
    it got an answer: it leaves) and a failed reply followed by its retry (the failed one leaves).
    """
    kept: list[Message] = []
    unsent: set[str] = set()
    for message in messages:
        if message.role == "user":
            if kept and kept[-1].role == "user":
                unsent.add(kept.pop().id)
        elif kept and kept[-1].role == "assistant" and kept[-1].status in FAILED_STATUSES:
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
        describe_error: Callable[..., str] = _plain_error,
        max_auto_resends: int = MAX_AUTO_RESENDS,
        meter: ContextMeter | None = None,
    ) -> None:
        """``meter``: the context meter to keep (one the console made before this session), else a new one."""
        self.clock = clock
        self.recorder: Recorder = recorder if recorder is not None else _NoRecorder()
        self.system_prompt = system_prompt
        self.reasoning_effort = reasoning_effort
        self.describe_error = describe_error
        """``(error, model=, estimated_tokens=) -> one line``: the error line stored with a failed reply."""
        self.max_auto_resends = max_auto_resends
        self.conversation = Conversation(system_prompt=system_prompt)
        self.auto_resends = 0
        """Automatic resends of the current prompt so far."""
        self.meter = meter if meter is not None else ContextMeter()
        """What fills the context window: local estimates at once, the proxy's exact counts once asked
        (``meter.counter``, set by the caller that owns the client; ``meter.refine`` asks)."""
        self.editing: Message | None = None
        """The prompt being edited: the next prompt sent becomes a sibling of it."""
        self.run: ReplyRun | None = None
        """The newest reply run (streaming while its ``end`` is None)."""
        self._compacting: Conversation | None = None
        self._replaced: Message | None = None
        """The answer a regeneration replaces (the good state to go back to if it fails with no text)."""
        self.tools: ToolRunner | None = None
        """The tools offered to capable models (the console sets it once the tools are discovered), or None."""
        self.tool_rounds = 0
        """Tool rounds run for the current prompt."""
        self._tools_running: Conversation | None = None

    # -- busy ---------------------------------------------------------------------------------------------

    @property
    def busy(self) -> Busy | None:
        """What the current conversation is busy with (a reply streams, a compaction runs), else None."""
        run = self.run
        if run is not None and run.end is None and run.conversation is self.conversation:
            return "reply"
        if self._compacting is not None and self._compacting is self.conversation:
            return "compaction"
        if self._tools_running is not None and self._tools_running is self.conversation:
            return "tools"
        return None

    def busy_line(self) -> str | None:
        """Why a prompt cannot go now, in one line (None when it can)."""
        busy = self.busy
        return None if busy is None else BUSY_LINES[busy]

    def cancel_reply(self) -> ReplyEnded | None:
        """End a run nobody consumes any more (its worker was cancelled before it started) as cancelled."""
        run = self.run
        if run is None or run.end is not None:
            return None
        return run.cancel()

    # -- conversations ------------------------------------------------------------------------------------

    def _reset_turn_state(self) -> None:
        self.editing = None
        self.auto_resends = 0
        self._replaced = None
        self.tool_rounds = 0

    def new_conversation(self, system_prompt: str | None = None) -> Conversation:
        """Start afresh (``system_prompt``: the session's when not given). A compaction still running keeps
        going and is saved into the conversation it started in."""
        if system_prompt is not None:
            self.system_prompt = system_prompt
        self.cancel_reply()
        self.conversation = Conversation(system_prompt=self.system_prompt)
        self.recorder.new_conversation()
        self._reset_turn_state()
        if self.tools is not None:
            self.tools.new_conversation()
        return self.conversation

    def open(self, conversation: Conversation, focus: str | None = None) -> tuple[list[Message], set[str]]:
        """Continue a stored conversation (on the branch of message ``focus`` when given): returns the active
        path's messages (to show) and the ids of prompts that left it; the conversation keeps what is sent
        when it continues."""
        if focus is not None and all(m.id != focus for m in conversation.messages):
            activate(conversation, focus)
        shown = list(conversation.messages)
        unsent = keep_continuable(conversation)
        self.cancel_reply()
        self.conversation = conversation
        self.recorder.adopt(conversation, [*shown, *conversation.others])
        self._reset_turn_state()
        if self.tools is not None:
            self.tools.new_conversation()
        self.system_prompt = conversation.system_prompt
        return shown, unsent

    def set_system_prompt(self, system_prompt: str | None) -> None:
        self.system_prompt = system_prompt
        self.conversation.system_prompt = system_prompt

    def continue_compare(self, conversation: Conversation, chosen: Message) -> tuple[Message, Message]:
        """Continue a comparison (one conversation: a prompt and the models' answers beside each other) with
        the answer ``chosen``: it becomes the active path's reply, the others stay its siblings, and the
        conversation goes on as a chat. Returns the prompt and the reply."""
        tree = Tree.of(conversation)
        set_path(conversation, tree, chosen.id)
        self.cancel_reply()
        self.conversation = conversation
        self._reset_turn_state()
        self.system_prompt = conversation.system_prompt
        for message in tree.messages:  # (each column stored its own; any it could not is stored now)
            self.recorder.record(conversation, message)
        conversation.model = chosen.model or conversation.model
        self.recorder.set_kind(conversation, "chat")
        self.recorder.set_active(conversation, chosen)
        return conversation.messages[0], chosen

    # -- prompts --------------------------------------------------------------------------------------------

    def unanswered(self) -> Message | None:
        """What has no successful reply (it can be sent again): the last user message, or a reply whose tool
        calls were answered when the reply reading their results failed or never came."""
        messages = self.conversation.messages
        if not messages:
            return None
        last = messages[-1]
        if last.role == "user" or _awaits_reply(last):
            return last
        if last.status in FAILED_STATUSES and len(messages) >= 2:
            before = messages[-2]
            if before.role == "user" or _awaits_reply(before):
                return before
        return None

    def last_prompt(self) -> Message | None:
        return next((m for m in reversed(self.conversation.messages) if m.role == "user"), None)

    def start_edit(self, message: Message) -> str | None:
        """Edit the prompt ``message``: the next prompt sent becomes its sibling. A one-line reason when it
        cannot be edited (None when it can)."""
        if message.role != "user":
            return "Only a prompt can be edited: r regenerates a reply."
        if message not in self.conversation.messages:
            return "This prompt is not on the conversation's path; type a new one."
        self.editing = message
        return None

    def cancel_edit(self) -> bool:
        """Stop editing (the next prompt is a new message); False when nothing was being edited."""
        editing, self.editing = self.editing, None
        return editing is not None

    def submit(self, text: str, attachments: Sequence[str] = ()) -> Submitted:
        """Send ``text`` (with ``attachments``, data URLs): a sibling of the prompt being edited (its
        attachments go with it), else a new message continuing from the last good state (see the module docstring)."""
        editing, self.editing = self.editing, None
        if editing is not None and editing in self.conversation.messages:
            return Submitted(self.edit(editing, text, [*editing.attachments, *attachments]), reshow=True)
        reshow = self._back_to_good_state()
        return Submitted(self.add_prompt(text, attachments), reshow=reshow)

    def add_prompt(self, text: str, attachments: Sequence[str] = ()) -> Message:
        """A new user message after the active path; the resend count starts again."""
        self._back_to_good_state()
        self.auto_resends = 0
        self._replaced = None
        self.tool_rounds = 0
        return self.conversation.add_user(text, attachments=list(attachments))

    def _back_to_good_state(self) -> bool:
        """A regeneration that failed before any text arrived gives way to the answer beside it (the one it
        was to replace, else the newest with text); returns whether the path changed."""
        path = self.conversation.messages
        if (
            not path
            or path[-1].role != "assistant"
            or path[-1].text
            or path[-1].status not in (*FAILED_STATUSES, "cancelled")
        ):
            return False
        failed = path[-1]
        tree = Tree.of(self.conversation)
        answers = [m for m in tree.siblings(failed) if m is not failed and m.text and m.role == "assistant"]
        if not answers:
            return False
        replaced = self._replaced
        good = replaced if replaced in answers else answers[-1]
        assert good is not None
        set_path(self.conversation, tree, good.id)
        return True

    # -- branches -----------------------------------------------------------------------------------------

    def edit(self, message: Message, text: str, attachments: Sequence[str] = ()) -> Message:
        """Send ``text`` in place of the prompt ``message``: a sibling of it (the original and what followed
        stay, as another branch)."""
        if message not in self.conversation.messages:
            return self.add_prompt(text, attachments)
        cut_before(self.conversation, message)
        self._reset_turn_state()
        return self.conversation.add_user(text, attachments=list(attachments))

    def regenerate(self, message: Message, client: Streamer, model: ModelInfo) -> ReplyRun:
        """A new answer by ``model``: to the prompt before ``message`` when it is a reply (a sibling of it,
        which stays), or to ``message`` itself when it is a prompt (what followed it stays, as a branch)."""
        self.branch_for_answer(message)
        return self.start_reply(client, model)

    def branch_for_answer(self, message: Message) -> None:
        """End the path where a new answer goes (see :meth:`regenerate`); the rest stays, as a branch."""
        path = self.conversation.messages
        self._reset_turn_state()
        if message in path:
            index = path.index(message)
            after = index if message.role == "assistant" else index + 1
            if after < len(path):
                replaced = path[after]
                cut_before(self.conversation, replaced)
                self._replaced = replaced if replaced.role == "assistant" else None

    def switch(self, message: Message, step: int = 1) -> Message | None:
        """Show the sibling ``step`` away from ``message`` (and its newest continuation); returns it, None when
        ``message`` has no sibling. The store remembers the branch."""
        target = step_sibling(self.conversation, message, step)
        if target is None:
            return None
        self._reset_turn_state()
        if self.conversation.messages:
            self.recorder.set_active(self.conversation, self.conversation.messages[-1])
        return target

    async def compact(self, client: Streamer, model: ModelInfo) -> Compacted | None:
        """Summarise the older part of the active path by ``model`` into a new branch (the original stays);
        the new branch is saved and becomes the active one, also when the console moved to another
        conversation meanwhile. None when there is too little to compact."""
        from llmconsole.core.chat.compact import compact

        conversation = self._compacting = self.conversation
        try:
            done = await compact(conversation, client, model, reasoning_effort=self.reasoning_effort)
        finally:
            if self._compacting is conversation:
                self._compacting = None
        if done is not None:
            self._adopt_branch(conversation)
        return done

    def drop_oldest(self, model: ModelInfo, prompt: str = "") -> int:
        """A new branch with only the most recent turns that fit ``model``; returns how many were left out."""
        from llmconsole.core.chat.compact import drop_oldest

        dropped = drop_oldest(self.conversation, model, prompt=prompt)
        if dropped:
            self._adopt_branch(self.conversation)
        return dropped

    def _adopt_branch(self, conversation: Conversation) -> None:
        if conversation is self.conversation:
            self._reset_turn_state()
        path = conversation.messages
        if path:
            self.recorder.record_turn(conversation, path[-1])
            self.recorder.set_active(conversation, path[-1])

    # -- retries ------------------------------------------------------------------------------------------

    def retry(self) -> Retry:
        """Send the last prompt again: the unanswered one in place (its failed reply stays, a sibling of the
        new one: start a reply), else the last prompt as a new message."""
        unanswered = self.unanswered()
        if unanswered is not None:
            messages = self.conversation.messages
            if messages[-1] is not unanswered:
                cut_before(self.conversation, messages[messages.index(unanswered) + 1])
            return Retry("in_place", unanswered)
        last = self.last_prompt()
        return Retry("again", last) if last is not None else Retry("nothing")

    def rewind_to_unanswered(self) -> Message | None:
        """Make the unanswered prompt the last message again (its failed reply becomes a branch); None when
        every prompt is answered."""
        return self.retry().prompt if self.unanswered() is not None else None

    def take_auto_resend(self) -> bool:
        """Count one automatic resend; False when the limit is reached or nothing is unanswered."""
        if self.unanswered() is None or self.auto_resends >= self.max_auto_resends:
            return False
        self.auto_resends += 1
        return True

    def resend_step(self, countdown: ResendCountdown, now: float) -> ResendStep:
        """What a rate limit's countdown means at ``now``: wait; resend now (counted: call :meth:`retry` and
        start the reply); or zero was reached and nothing is resent (off, the limit reached, busy, or nothing
        unanswered). The countdown is marked ``fired`` at zero."""
        if countdown.remaining(now) > 0 or countdown.fired:
            return "wait"
        countdown.fired = True
        if countdown.can_auto_resend and self.busy is None and self.take_auto_resend():
            countdown.resends_done += 1
            return "resend"
        return "stopped"

    # -- replies --------------------------------------------------------------------------------------------

    def start_reply(self, client: Streamer, model: ModelInfo) -> ReplyRun:
        """An assistant message for ``model`` (status ``streaming``) and the run that will fill it."""
        message = self.conversation.add_assistant(model.id)
        saver = self.recorder.reply_saver(self.conversation, message)
        self.run = ReplyRun(self, client, model, message, saver)
        return self.run

    def settle(self, run: ReplyRun, end: ReplyEnded) -> ReplyEnded:
        """Book a reply that ended (called by the run itself): it is recorded, and stays on the path however
        it ended (a failure with no text is not sent; the next prompt follows it, or a retry puts a sibling
        beside it). Returns ``end`` with its outcome."""
        conversation = run.conversation
        if end.message in conversation.messages:
            self.recorder.record_turn(conversation, end.message)
        return dataclasses.replace(end, outcome=self.outcome(end, conversation))

    def outcome(self, end: ReplyEnded, conversation: Conversation | None = None) -> Outcome:
        """What a reply's end means (see :data:`~llmconsole.core.chat.reply_run.Outcome`)."""
        error = end.error
        if isinstance(error, BudgetError):
            return "budget"
        if isinstance(error, RateLimitError):
            return "rate_limited"
        if isinstance(error, ContextOverflowError) and (conversation or self.conversation) is self.conversation:
            return "overflow" if self.unanswered() is not None else "failed"
        if error is not None:
            return "failed"
        return "cancelled" if end.message.status == "cancelled" else "answered"

    # -- tool rounds ----------------------------------------------------------------------------------------

    def wants_tools(self, end: ReplyEnded) -> bool:
        """Whether the reply that ended asked for tool calls to answer (it completed, in the current conversation)."""
        message = end.message
        return (
            self.tools is not None
            and message.status == "completed"
            and message in self.conversation.messages
            and any(exchange.status == "pending" for exchange in message.tool_calls)
        )

    async def run_tools(self, run: ReplyRun) -> AsyncIterator[ToolRoundEvent]:
        """Answer the calls of ``run``'s reply (see :meth:`ToolRunner.run_round`; busy ``tools`` meanwhile),
        then save them. When it ends without :class:`~llmconsole.core.tools.events.ToolRoundsExhausted` (the
        round limit: the calls are cancelled) and without
        :class:`~llmconsole.core.chat.tool_round.TurnCancelled` (the user cancelled: it propagates), the
        caller starts the next reply (:meth:`start_reply`), which sends the results."""
        from llmconsole.core.tools.events import ToolRoundsExhausted

        tools, message, conversation = self.tools, run.message, run.conversation
        if tools is None:
            return
        try:
            if self.tool_rounds >= tools.max_rounds:
                for exchange in message.tool_calls:
                    exchange.cancel()
                yield ToolRoundsExhausted(tools.max_rounds)
                return
            self.tool_rounds += 1
            self._tools_running = conversation
            async for event in tools.run_round(message):
                yield event
        finally:
            if self._tools_running is conversation:
                self._tools_running = None
            self.recorder.update(conversation, message)

    def estimated_tokens(self) -> int:
        return self.conversation.estimated_tokens()

    def room_choices(self, model: ModelInfo, *, prompt: str = "", images: int = 0) -> frozenset[RoomChoice]:
        """What can make room on ``model`` to send ``prompt`` (a new one), or else the unanswered prompt again:
        compaction only when there are older turns, dropping only when there is something to leave out, and
        neither when the prompt alone does not fit (see ``core.chat.compact.room_choices``)."""
        from llmconsole.core.chat.compact import room_choices

        messages = self.conversation.messages
        unanswered = self.unanswered()
        if not prompt and unanswered is not None:
            messages = messages[: messages.index(unanswered)]
            prompt, images = unanswered.text, len(unanswered.attachments)
        return room_choices(messages, model, self.system_prompt, prompt=prompt, images=images)

    def gauge(self, model: ModelInfo, *, prompt: str = "", images: int = 0) -> ContextGauge:
        """The context gauge for sending ``prompt`` (and ``images`` more images) on the active path to ``model``."""
        return self.meter.gauge(model, self.system_prompt, self.conversation.messages, prompt=prompt, images=images)
