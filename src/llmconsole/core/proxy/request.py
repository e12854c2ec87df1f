"""What one request carries from a conversation, as plain data (built by ``llmconsole.core.chat``).

The proxy layer knows no conversation: the chat layer turns its active path into Responses ``input`` items
(:func:`llmconsole.core.chat.conversation.Conversation.to_request`), and the client translates them for the
endpoint that answers (Chat Completions: :func:`llmconsole.core.proxy.chat_completions.chat_messages`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RequestInput:
    """The conversation part of one request: what the model reads, plus the prompt-cache key."""

    items: list[dict[str, Any]] = field(default_factory=list)
    """Responses API ``input`` items: ``{"role": ..., "content": str | [parts]}`` with ``input_text``,
    ``input_image`` and ``input_file`` parts, and ``function_call`` / ``function_call_output`` items of tool
    rounds; nothing provider-specific."""
    system_prompt: str | None = None
    """The conversation's own system prompt (a caller's ``system_prompt=`` and the config's come around it)."""
    cache_key: str | None = None
    """The ``prompt_cache_key`` (the conversation's id): one per conversation, so a provider can reuse its cache."""
    tools: list[dict[str, Any]] = field(default_factory=list)
    """Function tools offered, in the Responses form (``{"type": "function", "name", "description", "parameters"}``;
    Chat Completions nests each under ``function``). An optional field: left out, and learned, where the backend
    rejects ``tools`` (the stream's ``ResponseStarted.dropped_params`` then names it)."""
