"""Pure text helpers shared by the widgets: badges, telemetry lines, error lines, filtering.

Everything here returns :class:`textual.content.Content` built from plain strings (never markup), so a model
id such as ``acme/[bold]x`` is shown literally.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich._wrap import divide_line  # private: what Textual's own wrapping calls; pinned by tests/test_private_apis.py
from rich.cells import cell_len
from textual.content import Content, Span

from llmconsole.core.chat.streamer import reply_cost as reply_cost  # re-exported for the widgets
from llmconsole.core.errors import (
    MAX_RETRY_AFTER_S,
    AuthenticationError,
    BudgetError,
    ContentFilterError,
    ContextOverflowError,
    LLMConsoleError,
    NotFoundError,
    ProxyConnectionError,
    ProxyTimeoutError,
    RateLimitError,
    ServerError,
    StreamError,
)
from llmconsole.core.proxy.models import human_tokens

if TYPE_CHECKING:
    from textual.css.styles import RulesMap

    from llmconsole.core.chat.conversation import Message, MessageStatus
    from llmconsole.core.events import Quota, Usage
    from llmconsole.core.proxy.models import ModelInfo

_CODE_FENCE = re.compile(r"^(?P<fence>```|~~~)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)


def badge_parts(model: ModelInfo) -> list[tuple[str, str]]:
    """The capability badges of a model as ``(text, style)`` pairs."""
    parts: list[tuple[str, str]] = []
    if model.reasoning:
        parts.append(("think", "$accent"))
    if model.images:
        parts.append(("img", "$success"))
    if model.endpoint == "chat":
        parts.append(("chat", "$warning"))  # spoken to through /v1/chat/completions
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


class ModelPrompt(Content):
    """A model's entry in a list, whose height is found without laying its lines out.

    The sidebar measures every entry before its first frame (500 of them at startup). ``Content.get_height``
    wraps and formats each line to count them; for plain lines (no tabs, no control codes) the count is the
    number of breaks Textual's wrapping asks rich's ``divide_line`` for, plus one, per line, or (no wrapping)
    one per line, or with ``fold`` the line's cells cut every ``width`` cells: the same figure (tests compare
    the two) at a fraction of the cost.
    """

    def __init__(self, text: str, spans: list[Span], *, cells: tuple[int, ...]) -> None:
        super().__init__(text, spans, cell_length=None, strip_control_codes=False)
        self._cells = cells  # the cell length of each line
        self._widest = max(cells)
        self._lines = text.split("\n")
        self._measured: tuple[int, bool, int] = (0, False, 0)  # (width, fold, height): the list measures twice

    def get_height(self, rules: RulesMap, width: int) -> int:
        pad = rules.get("line_pad", 0) * 2
        if width <= pad:
            return super().get_height(rules, width)
        width -= pad
        if self._widest <= width:
            return len(self._lines)
        fold = rules.get("text_overflow", "fold") == "fold"
        if rules.get("text_wrap", "wrap") == "nowrap":
            # Textual cuts each line every ``width`` cells (fold) or keeps it to one line (ellipsis, clip).
            return sum(max(1, -(-cells // width)) for cells in self._cells) if fold else len(self._lines)
        measured_width, measured_fold, height = self._measured
        if measured_width != width or measured_fold != fold:
            height = sum(len(divide_line(line, width, fold=fold)) + 1 for line in self._lines)
            self._measured = (width, fold, height)
        return height


def model_option_prompt(model: ModelInfo, *, current: bool = False) -> Content:
    """Two lines for a model list: the id (literally) and its badges."""
    model_id = model.id
    if not model_id.isprintable():  # tabs, newlines, control codes: Content's own handling
        marker = ("● ", "$success") if current else "  "
        return Content.assemble(marker, (model_id, "bold" if current else ""), "\n  ", model_badges(model))
    # Built directly (Content.assemble costs ~4x more; the sidebar builds 500 of these before the first frame).
    head = "● " if current else "  "
    spans = [Span(0, 2, "$success"), Span(2, 2 + len(model_id), "bold")] if current else []
    first = head + model_id
    position = len(first) + 3
    badges: list[str] = []
    for index, (text, style) in enumerate(badge_parts(model)):
        if index:
            position += 1
        spans.append(Span(position, position + len(text), style))
        badges.append(text)
        position += len(text)
    second = "  " + " ".join(badges)
    return ModelPrompt(f"{first}\n{second}", spans, cells=(cell_len(first), len(second)))


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


def end_label(status: MessageStatus | None, *, max_output_tokens: int | None = None, reason: str | None = None) -> str:
    """How a reply ended, in words (``max_output_tokens``: the output tokens a truncated reply stopped at)."""
    from llmconsole.core.events import end_text  # (the stream events load after the first frame)

    return end_text(status, reason=reason, output_tokens=max_output_tokens)


TELEMETRY_DROP_ORDER: tuple[str, ...] = ("cached", "ttft", "rate", "model", "tokens", "cost")
"""Parts of a reply's line left out first when it does not fit (how the reply ended always stays)."""


def telemetry_line(
    *,
    model_id: str,
    usage: Usage | None,
    ttft_s: float | None,
    duration_s: float | None,
    status: MessageStatus | None,
    max_output_tokens: int | None = None,
    reason: str | None = None,
    width: int | None = None,
) -> Content:
    """``model · in 1.2K (cached 1K) · out 350 · $0.0012 · TTFT 0.42s · 85 tok/s · completed``.

    The cost is ``usage.cost`` (``cost unknown`` when None, never $0 for an unknown price); a reply without
    usage (refused before it started, cancelled) shows no cost. With ``width``, whole parts are left out in
    :data:`TELEMETRY_DROP_ORDER` until the line fits: never a cut "$0.0…".
    """
    parts: list[tuple[str, str | tuple[str, str]]] = [("model", (model_id, "bold"))]
    if usage is not None:
        parts.append(("tokens", f"in {usage.input_tokens:,}"))
        if usage.cached_tokens:
            parts.append(("cached", f"(cached {usage.cached_tokens:,})"))
        parts.append(("tokens", f"out {usage.output_tokens:,}"))
        parts.append(("cost", format_cost(usage.cost)))
    if ttft_s is not None:
        parts.append(("ttft", f"TTFT {ttft_s:.2f}s"))
        if usage is not None and usage.output_tokens and duration_s is not None:
            generating = duration_s - ttft_s
            if generating >= 0.05:  # shorter than that, a rate says nothing (a reply that came in one burst)
                parts.append(("rate", f"{usage.output_tokens / generating:,.0f} tok/s"))
    warn = ("cancelled", "truncated", "refused")
    style = "$success" if status == "completed" else "$warning" if status in warn else "$error"
    if status == "truncated" and not max_output_tokens and usage is not None:
        max_output_tokens = usage.output_tokens or None
    parts.append(("end", (end_label(status, max_output_tokens=max_output_tokens, reason=reason), style)))

    def join(kept: list[tuple[str, str | tuple[str, str]]]) -> Content:
        pieces: list[str | tuple[str, str]] = []
        for index, (name, piece) in enumerate(kept):
            if index:
                pieces.append(" " if name == "cached" else " · ")
            pieces.append(piece)
        return Content.assemble(*pieces)

    line = join(parts)
    for name in TELEMETRY_DROP_ORDER:
        if width is None or line.cell_length <= width:
            break
        parts = [part for part in parts if part[0] != name]
        line = join(parts)
    return line


def reply_ending(message: Message) -> str | None:
    """How a reply ended, for the status bar, when it is a success with a caveat (refused, truncated)."""
    if message.status == "refused":
        return "last reply refused"
    if message.status == "truncated":
        tokens = message.usage.output_tokens if message.usage is not None else None
        from llmconsole.core.events import end_text

        return "last reply " + end_text("truncated", reason=message.end_reason, output_tokens=tokens)
    return None


def describe_error(
    error: BaseException, *, model: ModelInfo | None = None, estimated_tokens: int = 0, mid_reply: bool = False
) -> str:
    """One readable line for an error shown in the conversation; ``mid_reply``: the reply had started (a
    broken connection then is a stream cut short, not a proxy that cannot be reached)."""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, ContextOverflowError):
        name = model.id if model is not None else "the model"
        from llmconsole.core.proxy.http_errors import overflow_numbers

        stated = overflow_numbers(window=error.window, requested=error.requested)
        if error.requested is not None and error.window is not None:
            size, window = stated, ""  # "130,000 tokens, the window is 128,000": the proxy's numbers
        else:
            size = f"~{human_tokens(estimated_tokens)} tokens"
            shown = error.window if error.window is not None else (model.context_window if model is not None else None)
            window = f" ({human_tokens(shown)} tokens)" if shown else ""
        return (
            f"This conversation ({size}) does not fit the context window of {name}{window}: start a new "
            "conversation (ctrl+n) or pick a model with a larger window (ctrl+l)."
        )
    if isinstance(error, BudgetError | ContentFilterError):
        return message.removeprefix(f"HTTP {error.status}: ")
    if isinstance(error, RateLimitError):
        return f"Rate limited: {message}"
    if isinstance(error, AuthenticationError):
        return f"The proxy refused the API key (check OPENAI_API_KEY): {message}"
    if isinstance(error, NotFoundError):
        return f"Not found: {message}"
    if isinstance(error, ProxyTimeoutError):
        return f"Timed out: {message}"
    if isinstance(error, ProxyConnectionError):
        if mid_reply:
            return f"The connection broke mid-reply (what arrived is kept): {message}"
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
    """``14s`` while counting (rounded up, so ``0s`` only at the end), ``1h 05m`` from an hour, ``more than
    24 h`` beyond the longest wait counted down, then ``ready``."""
    if remaining_s <= 0:
        return "ready"
    if remaining_s > MAX_RETRY_AFTER_S:
        return f"more than {MAX_RETRY_AFTER_S / 3600:.0f} h"
    if remaining_s >= 3600:
        minutes = math.ceil(remaining_s / 60)
        return f"{minutes // 60}h {minutes % 60:02d}m"
    return f"{math.ceil(remaining_s)}s"


# -- cost, quota, key, images ---------------------------------------------------------------------------


def format_cost(cost: float | None) -> str:
    """``$0.0012`` (``$1.23`` from a dollar up, ``<$0.0001`` for a positive crumb); ``cost unknown`` for None."""
    if cost is None:
        return "cost unknown"
    if cost >= 1:
        return f"${cost:,.2f}"
    if 0 < cost < 0.00005:
        return "<$0.0001"
    return f"${cost:.4f}"


def conversation_cost(messages: Sequence[Message]) -> tuple[float, int, int]:
    """``(known total, replies with a known cost, replies with an unknown cost)`` over the assistant replies
    that have usage (a reply refused before it started costs nothing)."""
    total, known, unknown = 0.0, 0, 0
    for message in messages:
        if message.role != "assistant" or message.usage is None:
            continue
        if message.usage.cost is None:
            unknown += 1
        else:
            known += 1
            total += message.usage.cost
    return total, known, unknown


def total_cost_text(total: float, known: int, unknown: int) -> str | None:
    """``total $0.0123``, ``total ≥ $0.0123`` (some prices unknown), ``total unknown``; None before any reply."""
    if not known and not unknown:
        return None
    if not known:
        return "total unknown"
    amount = format_cost(total)
    return f"total ≥ {amount}" if unknown else f"total {amount}"


def quota_text(quota: Quota, elapsed_s: float = 0.0) -> Content | None:
    """``tokens 42% left · resets 37s`` (requests when the tokens are not given; the reset only when given,
    counted down by ``elapsed_s`` since the reply). None when the headers say nothing usable."""
    for kind, remaining, limit, reset in (
        ("tokens", quota.remaining_tokens, quota.limit_tokens, quota.reset_tokens_s),
        ("requests", quota.remaining_requests, quota.limit_requests, quota.reset_requests_s),
    ):
        if remaining is None:
            continue
        remaining = max(remaining, 0)
        if limit:
            percent = 100.0 * min(remaining, limit) / limit
            text = f"{kind} {percent:.0f}% left"
            style = "$error" if percent < 10 else "$warning" if percent < 25 else "$text-muted"
        else:
            text = f"{kind} {remaining:,} left"
            style = "$error" if remaining == 0 else "$text-muted"
        if reset is not None:
            left = reset - max(elapsed_s, 0.0)
            text += f" · resets {math.ceil(left)}s" if left > 0 else " · window reset"
        return Content.styled(text, style)
    return None


def key_text(alias: str | None, spend: float | None, max_budget: float | None) -> str | None:
    """``key demo-key · $0.42 / $10.00`` (the parts that are known); None when nothing is."""
    parts: list[str] = []
    if alias:
        parts.append(f"key {alias}")
    if spend is not None:
        money = f"${spend:,.2f}"
        if max_budget is not None:
            money += f" / ${max_budget:,.2f}"
        parts.append(money)
    elif max_budget is not None:
        parts.append(f"budget ${max_budget:,.2f}")
    if not parts:
        return None
    if not alias:
        parts.insert(0, "key")
    return " · ".join(parts)


def human_bytes(size: int) -> str:
    """``812 B``, ``12 KB``, ``1.5 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1_048_576:.1f} MB"


def data_url_summary(url: str) -> str:
    """``image/png 12 KB`` for a base64 ``data:`` URL (the size decoded from its length)."""
    head, _, data = url.partition(",")
    mime = head.removeprefix("data:").split(";", 1)[0] or "image"
    size = len(data) * 3 // 4 - data[-2:].count("=") if ";base64" in head else len(data)
    return f"{mime} {human_bytes(size)}"


def images_line(urls: Sequence[str]) -> str:
    """``▣ 2 images: image/png 12 KB, image/jpeg 80 KB`` for a user message's images."""
    noun = "image" if len(urls) == 1 else "images"
    return f"▣ {len(urls)} {noun}: " + ", ".join(data_url_summary(url) for url in urls)
