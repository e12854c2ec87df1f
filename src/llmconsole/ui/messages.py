"""App-wide Textual messages (widget-specific ones are nested in their widgets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import Message as ChatMessage
    from llmconsole.core.chat.reply_run import ReplyEnded
    from llmconsole.core.errors import LLMConsoleError, ProxyError
    from llmconsole.core.events import ResponseStarted
    from llmconsole.core.proxy.models import ModelInfo


@dataclass
class ModelsLoaded(Message):
    """Discovery (or the cache) produced a model list."""

    models: list[ModelInfo]
    from_cache: bool = False


@dataclass
class ModelsFailed(Message):
    """Discovery failed (unreachable proxy, refused key...)."""

    error: LLMConsoleError


@dataclass
class ReplyStarted(Message):
    """The proxy accepted the request (headers parsed: quota, cost, key spend)."""

    event: ResponseStarted
    model: ModelInfo | None = None
    """The model the request went to."""


@dataclass
class ReplyFinished(Message):
    """A reply ended, however it ended: the session's :class:`~llmconsole.core.chat.reply_run.ReplyEnded`
    (its message, error and what the end means, ``outcome``)."""

    end: ReplyEnded

    @property
    def message(self) -> ChatMessage:
        return self.end.message

    @property
    def error(self) -> ProxyError | None:
        return self.end.error
