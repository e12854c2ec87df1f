"""The one seam between the app and conversation history (``llmconsole.core.store.history``).

The app calls :class:`HistoryAdapter` only; with no history object every call is a no-op. The history is an
``AsyncHistory`` in the app (every SQLite call on its own thread, in order) or, in tests, a ``HistoryStore``
(called directly, or on a thread for reads). What is written and when:

- the user message (and anything of the conversation not yet stored) before its request is sent
  (:meth:`ReplySaver.start`, awaited by the reply worker, at most ``START_TIMEOUT_S``);
- the reply as soon as it starts (status ``streaming``), then its text while it streams: every
  ``FLUSH_INTERVAL_S`` and when a block finishes (a blank line, a code fence), never more than one write in
  flight (:meth:`ReplySaver.append`, cheap per delta);
- finally how it ended, with model, usage, error and timings (:meth:`ReplySaver.finish`).

A failing write is logged and reported once (a warning); it never breaks the conversation.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import Conversation, Message, MessageStatus
    from llmconsole.core.events import Usage
    from llmconsole.core.store.history import ConversationSummary, SearchHit

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.25
"""A streaming reply's text is written at least this often."""
MIN_GAP_S = 0.05
"""...and at a finished block, if this long passed since the last write."""
START_TIMEOUT_S = 2.0
"""How long a request waits for its prompt to be stored (a locked database must not stall the chat)."""


class HistoryUnavailableError(Exception):
    """The app runs without history (``--no-history``, or the store could not be opened)."""


class HistoryAdapter:
    """Records conversations in the history (if there is one) and reads it for the conversation list."""

    def __init__(self, history: object | None, *, on_error: Callable[[str], None] | None = None) -> None:
        self.history = history
        self._on_error = on_error
        self._saved: set[str] = set()
        """Ids of messages already in the store (of every conversation this run touched: message ids are
        unique, and a compaction may end after the console moved on to another conversation)."""
        self._tasks: set[asyncio.Future[Any]] = set()
        self._reported = False

    @property
    def enabled(self) -> bool:
        return self.history is not None

    @property
    def is_async(self) -> bool:
        from llmconsole.core.store.history import AsyncHistory

        return isinstance(self.history, AsyncHistory)

    # -- writes ---------------------------------------------------------------------------------------

    def reply_saver(
        self,
        conversation: Conversation,
        reply: Message,
        *,
        clock: Callable[[], float] | None = None,
        kind: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ReplySaver | None:
        """A saver for a reply about to stream (None without history). ``kind``/``meta``: the conversation's
        (``compare`` sides), written with it before the prompt."""
        if self.history is None:
            return None
        return ReplySaver(self, conversation, reply, clock=clock, kind=kind, meta=meta)

    def record_turn(self, conversation: Conversation, reply: Message) -> None:
        """Store what of ``conversation`` up to ``reply`` is not stored yet (a fallback: the saver did it)."""
        if self.history is None:
            return
        for message in conversation.messages:
            if message.id not in self._saved:
                self._saved.add(message.id)
                self.call("add_message", conversation, message)
            if message is reply:
                break

    def new_conversation(self) -> None:
        """A new conversation starts (nothing of it is stored yet; what was stored stays known)."""

    def adopt(self, conversation: Conversation, stored: list[Message] | None = None) -> None:
        """The conversation was opened from the store: its messages are stored already."""
        self._saved.update(m.id for m in (stored if stored is not None else conversation.messages))

    def record(self, conversation: Conversation, message: Message) -> None:
        """Store ``message`` (a branch off the active path) unless it is stored already."""
        if self.history is not None and self.mark_saved(message):
            self.call("add_message", conversation, message)

    def update(self, conversation: Conversation, message: Message) -> None:
        """Write a stored message again (its tool calls, once a round settled them)."""
        if self.history is not None and message.id in self._saved:
            self.call("update_message", conversation.id, message)

    def set_kind(self, conversation: Conversation, kind: str) -> None:
        """The conversation is a ``chat`` (or a ``compare``) from now on (a comparison continued)."""
        if self.history is not None:
            self.call("save_conversation", conversation, kind=kind)

    def set_active(self, conversation: Conversation, leaf: Message) -> None:
        """The conversation opens on the branch ending at ``leaf`` next time (when it is stored)."""
        if self.history is not None and leaf.id in self._saved:
            self.call("set_active_leaf", conversation.id, leaf.id)

    def mark_saved(self, message: Message) -> bool:
        """Remember ``message`` as stored; False if it already was."""
        if message.id in self._saved:
            return False
        self._saved.add(message.id)
        return True

    def call(self, name: str, *args: Any, **kwargs: Any) -> asyncio.Future[Any] | None:
        """Call a history method; an awaitable result runs as a task kept until it ends. Never raises."""
        if self.history is None:
            return None
        method = getattr(self.history, name, None)
        if method is None:
            return None
        try:
            result = method(*args, **kwargs)
        except Exception as exc:  # history must never break the app
            self._failed(exc)
            return None
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._done)
            return task
        return None

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._failed(task.exception())

    def _failed(self, exc: BaseException | None) -> None:
        log.warning("history write failed: %s", exc)
        if not self._reported and self._on_error is not None:
            self._reported = True
            self._on_error(f"History could not be saved: {exc}")

    async def drain(self) -> None:
        """Wait for pending writes (at exit)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- reads (for the conversation list; they raise, the caller shows the error) --------------------

    async def query(self, name: str, *args: Any) -> Any:
        """Call a history method and return its result: awaited (AsyncHistory) or on a thread (HistoryStore)."""
        if self.history is None:
            raise HistoryUnavailableError("History is off (started with --no-history).")
        method = getattr(self.history, name)
        if self.is_async:
            return await method(*args)
        return await asyncio.to_thread(method, *args)

    async def list_conversations(self, limit: int = 200, offset: int = 0) -> list[ConversationSummary]:
        return cast("list[ConversationSummary]", await self.query("list_conversations", limit, offset))

    async def search(self, query: str, limit: int = 100) -> list[SearchHit]:
        return cast("list[SearchHit]", await self.query("search", query, limit))

    async def recent_prompts(self, limit: int = 500) -> list[str]:
        """The prompts of earlier runs, oldest first (the prompt's up-arrow recall)."""
        return cast("list[str]", await self.query("recent_prompts", limit))

    async def load(self, conv_id: str) -> Conversation:
        return cast("Conversation", await self.query("load", conv_id))

    async def rename(self, conv_id: str, title: str) -> None:
        await self.query("rename", conv_id, title)

    async def delete(self, conv_id: str) -> None:
        await self.query("delete", conv_id)

    async def export_markdown(self, conv_id: str) -> str:
        return cast(str, await self.query("export_markdown", conv_id))

    async def resolve(self, ref: str) -> str:
        return cast(str, await self.query("resolve", ref))


class ReplySaver:
    """Persists one streaming reply (see the module docstring). ``append`` is O(len(delta))."""

    def __init__(
        self,
        adapter: HistoryAdapter,
        conversation: Conversation,
        reply: Message,
        *,
        clock: Callable[[], float] | None = None,
        interval: float = FLUSH_INTERVAL_S,
        min_gap: float = MIN_GAP_S,
        kind: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        import time

        self.adapter = adapter
        self.conversation = conversation
        self.reply = reply
        self.clock = clock or time.monotonic
        self.interval = interval
        self.min_gap = min(min_gap, interval)
        self.kind = kind
        self.meta = meta
        self._parts: list[str] = []
        self._reasoning: list[str] = []
        self._last = 0.0
        self._dirty = False
        self._inflight: asyncio.Future[Any] | None = None
        self._started = False
        self.writes = 0
        """Writes made (start and finish included)."""

    async def start(self) -> None:
        """Store the conversation's unsaved messages (the prompt) and the reply (``streaming``); waits for the
        prompt's commit (at most ``START_TIMEOUT_S``) so it is stored before the request goes out."""
        conversation, adapter = self.conversation, self.adapter
        last: asyncio.Future[Any] | None = None
        extra: dict[str, Any] = {} if self.kind is None else {"kind": self.kind}
        if self.kind is not None:
            last = adapter.call("save_conversation", conversation, kind=self.kind, meta=self.meta)
        for message in list(conversation.messages):
            if message is self.reply:
                continue
            if adapter.mark_saved(message):
                last = adapter.call("add_message", conversation, message, **extra) or last
        if self.reply.status is None:
            self.reply.status = "streaming"
        if adapter.mark_saved(self.reply):
            last = adapter.call("add_message", conversation, self.reply, **extra) or last
        self._started = True
        self._last = self.clock()
        self.writes += 1
        if last is not None:
            try:
                await asyncio.wait_for(asyncio.shield(last), START_TIMEOUT_S)
            except Exception:  # a timeout or a failed write (reported by the adapter): the chat goes on
                pass

    def append(self, delta: str) -> None:
        """A text delta: written when the interval passed or a block finished."""
        if not delta:
            return
        parts = self._parts
        tail = parts[-1][-1:] if parts else ""
        parts.append(delta)
        self._dirty = True
        elapsed = self.clock() - self._last
        if elapsed >= self.interval:
            self._flush()
        elif elapsed >= self.min_gap and (
            "\n\n" in delta or (tail == "\n" and delta[0] == "\n") or ("```" in delta and "\n" in delta)
        ):
            self._flush()

    def append_reasoning(self, delta: str) -> None:
        if not delta:
            return
        self._reasoning.append(delta)
        self._dirty = True
        if self.clock() - self._last >= self.interval:
            self._flush()

    def _sync_text(self) -> None:
        if self._parts:
            self.reply.text = "".join(self._parts)
            self._parts[:] = [self.reply.text]
        if self._reasoning:
            self.reply.reasoning = "".join(self._reasoning)
            self._reasoning[:] = [self.reply.reasoning]

    def _flush(self) -> None:
        if not self._started or (self._inflight is not None and not self._inflight.done()):
            return  # one write at a time; the next delta retries
        self._sync_text()
        self._dirty = False
        self._last = self.clock()
        self.writes += 1
        self._inflight = self.adapter.call("update_message", self.conversation.id, self.reply)

    def finish(
        self,
        status: MessageStatus,
        usage: Usage | None = None,
        error: str | None = None,
    ) -> None:
        """How the reply ended (the message's text is already final): written at once, never waited for
        (a cancelled worker must not block); the adapter drains it at exit."""
        if not self._started:
            return
        reply = self.reply
        reply.status = status
        if usage is not None:
            reply.usage = usage
        if error is not None:
            reply.error = error
        self._dirty = False
        self.writes += 1
        self.adapter.call("update_message", self.conversation.id, reply)
