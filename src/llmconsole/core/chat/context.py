"""How full the context window is: tokens of (system prompt + active path + attachments + the prompt being
typed) against the model's window less the output reservation.

The window is ``ModelInfo.context_window`` (``max_input_tokens`` from ``/model/info``, else the name
patterns); the reservation is the model's ``max_output_tokens`` (at most half the window). Counting is
local and cheap by default (about 4 characters a token, 1,000 tokens an image; microseconds per keystroke);
where the proxy offers LiteLLM's ``POST /utils/token_counter`` the meter asks it for each message once
(cached per model and message) and for the typed prompt after a pause, and the gauge then says ``exact``.
A proxy that refuses the route is not asked again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from llmconsole.core.proxy.models import human_tokens

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import Conversation, Message
    from llmconsole.core.proxy.models import ModelInfo

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1_000
"""Local estimate for one image (providers charge roughly 500-1,600 for a typical picture)."""
WARN_PERCENT = 75.0
DANGER_PERCENT = 90.0
COUNT_CONCURRENCY = 4
"""Token-count requests in flight at once."""


def estimate_text(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def estimate_message(message: Message) -> int:
    tokens = estimate_text(message.text) + IMAGE_TOKENS * len(message.attachments) + 4  # + the per-message overhead
    if message.tool_calls:
        from llmconsole.core.chat.conversation import tool_chars  # (loaded after the first frame)

        tokens += (tool_chars(message) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN + 8 * len(message.tool_calls)
    return tokens


def available_window(model: ModelInfo) -> int:
    """The input tokens a request may carry: the window less the output reservation (at most half of it)."""
    window = max(model.context_window, 1)
    return max(window - min(model.max_output_tokens, window // 2), 1)


@dataclass(frozen=True, slots=True)
class ContextGauge:
    """What the status bar shows: ``ctx 12.3K/200K · 6%`` (``≈`` before the number for a local estimate)."""

    tokens: int
    window: int
    """Input tokens available (the window less the output reservation)."""
    exact: bool
    """Every part was counted by the proxy's tokenizer (else some or all are local estimates)."""

    @property
    def percent(self) -> float:
        return 100.0 * self.tokens / max(self.window, 1)

    @property
    def fits(self) -> bool:
        return self.tokens <= self.window

    @property
    def level(self) -> str:
        """``ok``, ``warning`` (75 %) or ``danger`` (90 %)."""
        pct = self.percent
        return "danger" if pct >= DANGER_PERCENT else "warning" if pct >= WARN_PERCENT else "ok"

    def text(self) -> str:
        mark = "" if self.exact else "≈"
        return f"ctx {mark}{_short(self.tokens)}/{_short(self.window)} · {self.percent:.0f}%"

    def describe(self) -> str:
        how = "counted by the proxy's tokenizer" if self.exact else "estimated locally, about 4 characters a token"
        return f"~{self.tokens:,} tokens of {self.window:,} available for the input; {how}"


def _short(count: int) -> str:
    if count < 1_000:
        return str(count)
    if count < 1_000_000:
        value = count / 1_000
        return f"{value:.1f}K".replace(".0K", "K") if value < 100 else f"{value:.0f}K"
    return human_tokens(count)


class TokenCounter(Protocol):
    """Counts the tokens of chat messages for a model (None when it cannot)."""

    async def count(self, model_id: str, messages: list[dict[str, Any]]) -> int | None: ...


class ProxyTokenCounter:
    """LiteLLM's ``POST /utils/token_counter`` through the client's HTTP connection."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.available: bool | None = None
        """None until the first answer; False after a refusal (not asked again)."""

    async def count(self, model_id: str, messages: list[dict[str, Any]]) -> int | None:
        if self.available is False:
            return None
        import httpx

        from llmconsole.core.proxy.auth import KEY_REFRESH

        url = f"{self.client.settings.base_url}/utils/token_counter"
        try:
            response = await self.client.http.post(
                url,
                json={"model": model_id, "messages": messages},
                timeout=self.client.settings.discovery_timeout,
                extensions={KEY_REFRESH: None},  # an optional route: its 401 does not rerun a key command
            )
        except httpx.HTTPError as exc:
            log.debug("token counter unreachable: %s", exc)
            return None
        if response.status_code in (401, 403, 404, 405, 501):
            self.available = False
            return None
        if response.status_code >= 400:
            return None
        from llmconsole.core.jsondoc import read_document

        try:
            total = read_document(response.content).get("total_tokens")
        except (ValueError, AttributeError):
            self.available = False
            return None
        if not isinstance(total, int) or isinstance(total, bool) or not 0 <= total < 10**9:
            return None
        self.available = True
        return total


def message_items(message: Message) -> list[dict[str, Any]]:
    return [{"role": message.role, "content": message.text}]


class ContextMeter:
    """Keeps the gauge of one console: local estimates at once, exact counts as they arrive."""

    def __init__(self, counter: TokenCounter | None = None) -> None:
        self.counter = counter
        self.exact: dict[tuple[str, str], int] = {}
        """(model id, message id or ``system:<text hash>``) -> tokens counted by the proxy."""
        self._prompt: tuple[str, str, int] | None = None
        """(model id, prompt text, tokens) of the last counted prompt."""
        self._semaphore = asyncio.Semaphore(COUNT_CONCURRENCY)

    def gauge(
        self,
        model: ModelInfo,
        system_prompt: str | None,
        messages: Sequence[Message],
        *,
        prompt: str = "",
        images: int = 0,
    ) -> ContextGauge:
        """The gauge now (never waits): exact counts where known, local estimates elsewhere."""
        exact = self.counter is not None and getattr(self.counter, "available", True) is not False
        model_id = model.id
        total = 0
        if system_prompt:
            known = self.exact.get((model_id, _system_key(system_prompt)))
            exact = exact and known is not None
            total += known if known is not None else estimate_text(system_prompt) + 4
        cache = self.exact
        for message in messages:
            known = cache.get((model_id, message.id))
            if message.attachments:
                exact = False
            if known is None:
                exact = False
                total += estimate_message(message)
            else:
                total += known + IMAGE_TOKENS * len(message.attachments)
        if prompt:
            counted = self._prompt
            if counted is not None and counted[0] == model_id and counted[1] == prompt:
                total += counted[2]
            else:
                exact = False
                total += estimate_text(prompt) + 4
        total += IMAGE_TOKENS * images
        return ContextGauge(tokens=total, window=available_window(model), exact=exact and images == 0)

    async def refine(
        self, model: ModelInfo, system_prompt: str | None, messages: Sequence[Message], *, prompt: str = ""
    ) -> bool:
        """Ask the proxy for what is not counted yet (each message once); True when a count changed."""
        counter = self.counter
        if counter is None or getattr(counter, "available", True) is False:
            return False
        model_id = model.id
        jobs: list[tuple[tuple[str, str] | None, list[dict[str, Any]], str]] = []
        if system_prompt and (model_id, _system_key(system_prompt)) not in self.exact:
            jobs.append(((model_id, _system_key(system_prompt)), [{"role": "system", "content": system_prompt}], ""))
        for message in messages:
            if message.status == "streaming":
                continue
            if (model_id, message.id) not in self.exact:
                jobs.append(((model_id, message.id), message_items(message), ""))
        if prompt and (self._prompt is None or self._prompt[:2] != (model_id, prompt)):
            jobs.append((None, [{"role": "user", "content": prompt}], prompt))
        if not jobs:
            return False

        async def one(key: tuple[str, str] | None, items: list[dict[str, Any]], text: str) -> bool:
            async with self._semaphore:
                tokens = await counter.count(model_id, items)
            if tokens is None:
                return False
            if key is None:
                self._prompt = (model_id, text, tokens)
            else:
                self.exact[key] = tokens
            return True

        results = await asyncio.gather(*(one(*job) for job in jobs))
        return any(results)

    def forget_prompt(self) -> None:
        self._prompt = None


def _system_key(text: str) -> str:
    return f"system:{hash(text)}"


def conversation_gauge(meter: ContextMeter, model: ModelInfo, conv: Conversation, prompt: str = "") -> ContextGauge:
    return meter.gauge(model, conv.system_prompt, conv.messages, prompt=prompt)
