"""How a reply's stream ends: one policy for both endpoints (Responses and Chat Completions).

Every stream ends with exactly one terminal event, decided here from what arrived:

=====================================================  ================================================
what arrived                                           the terminal event
=====================================================  ================================================
the final event (Responses ``response.completed`` /    :class:`Completed`, ``refused`` when any refusal
``response.incomplete``; Chat a ``finish_reason``)     text arrived; :class:`Incomplete` when it stopped
                                                       early (with the reason)
an error event                                         :class:`Failed` (``interrupted`` for a server-side
                                                       break)
``data: [DONE]`` before the final event                :class:`Failed`, interrupted: "the stream ended
                                                       without completing"
the connection closed before the final event           :class:`Failed`, interrupted: "the connection
                                                       closed before the reply completed"
a connection error, or bytes that are not an event     :class:`Failed`, interrupted
=====================================================  ================================================

A refusal is the reply: its text is counted with the text in ``partial_text`` (in arrival order), and the
reply completes ``refused`` on both endpoints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmconsole.core.errors import StreamError
from llmconsole.core.events import Completed, Failed, Incomplete, RefusalDelta, TextDelta

if TYPE_CHECKING:
    from llmconsole.core.errors import ProxyError
    from llmconsole.core.events import Usage

DONE_TOO_EARLY = "interrupted: the stream ended without completing"
"""Why a stream that sent ``data: [DONE]`` before its final event failed."""
CLOSED_TOO_EARLY = "interrupted: the connection closed before the reply completed"
"""Why a stream whose connection closed before its final event failed."""


class ReplyEnding:
    """What one reply's stream delivered (text and refusal, in order), and the one event it ends with."""

    __slots__ = ("text", "refusal", "_received")

    def __init__(self) -> None:
        self.text: list[str] = []
        """The reply's text pieces."""
        self.refusal: list[str] = []
        """The refusal's pieces (a refusal is the reply: it counts in :attr:`received` too)."""
        self._received: list[str] = []

    @property
    def received(self) -> str:
        """Everything shown as the reply so far: text and refusal, in the order they arrived."""
        return "".join(self._received)

    def add_text(self, delta: str) -> TextDelta:
        self.text.append(delta)
        self._received.append(delta)
        return TextDelta(delta)

    def add_refusal(self, delta: str) -> RefusalDelta:
        self.refusal.append(delta)
        self._received.append(delta)
        return RefusalDelta(delta)

    def completed(self, usage: Usage, response_id: str | None = None) -> Completed:
        return Completed(usage=usage, response_id=response_id, refused=bool(self.refusal))

    @staticmethod
    def incomplete(reason: str, usage: Usage, max_output_tokens: int | None) -> Incomplete:
        return Incomplete(reason=reason, usage=usage, max_output_tokens=max_output_tokens)

    def failed(self, error: ProxyError, *, interrupted: bool, usage: Usage | None = None) -> Failed:
        return Failed(error=error, partial_text=self.received, interrupted=interrupted, usage=usage)

    def cut(self, *, done_marker: bool) -> Failed:
        """The stream ended before its final event: with ``data: [DONE]`` or by closing."""
        return self.failed(StreamError(DONE_TOO_EARLY if done_marker else CLOSED_TOO_EARLY), interrupted=True)
