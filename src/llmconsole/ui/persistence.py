"""The one seam between the app and conversation history (``llmconsole.core.history``).

The app calls :class:`HistoryAdapter` only; with no history object every call is a no-op. The history may be
synchronous (``HistoryStore``) or asynchronous (``AsyncHistory``): awaitables are scheduled as tasks and kept
until they finish. A failing write is logged and reported once; it never breaks the app.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmconsole.core.conversation import Conversation, Message

log = logging.getLogger(__name__)


class HistoryAdapter:
    """Records finished turns in the history (if there is one)."""

    def __init__(self, history: object | None, *, on_error: Callable[[str], None] | None = None) -> None:
        self.history = history
        self._on_error = on_error
        self._saved: set[str] = set()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._reported = False

    @property
    def enabled(self) -> bool:
        return self.history is not None

    def record_turn(self, conversation: Conversation, reply: Message) -> None:
        """Store the prompts not yet stored and ``reply`` (a finished assistant message)."""
        if self.history is None:
            return
        for message in conversation.messages:
            if message.id in self._saved:
                continue
            if message.role == "assistant" and message is not reply and message.status == "streaming":
                continue
            self._call("add_message", conversation, message)
            self._saved.add(message.id)
            if message is reply:
                break

    def new_conversation(self) -> None:
        """Forget what was stored for the previous conversation."""
        self._saved.clear()

    def _call(self, name: str, *args: Any) -> None:
        method = getattr(self.history, name, None)
        if method is None:
            return
        try:
            result = method(*args)
        except Exception as exc:  # history must never break the app
            self._failed(exc)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._done)

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
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
