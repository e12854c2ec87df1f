"""Conversation state shared by the client, the history store, the CLI and the UI."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from llmconsole.core.events import EndReason, Usage
from llmconsole.core.proxy.request import RequestInput

Role = Literal["user", "assistant"]
MessageStatus = EndReason | Literal["streaming"]


def new_id() -> str:
    """A random id (hex uuid4): conversations and messages."""
    return uuid.uuid4().hex


@dataclass
class Message:
    """One turn. An assistant message carries how it ended (``status``), its model and usage."""

    role: Role
    text: str
    id: str = field(default_factory=new_id)
    model: str | None = None
    status: MessageStatus | None = None
    """None for user messages; ``streaming`` while a reply arrives; then how it ended."""
    usage: Usage | None = None
    reasoning: str = ""
    """The reasoning summary (shown, never sent back)."""
    error: str | None = None
    """One-line error for replies that ended in error."""
    end_reason: str | None = None
    """Why a ``truncated`` reply stopped (``incomplete_details.reason``: ``max_output_tokens``,
    ``content_filter``, …; ``""`` when the proxy gave none; None when unknown, e.g. older history)."""
    images: list[str] = field(default_factory=list)
    """Data URLs of images attached to a user message."""
    created_at: float = field(default_factory=time.time)
    ttft_s: float | None = None
    """Time to first token, seconds."""
    duration_s: float | None = None
    """Request start to end, seconds."""
    parent_id: str | None = None
    """The message this one follows (None: the first of the conversation). Messages with the same parent are
    siblings: an edited prompt, a regenerated reply, a retry."""


@dataclass
class Conversation:
    """A tree of messages with its id (also the ``prompt_cache_key``): ``messages`` is the active path (what is
    shown and sent), ``others`` every stored message off it (other branches; see ``llmconsole.core.chat.tree``).
    """

    id: str = field(default_factory=new_id)
    title: str = ""
    messages: list[Message] = field(default_factory=list)
    system_prompt: str | None = None
    model: str | None = None
    created_at: float = field(default_factory=time.time)
    others: list[Message] = field(default_factory=list)
    """Messages off the active path (other branches), oldest first."""

    def _parent(self) -> str | None:
        return self.messages[-1].id if self.messages else None

    def add_user(self, text: str, images: list[str] | None = None) -> Message:
        message = Message(role="user", text=text, images=list(images or []), parent_id=self._parent())
        self.messages.append(message)
        if not self.title:
            self.title = title_from_prompt(text)
        return message

    def add_assistant(self, model: str) -> Message:
        message = Message(role="assistant", text="", model=model, status="streaming", parent_id=self._parent())
        self.messages.append(message)
        return message

    def to_input_items(self) -> list[dict[str, Any]]:
        """The Responses API ``input``: user and assistant text, nothing provider-specific.

        Reasoning is left out (it is provider-specific); assistant replies that produced no text are
        skipped; a user message with images becomes ``input_text`` + ``input_image`` parts.
        """
        items: list[dict[str, Any]] = []
        for message in self.messages:
            if message.role == "assistant":
                if message.text:
                    items.append({"role": "assistant", "content": message.text})
                continue
            if message.images:
                content: list[dict[str, Any]] = [{"type": "input_text", "text": message.text}]
                from llmconsole.core.attachments import file_part

                for url in message.images:  # images, and PDFs (input_file) riding along as data URLs
                    content.append(file_part(url) or {"type": "input_image", "image_url": url})
                items.append({"role": "user", "content": content})
            else:
                items.append({"role": "user", "content": message.text})
        return items

    def to_request(self) -> RequestInput:
        """What a request carries from this conversation: its input items, system prompt and cache key."""
        return RequestInput(items=self.to_input_items(), system_prompt=self.system_prompt, cache_key=self.id)

    def estimated_tokens(self) -> int:
        """A cheap estimate (4 characters a token) of what the conversation costs as input."""
        chars = len(self.system_prompt or "") + sum(len(m.text) for m in self.messages)
        images = sum(len(m.images) for m in self.messages)
        return chars // 4 + images * 1_000


def title_from_prompt(text: str, width: int = 60) -> str:
    """The start of the first prompt, on one line."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
