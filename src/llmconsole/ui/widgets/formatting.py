"""Pure text helpers shared by the widgets: badges, telemetry lines, error lines, filtering.

Everything here returns :class:`textual.content.Content` built from plain strings (never markup), so a model
id such as ``acme/[bold]x`` is shown literally.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.content import Content

from llmconsole.core.errors import (
    AuthenticationError,
    ContextOverflowError,
    LLMConsoleError,
    NotFoundError,
    ProxyConnectionError,
    ProxyTimeoutError,
    RateLimitError,
    ServerError,
    StreamError,
)
from llmconsole.core.models import human_tokens

if TYPE_CHECKING:
    from llmconsole.core.conversation import MessageStatus
    from llmconsole.core.events import Usage
    from llmconsole.core.models import ModelInfo

_CODE_FENCE = re.compile(r"^(?P<fence>```|~~~)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)


def badge_parts(model: ModelInfo) -> list[tuple[str, str]]:
    """The capability badges of a model as ``(text, style)`` pairs."""
    parts: list[tuple[str, str]] = []
    if model.reasoning:
        parts.append(("think", "$accent"))
    if model.images:
        parts.append(("img", "$success"))
    parts.append((human_tokens(model.context_window), "$primary"))
    parts.append((f"out {human_tokens(model.max_output_tokens)}", "$text-muted"))
    return parts


def model_badges(model: ModelInfo) -> Content:
    """``think img 200K out 32K`` with theme colours."""
    pieces: list[str | tuple[str, str]] = []
    for index, part in enumerate(badge_parts(model)):
        if index:
            pieces.append(" ")
        pieces.append(part)
    return Content.assemble(*pieces)


def model_option_prompt(model: ModelInfo, *, current: bool = False) -> Content:
    """Two lines for a model list: the id (literally) and its badges."""
    marker = ("● ", "$success") if current else "  "
    return Content.assemble(marker, (model.id, "bold" if current else ""), "\n  ", model_badges(model))


def matches_filter(model_id: str, query: str) -> bool:
    """Every whitespace-separated term of ``query`` occurs in ``model_id`` (case-insensitive)."""
    lowered = model_id.lower()
    return all(term in lowered for term in query.lower().split())


def filter_models(models: Sequence[ModelInfo], query: str) -> list[ModelInfo]:
    """The models matching ``query`` in their original order (all of them for an empty query)."""
    if not query.strip():
        return list(models)
    terms = query.lower().split()
    return [m for m in models if all(term in m.id.lower() for term in terms)]


def end_label(status: MessageStatus | None, *, max_output_tokens: int | None = None) -> str:
    """How a reply ended, in words."""
    if status == "truncated":
        return f"truncated at {max_output_tokens} output tokens" if max_output_tokens else "truncated"
    if status == "rate_limited":
        return "rate limited"
    return str(status or "")


def telemetry_line(
    *,
    model_id: str,
    usage: Usage | None,
    ttft_s: float | None,
    duration_s: float | None,
    status: MessageStatus | None,
    max_output_tokens: int | None = None,
) -> Content:
    """``model · in 1.2K (cached 1K) · out 350 · TTFT 0.42s · 85 tok/s · completed``."""
    pieces: list[str | tuple[str, str]] = [(model_id, "bold")]
    if usage is not None:
        tokens = f"in {usage.input_tokens:,}"
        if usage.cached_tokens:
            tokens += f" (cached {usage.cached_tokens:,})"
        tokens += f" · out {usage.output_tokens:,}"
        pieces += [" · ", tokens]
    if ttft_s is not None:
        pieces += [" · ", f"TTFT {ttft_s:.2f}s"]
        if usage is not None and usage.output_tokens and duration_s is not None:
            generating = max(duration_s - ttft_s, 1e-3)
            pieces += [" · ", f"{usage.output_tokens / generating:,.0f} tok/s"]
    style = "$success" if status == "completed" else "$warning" if status in ("cancelled", "truncated") else "$error"
    pieces += [" · ", (end_label(status, max_output_tokens=max_output_tokens), style)]
    return Content.assemble(*pieces)


def describe_error(error: BaseException, *, model: ModelInfo | None = None, estimated_tokens: int = 0) -> str:
    """One readable line for an error shown in the conversation."""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, ContextOverflowError):
        window = f" ({human_tokens(model.context_window)} tokens)" if model is not None else ""
        name = model.id if model is not None else "the model"
        return (
            f"This conversation (~{human_tokens(estimated_tokens)} tokens) does not fit the context window of "
            f"{name}{window}: start a new conversation (ctrl+n) or pick a model with a larger window (ctrl+l)."
        )
    if isinstance(error, RateLimitError):
        return f"Rate limited: {message}"
    if isinstance(error, AuthenticationError):
        return f"The proxy refused the API key (check OPENAI_API_KEY): {message}"
    if isinstance(error, NotFoundError):
        return f"Not found: {message}"
    if isinstance(error, ProxyTimeoutError):
        return f"Timed out: {message}"
    if isinstance(error, ProxyConnectionError):
        return f"Cannot reach the proxy: {message}"
    if isinstance(error, ServerError):
        return f"The proxy failed: {message}"
    if isinstance(error, StreamError):
        return f"The stream broke: {message}"
    if isinstance(error, LLMConsoleError):
        return message
    return f"Unexpected error ({type(error).__name__}): {message}"


def last_code_block(text: str) -> str | None:
    """The body of the last fenced code block in Markdown ``text``, or None."""
    blocks = [match.group("body") for match in _CODE_FENCE.finditer(text)]
    return blocks[-1].rstrip("\n") if blocks else None


def countdown_text(remaining_s: float) -> str:
    """``14s`` while counting (rounded up, so ``0s`` only at the end), then ``ready``."""
    if remaining_s <= 0:
        return "ready"
    return f"{math.ceil(remaining_s)}s"
