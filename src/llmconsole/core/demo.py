"""An in-process demo backend: an httpx transport that behaves like a LiteLLM proxy, with no network.

``llmconsole --demo`` mounts :class:`DemoTransport` at :data:`llmconsole.core.config.DEMO_BASE_URL`
(any host works: requests are routed on their path), so a newcomer sees every feature without a proxy:

- ``GET /v1/models`` and ``GET /v1/model/info`` (also ``/models``, ``/model/info``): the models of
  :data:`DEMO_MODELS`, one per badge (reasoning, images, 1M context, text only, no ``prompt_cache_key``,
  unknown prices, an embedding model that must stay out of the chat list, and ``demo-ratelimited``).
- ``GET /key/info``: the key's alias, spend and budget (the spend grows with every reply).
- ``POST /v1/responses``: validated like a strict proxy (unknown model, Databricks refusing
  ``prompt_cache_key``, images sent to a text-only model, context overflow), then streamed the way LiteLLM
  streams: ``data: {json}`` lines without ``event:`` lines, ending with ``data: [DONE]``. Success headers
  carry a quota (``x-ratelimit-*``, per model, decreasing with every request over a 60 s window), the
  reply's cost (``x-litellm-response-cost``) and the key's spend (``x-litellm-key-spend``).

Replies are scripted Markdown chosen by words in the last user message (see :data:`DEMO_WORDS`): the
content words ``code``, ``table`` and ``long``, and the ending words ``cut``/``error`` (the connection
breaks mid-reply: the body raises :class:`httpx.ReadError`) and ``truncate`` (``response.incomplete`` at
``max_output_tokens``). A request whose ``max_output_tokens`` is smaller than the reply is truncated too.

With tools offered (``--tools all``, or the console's picker), a prompt with ``dice`` or ``roll`` makes the
model call the demo's own tool, :data:`DEMO_TOOL` (``roll_dice``, run in-process by :func:`run_demo_tool`): a
newcomer sees the approval without a proxy. The reply after the call reads the tool's result.

Streaming is paced (``delta_delay`` seconds between word-sized deltas, ~80 a second by default; 0 in
tests) and cancellable: closing the response closes the body's generator at once.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import math
import random
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import anyio
import httpx

from llmconsole.core.config import DEMO_BASE_URL
from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec

__all__ = [
    "DEFAULT_DEMO_MODEL",
    "DEMO_BASE_URL",
    "DEMO_KEY_ALIAS",
    "DEMO_MODELS",
    "DEMO_ENDING_WORDS",
    "DEMO_TOOL",
    "DEMO_WORDS",
    "RATE_LIMITED_MODEL",
    "DemoModel",
    "DemoStream",
    "DemoTransport",
    "make_demo_transport",
    "run_demo_tool",
]

DEFAULT_DELTA_DELAY: Final = 0.012
"""Seconds between two deltas: about 80 deltas a second, a realistic pace."""

DEMO_KEY_ALIAS: Final = "demo-key"
DEMO_MAX_BUDGET: Final = 10.0
DEMO_START_SPEND: Final = 0.42
QUOTA_WINDOW_S: Final = 60.0
"""The rate-limit window of the demo quota: remaining requests and tokens refill after it."""
IMAGE_TOKENS: Final = 1_000
"""Input tokens counted for one image (the same estimate as :meth:`Conversation.estimated_tokens`)."""
CREATED: Final = 1_735_689_600
"""``created`` of every demo model (fixed, so listings are reproducible)."""


@dataclass(frozen=True, slots=True)
class DemoModel:
    """One demo deployment: what ``/v1/models`` and ``/model/info`` report, and how it behaves."""

    id: str
    provider: str
    """``litellm_provider``; ``databricks`` rejects ``prompt_cache_key`` like the real backend."""
    mode: str = "chat"
    max_input_tokens: int | None = 128_000
    max_output_tokens: int | None = 4_096
    vision: bool | None = False
    reasoning: bool | None = False
    input_cost: float | None = None
    output_cost: float | None = None
    cache_read_cost: float | None = None
    pace: float = 1.0
    """Multiplier of the transport's ``delta_delay`` (small models stream faster)."""
    limit_requests: int = 60
    limit_tokens: int = 100_000
    in_model_list: bool = True
    """False for an extra deployment of a name already listed (``/model/info`` only)."""

    @property
    def accepts_prompt_cache_key(self) -> bool:
        return self.provider != "databricks"

    @property
    def badges(self) -> str:
        """A short description for the default reply's table."""
        if self.mode == "embedding":
            return "embedding (not a chat model)"
        parts: list[str] = []
        if self.reasoning:
            parts.append("reasoning")
        if self.vision:
            parts.append("images")
        if not self.vision and not self.reasoning:
            parts.append("text only")
        if not self.accepts_prompt_cache_key:
            parts.append("no prompt_cache_key")
        if self.input_cost is None:
            parts.append("unknown prices")
        return ", ".join(parts)


DEMO_MODELS: Final[tuple[DemoModel, ...]] = (
    DemoModel(
        "demo-gpt-5",
        provider="openai",
        mode="responses",
        max_input_tokens=200_000,
        max_output_tokens=8_192,
        vision=True,
        reasoning=True,
        input_cost=1.25e-06,
        output_cost=1.0e-05,
        cache_read_cost=1.25e-07,
        limit_requests=60,
        limit_tokens=200_000,
    ),
    DemoModel(
        "demo-claude-opus-4-6",
        provider="databricks",
        max_input_tokens=200_000,
        max_output_tokens=8_192,
        vision=True,
        reasoning=True,
        input_cost=5.0e-06,
        output_cost=2.5e-05,
        cache_read_cost=5.0e-07,
        pace=1.5,
        limit_requests=30,
        limit_tokens=200_000,
    ),
    DemoModel(
        "demo-claude-haiku-4-5",
        provider="databricks",
        max_input_tokens=200_000,
        max_output_tokens=4_096,
        vision=True,
        input_cost=1.0e-06,
        output_cost=5.0e-06,
        cache_read_cost=1.0e-07,
        pace=0.6,
        limit_requests=120,
        limit_tokens=50_000,
    ),
    # A second deployment of the same name (the proxy balances over both): a client takes the smaller
    # limits and sends a parameter only when every deployment accepts it.
    DemoModel(
        "demo-claude-haiku-4-5",
        provider="anthropic",
        max_input_tokens=200_000,
        max_output_tokens=8_192,
        vision=True,
        input_cost=1.0e-06,
        output_cost=5.0e-06,
        cache_read_cost=1.0e-07,
        pace=0.6,
        in_model_list=False,
    ),
    DemoModel(
        "demo-gemini-2-flash",
        provider="gemini",
        max_input_tokens=1_048_576,
        max_output_tokens=8_192,
        vision=True,
        input_cost=1.0e-07,
        output_cost=4.0e-07,
        cache_read_cost=2.5e-08,
        pace=0.8,
        limit_requests=100,
        limit_tokens=1_000_000,
    ),
    DemoModel(
        "demo-llama-3-70b",
        provider="hosted_vllm",
        max_input_tokens=128_000,
        max_output_tokens=4_096,
        vision=False,
        pace=1.2,
        limit_requests=30,
        limit_tokens=60_000,
    ),
    DemoModel(
        "demo-text-embedding",
        provider="openai",
        mode="embedding",
        max_input_tokens=8_191,
        max_output_tokens=None,
        vision=None,
        reasoning=None,
        input_cost=2.0e-08,
        output_cost=0.0,
    ),
    DemoModel(
        "demo-ratelimited",
        provider="databricks",
        max_input_tokens=200_000,
        max_output_tokens=4_096,
        vision=False,
        input_cost=3.0e-06,
        output_cost=1.5e-05,
    ),
)
"""Every demo deployment, in ``/v1/models`` order. The first chat model is the default and answers."""

DEFAULT_DEMO_MODEL: Final = "demo-gpt-5"
RATE_LIMITED_MODEL: Final = "demo-ratelimited"

DEMO_WORDS: Final[dict[str, str]] = {
    "code": "a longer answer built around code blocks",
    "table": "a reply with Markdown tables",
    "long": "a long multi-section reply (~8 KB) to try scrolling and Escape",
    "cut": "the connection breaks mid-reply (an interruption; `error` does the same)",
    "error": "the same as `cut`",
    "truncate": "the reply stops at max_output_tokens (response.incomplete)",
}
"""Words in a prompt that choose the scripted reply (matched as whole words, case-insensitive)."""
DEMO_ENDING_WORDS: Final[dict[str, str]] = {
    "filter": "the content filter stops the reply (response.incomplete, reason content_filter)",
    "refuse": "the model refuses (response.refusal.delta): the refusal is the reply",
}
"""More words, for the other endings (in the README; the welcome reply lists :data:`DEMO_WORDS`)."""

DEMO_TOOL: Final = ToolSpec(
    name="roll_dice",
    description="Roll dice and add them up. The demo's own tool: it runs in-process, without a network.",
    input_schema={
        "type": "object",
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 20, "description": "how many dice"},
            "sides": {"type": "integer", "minimum": 2, "maximum": 1000, "description": "the sides of each die"},
        },
        "required": ["count", "sides"],
    },
    server_name="demo",
    source="local",
)
"""The tool the demo backend offers (``llmconsole tools --demo`` lists it)."""
_TOOL_WORDS: Final = frozenset({"dice", "roll"})


def run_demo_tool(call: ToolCall, rng: random.Random | None = None) -> ToolResult:
    """Run :data:`DEMO_TOOL`: ``count`` dice of ``sides`` sides, each roll and the sum; bad arguments are an
    error result (as an MCP server's ``isError``)."""
    try:
        arguments = call.parsed_arguments()
        count, sides = arguments.get("count", 1), arguments.get("sides", 6)
        if isinstance(count, bool) or isinstance(sides, bool):
            raise ValueError("count and sides are whole numbers")
        if not isinstance(count, int) or not isinstance(sides, int) or not (1 <= count <= 20 and 2 <= sides <= 1000):
            raise ValueError("count must be 1-20 and sides 2-1000")
    except ValueError as exc:
        return ToolResult.failure(call.call_id, f"roll_dice: {exc}")
    rolls = [(rng or random.Random()).randint(1, sides) for _ in range(count)]
    return ToolResult(call.call_id, f"rolled {count}d{sides}: {', '.join(map(str, rolls))} (sum {sum(rolls)})")


_WORD_RE: Final = re.compile(r"\b(code|table|long|cut|error|truncate|filter|refuse)\b", re.IGNORECASE)
DEMO_REFUSAL: Final = "I'm sorry, but I can't help with that request."
_DATA_URL_RE: Final = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<b64>;base64)?,(?P<data>.*)$", re.DOTALL)


def _by_name() -> dict[str, list[DemoModel]]:
    result: dict[str, list[DemoModel]] = {}
    for model in DEMO_MODELS:
        result.setdefault(model.id, []).append(model)
    return result


_DEPLOYMENTS: Final = _by_name()


# --------------------------------------------------------------------------------------------------------
# Replies


def _model_table() -> str:
    rows = ["| Model | Provider | Context | Badges |", "|---|---|---|---|"]
    for model in DEMO_MODELS:
        if not model.in_model_list:
            continue
        context = _human(model.max_input_tokens) if model.max_input_tokens else "?"
        badges = "always answers **429** (rate limit)" if model.id == RATE_LIMITED_MODEL else model.badges
        rows.append(f"| `{model.id}` | {model.provider} | {context} | {badges} |")
    return "\n".join(rows)


def _human(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.0f}M" if count % 1_000_000 < 50_000 else f"{count / 1_000_000:.1f}M"
    return f"{count // 1_000}K"


def _words_list() -> str:
    return "\n".join(f"- **{word}** — {meaning}" for word, meaning in DEMO_WORDS.items())


def default_reply(model: str) -> str:
    """The reply to a prompt without demo words: what the demo is and what it can show."""
    return f"""# Welcome to the llmconsole demo

This is a **demo**: `{model}` is not a real model, and this reply is scripted by an in-process backend \
that behaves like a *LiteLLM proxy* — no network, no key, no cost.

## What you can try

- **Streaming** Markdown, rendered as it arrives (this reply is streamed word by word).
- **Model badges**: reasoning, images, context window, parameters a backend refuses.
- **Reasoning summaries** from the reasoning models (`demo-gpt-5`, `demo-claude-opus-4-6`).
- **Rate limits**: pick `{RATE_LIMITED_MODEL}` to see a structured 429 explained.
- **Quota, cost and spend**: every reply carries rate-limit headers, its cost and the key's spend.
- **Images**: attach an image to a model with the images badge; the reply says what it received.
- *Compare*: send one prompt to several demo models side by side.

## The demo models

{_model_table()}

## Demo words

Put one of these words in your prompt to choose what the demo answers:

{_words_list()}

## A little code

```python
import httpx

async def list_models(base_url: str, key: str) -> list[str]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/v1/models", headers={{"Authorization": f"Bearer {{key}}"}})
        response.raise_for_status()
        return [model["id"] for model in response.json()["data"]]
```

Connect to your own proxy with `export OPENAI_BASE_URL=https://your-proxy` and `OPENAI_API_KEY`, \
then start `llmconsole` without `--demo`.
"""


def code_reply(model: str) -> str:
    """The ``code`` reply: several code blocks with explanations."""
    return f"""# Streaming a reply from a LiteLLM proxy

*A scripted demo answer from `{model}`.* Here is a small, complete client for the **Responses API** \
that streams a reply and stops cleanly.

## 1. Decode the stream

LiteLLM sends `data:` lines **without** `event:` lines, and ends with `data: [DONE]`:

```python
from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx


async def sse_payloads(response: httpx.Response) -> AsyncIterator[dict[str, object]]:
    \"\"\"Yield each JSON payload of a `data:` line until `[DONE]`.\"\"\"
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        yield json.loads(data)
```

## 2. Ask for a reply

```python
async def ask(client: httpx.AsyncClient, model: str, prompt: str) -> str:
    body = {{"model": model, "input": prompt, "stream": True, "store": False}}
    parts: list[str] = []
    async with client.stream("POST", "/v1/responses", json=body) as response:
        response.raise_for_status()
        async for event in sse_payloads(response):
            match event.get("type"):
                case "response.output_text.delta":
                    parts.append(str(event["delta"]))
                case "response.incomplete":
                    parts.append("\\n[truncated]")
                    break
    return "".join(parts)
```

## 3. Run it

```bash
export OPENAI_BASE_URL=https://your-proxy
export OPENAI_API_KEY=sk-...
python ask.py "Explain rate limits in one paragraph"
```

## Notes

1. Leaving the `async with` block **closes the response**: cancelling the task stops the download.
2. A `429` arrives *before* the first byte, as a JSON body: parse `retry_after` from it.
3. Some backends (Databricks) refuse `prompt_cache_key`; send it only where it is accepted.

```json
{{"error": {{"type": "rate_limit_exceeded", "limit_type": "input_tokens_per_minute", "retry_after": 15}}}}
```
"""


def table_reply(model: str) -> str:
    """The ``table`` reply: Markdown tables."""
    return f"""# Tables

*A scripted demo answer from `{model}`.*

## Demo models

{_model_table()}

## Rate-limit headers the demo sends

| Header | Meaning | Example |
|---|---|---|
| `x-ratelimit-remaining-requests` | requests left in the window | `59` |
| `x-ratelimit-limit-requests` | requests allowed per window | `60` |
| `x-ratelimit-remaining-tokens` | tokens left in the window | `199,312` |
| `x-ratelimit-limit-tokens` | tokens allowed per window | `200,000` |
| `x-litellm-response-cost` | this reply's cost in USD | `0.00123` |
| `x-litellm-key-spend` | the key's total spend in USD | `0.4212` |

## How a reply can end

| Ending | Event | Shown as |
|:--|:--|--:|
| completed | `response.completed` | ✓ |
| truncated | `response.incomplete` | **truncated** |
| interrupted | connection closed | *interrupted* |
| rate limited | HTTP 429 | ⚠ |
"""


def long_reply(model: str) -> str:
    """The ``long`` reply: about 8 KB in many sections, to try scrolling and cancelling."""
    sections = [
        f"# A long reply\n\n*A scripted demo answer from `{model}`, long enough to scroll; press Escape "
        "to cancel it while it streams.*\n"
    ]
    topics = [
        ("Discovery", "the proxy lists its models at `/v1/models`, and `/model/info` adds limits and prices"),
        ("Capabilities", "reasoning, image input and context windows decide what a request may carry"),
        ("Parameters", "`store` and `prompt_cache_key` are sent only where every deployment accepts them"),
        ("Streaming", "LiteLLM streams `data:` lines without `event:` lines and ends with `[DONE]`"),
        ("Rate limits", "a 429 carries a limit type, a limit, the current use and a retry delay"),
        ("Quota", "successful replies carry `x-ratelimit-*` headers: the gauge shows what is left"),
        ("Cost", "the proxy reports each reply's cost; unknown prices show as unknown, never as zero"),
        ("History", "conversations are saved locally and can be continued on another model"),
        ("Images", "models with the images badge take a picture as a data URL next to the prompt"),
        ("Compare", "one prompt goes to several models at once, each streaming in its own column"),
    ]
    for number, (title, summary) in enumerate(topics, start=1):
        sections.append(
            f"## {number}. {title}\n\n"
            f"In short: {summary}. This paragraph is filler written so the reply is long enough to scroll: "
            "the renderer has to keep up with a steady flow of words, the view has to follow the bottom "
            "while you do not scroll, and stop following as soon as you scroll up to read something "
            "earlier. Nothing here comes from a model.\n\n"
            f"- **Point {number}.1**: the first detail about {title.lower()}, with *emphasis* and `code`.\n"
            f"- **Point {number}.2**: a second detail, because lists are common in real replies.\n"
            f"- **Point {number}.3**: a third one, with a [link](https://docs.litellm.ai/).\n\n"
            f"```python\ndef section_{number}() -> str:\n"
            f'    """Section {number}: {title}."""\n'
            f'    return "{title.lower()}"\n```\n\n'
            f"> A quote to close section {number}: replies stream, and the console keeps up.\n"
        )
    sections.append("## The end\n\nYou reached the end of the long demo reply.\n")
    return "\n".join(sections)


def reasoning_summary(prompt: str) -> str:
    """A short reasoning summary streamed before the answer by reasoning models."""
    topic = " ".join(prompt.split()[:8]) or "an empty prompt"
    return (
        f"**Reading the request**\n\nThe user wrote: \u201c{topic}\u201d. This is the llmconsole demo, so "
        "I pick the scripted reply that matches the demo words in the prompt and stream it in Markdown."
    )


def _image_note(images: list[tuple[str, int | None]]) -> str:
    lines = []
    for mime, size in images:
        if size is None:
            lines.append(f"I received an image by URL ({mime}); the demo does not download it.")
        else:
            lines.append(f"I received an image of {size} bytes ({mime}).")
    lines.append("The demo does not look at images, but a real vision model would describe it here.\n\n")
    return "\n\n".join(lines)


# --------------------------------------------------------------------------------------------------------
# Request parsing


class _RequestError(Exception):
    """A request the demo refuses, with the response to send."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _litellm_error(
    message: str, *, status: int = 400, type_: str | None = None, param: str | None = None
) -> _RequestError:
    return _RequestError(status, {"error": {"message": message, "type": type_, "param": param, "code": str(status)}})


@dataclass(slots=True)
class _Prompt:
    text: str
    """The last user message's text."""
    input_chars: int
    images: list[tuple[str, int | None]] = field(default_factory=list)
    """(mime type, size in bytes or None for a URL) of the last user message's images."""
    image_count: int = 0
    tool_output: str | None = None
    """The last ``function_call_output`` after the last user message (the model asked, the tool answered)."""


def _parse_image(part: dict[str, Any]) -> tuple[str, int | None]:
    url = part.get("image_url")
    if isinstance(url, dict):  # Chat Completions spelling
        url = url.get("url")
    if not isinstance(url, str) or not url:
        raise _litellm_error("litellm.BadRequestError: input_image needs an image_url", param="input")
    if url.startswith(("http://", "https://")):
        return "remote", None
    match = _DATA_URL_RE.match(url)
    if match is None or not match.group("b64"):
        raise _litellm_error("litellm.BadRequestError: Invalid image_url: expected a base64 data URL", param="input")
    try:
        data = base64.b64decode(match.group("data"), validate=True)
    except (binascii.Error, ValueError):
        raise _litellm_error("litellm.BadRequestError: Invalid base64 in image_url", param="input") from None
    return match.group("mime") or "application/octet-stream", len(data)


def _parse_input(body: dict[str, Any]) -> _Prompt:
    raw = body.get("input")
    instructions = body.get("instructions")
    chars = len(instructions) if isinstance(instructions, str) else 0
    if isinstance(raw, str):
        return _Prompt(text=raw, input_chars=chars + len(raw))
    if not isinstance(raw, list) or not raw:
        raise _litellm_error(
            "litellm.BadRequestError: 'input' must be a string or a non-empty list of items", param="input"
        )
    last = _Prompt(text="", input_chars=0)
    image_count = 0
    for item in raw:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind in ("function_call", "function_call_output"):  # a tool round
            text = str(item.get("arguments") if kind == "function_call" else item.get("output"))
            chars += len(text)
            if kind == "function_call_output":
                last.tool_output = text
            continue
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant", "system", "developer"):
            raise _litellm_error(
                "litellm.BadRequestError: each input item needs a role (user, assistant, system, developer)",
                param="input",
            )
        content = item.get("content")
        texts: list[str] = []
        images: list[tuple[str, int | None]] = []
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
                    texts.append(part["text"])
                elif kind == "input_image":
                    images.append(_parse_image(part))
                elif kind == "input_file" and isinstance(part.get("file_data"), str):
                    data = part["file_data"].partition("base64,")[2]
                    texts.append(f"[file {part.get('filename', '?')}: {len(data) * 3 // 4} bytes]")
                else:
                    raise _litellm_error(
                        f"litellm.BadRequestError: unsupported content part type {kind!r}", param="input"
                    )
        else:
            raise _litellm_error("litellm.BadRequestError: input item content must be text or parts", param="input")
        text = "\n".join(texts)
        chars += len(text)
        image_count += len(images)
        if item["role"] == "user":
            last = _Prompt(text=text, input_chars=0, images=images)
    last.input_chars = chars
    last.image_count = image_count
    return last


def _tokens(chars: int) -> int:
    return math.ceil(chars / 4) if chars > 0 else 0


def _pieces(text: str) -> list[str]:
    """Word-sized deltas whose concatenation is exactly ``text``."""
    return re.findall(r"\S+\s*|\s+", text)


# --------------------------------------------------------------------------------------------------------
# The stream


class DemoStream(httpx.AsyncByteStream):
    """The body of a streamed demo reply: SSE chunks, paced, stoppable by :meth:`aclose`.

    ``chunks`` are bytes to send, or ``None`` for a pause of ``delay`` seconds; ``break_error`` (when set)
    is raised after the last chunk instead of ending cleanly (a connection that breaks mid-reply).
    """

    def __init__(
        self,
        chunks: list[bytes | None],
        *,
        delay: float,
        break_error: Exception | None = None,
        on_close: Callable[[DemoStream], None] | None = None,
    ) -> None:
        self._chunks = chunks
        self._delay = delay
        self._break_error = break_error
        self._on_close = on_close
        self._generator = self._generate()
        self.chunks_sent = 0
        """How many chunks the consumer has received so far."""
        self.closed = False
        """True once the response was closed (by the consumer, or after the stream ended)."""

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._generator

    async def _generate(self) -> AsyncGenerator[bytes, None]:
        for chunk in self._chunks:
            if self.closed:
                return
            if chunk is None:
                if self._delay > 0:
                    await anyio.sleep(self._delay)
                continue
            self.chunks_sent += 1
            yield chunk
        if self._break_error is not None:
            raise self._break_error

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self._generator.aclose()
        if self._on_close is not None:
            self._on_close(self)


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


_DONE: Final = b"data: [DONE]\n\n"


@dataclass(slots=True)
class _Quota:
    window_start: float
    requests: int = 0
    tokens: int = 0


@dataclass(slots=True)
class _Plan:
    """Everything a streamed reply will send, decided before the headers go out."""

    model: DemoModel
    reply: str
    reasoning: str
    ending: str
    """``completed``, ``incomplete`` or ``break``."""
    sent_text: str
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost: float | None
    max_output_tokens: int | None
    reason: str = "max_output_tokens"
    """Why an ``incomplete`` reply stopped (``incomplete_details.reason``)."""
    refused: bool = False
    """The reply is a refusal (``refusal`` content, ``response.refusal.delta`` events)."""
    call: dict[str, Any] | None = None
    """A ``function_call`` output item the reply ends with (the demo tool), or None."""


class DemoTransport(httpx.AsyncBaseTransport):
    """A LiteLLM proxy in-process. Mount it on an ``httpx.AsyncClient`` with ``base_url=DEMO_BASE_URL``.

    State (quota per model, the key's spend, prompt-cache prefixes) lives in the instance, so one
    transport is one proxy; ``clock`` is injectable for tests of the quota window.
    """

    def __init__(
        self, *, delta_delay: float = DEFAULT_DELTA_DELAY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if delta_delay < 0:
            raise ValueError("delta_delay must be >= 0")
        self.delta_delay = delta_delay
        self._clock = clock
        self.key_spend = DEMO_START_SPEND
        """The demo key's spend in USD; every reply with a known price adds its cost."""
        self.requests: list[dict[str, Any]] = []
        """The JSON bodies of every ``/v1/responses`` request received (for tests and the curious)."""
        self.open_streams: set[DemoStream] = set()
        """Streamed bodies not closed yet."""
        self._quota: dict[str, _Quota] = {}
        self._cache_prefix: dict[tuple[str, str], int] = {}
        self._ids = itertools.count(1)

    # -- routing ------------------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/") or "/"
        routes: dict[str, tuple[str, Callable[[httpx.Request], httpx.Response]]] = {
            "/v1/models": ("GET", self._models),
            "/models": ("GET", self._models),
            "/v1/model/info": ("GET", self._model_info),
            "/model/info": ("GET", self._model_info),
            "/key/info": ("GET", self._key_info),
            "/v1/responses": ("POST", self._responses),
            "/responses": ("POST", self._responses),
        }
        route = routes.get(path)
        if route is None:
            return self._json(404, {"detail": "Not Found"})
        method, handler = route
        if request.method != method:
            return self._json(405, {"detail": "Method Not Allowed"})
        if method == "POST":
            await request.aread()
        return handler(request)

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
        all_headers = {"content-type": "application/json", "x-litellm-call-id": self._call_id()}
        all_headers.update(headers or {})
        return httpx.Response(status, headers=all_headers, content=json.dumps(body).encode())

    def _call_id(self) -> str:
        return f"demo-{next(self._ids):06d}"

    # -- discovery ----------------------------------------------------------------------------------

    def _models(self, request: httpx.Request) -> httpx.Response:
        data = [
            {"id": m.id, "object": "model", "created": CREATED, "owned_by": "openai"}
            for m in DEMO_MODELS
            if m.in_model_list
        ]
        return self._json(200, {"object": "list", "data": data})

    def _model_info(self, request: httpx.Request) -> httpx.Response:
        data = []
        for number, m in enumerate(DEMO_MODELS, start=1):
            data.append(
                {
                    "model_name": m.id,
                    "litellm_params": {"model": f"{m.provider}/{m.id.removeprefix('demo-')}"},
                    "model_info": {
                        "id": f"demo-deployment-{number}",
                        "key": m.id.removeprefix("demo-"),
                        "max_tokens": m.max_output_tokens,
                        "max_input_tokens": m.max_input_tokens,
                        "max_output_tokens": m.max_output_tokens,
                        "supports_vision": m.vision,
                        "supports_reasoning": m.reasoning,
                        "supports_prompt_caching": m.cache_read_cost is not None,
                        "litellm_provider": m.provider,
                        "mode": m.mode,
                        "input_cost_per_token": m.input_cost,
                        "output_cost_per_token": m.output_cost,
                        "cache_read_input_token_cost": m.cache_read_cost,
                    },
                }
            )
        return self._json(200, {"data": data})

    def _key_info(self, request: httpx.Request) -> httpx.Response:
        info = {
            "key_name": "sk-...demo",
            "key_alias": DEMO_KEY_ALIAS,
            "spend": round(self.key_spend, 6),
            "max_budget": DEMO_MAX_BUDGET,
            "budget_duration": "30d",
            "models": [m.id for m in DEMO_MODELS if m.in_model_list],
            "tpm_limit": None,
            "rpm_limit": None,
            "expires": None,
            "user_id": "demo-user",
            "team_id": None,
            "metadata": {"demo": True},
        }
        return self._json(200, {"key": "demo0000000000000000000000000000", "info": info})

    # -- responses ----------------------------------------------------------------------------------

    def _responses(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        try:
            if not isinstance(body, dict):
                raise _litellm_error("litellm.BadRequestError: the request body must be a JSON object")
            self.requests.append(body)
            plan = self._plan(body)
        except _RequestError as exc:
            return self._json(exc.status, exc.body, exc.headers)
        headers = self._charge(plan)
        response_id = f"resp_demo_{next(self._ids):06d}"
        if not body.get("stream"):
            return self._json(200, self._response_object(plan, response_id, final=True), headers)
        chunks, break_error = self._events(plan, response_id, request)
        pace = self.delta_delay * plan.model.pace
        stream = DemoStream(chunks, delay=pace, break_error=break_error, on_close=self.open_streams.discard)
        self.open_streams.add(stream)
        headers["content-type"] = "text/event-stream"
        headers["cache-control"] = "no-cache"
        headers["x-litellm-call-id"] = self._call_id()
        return httpx.Response(200, headers=headers, stream=stream)

    def _plan(self, body: dict[str, Any]) -> _Plan:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise _litellm_error("/responses: Missing required parameter: 'model'.", type_="invalid_request_error")
        deployments = _DEPLOYMENTS.get(name)
        if deployments is None:
            # LiteLLM 1.99's ProxyModelNotFoundError, as its exception handler serialises it.
            message = (
                f"/responses: Invalid model name passed in model={name}. "
                "Call `/v1/models` to view available models for your key."
            )
            raise _RequestError(
                400,
                {
                    "error": {
                        "message": message,
                        "type": "None",
                        "param": "None",
                        "code": "400",
                        "provider_specific_fields": {"error": message},
                    }
                },
            )
        model = deployments[0]
        if name == RATE_LIMITED_MODEL:
            raise self._rate_limited(name)
        if model.mode == "embedding":
            raise _litellm_error(
                f"litellm.BadRequestError: {name} is an embedding model (mode=embedding); "
                "it does not support /v1/responses"
            )
        if "prompt_cache_key" in body and not model.accepts_prompt_cache_key:
            inner = json.dumps(
                {"error_code": "BAD_REQUEST", "message": "prompt_cache_key: Extra inputs are not permitted"},
                separators=(",", ":"),
            )
            raise _litellm_error(f"litellm.BadRequestError: DatabricksException - {inner}")
        if "input" not in body:
            raise _litellm_error("/responses: Missing required parameter: 'input'.", type_="invalid_request_error")
        prompt = _parse_input(body)
        if prompt.image_count and not model.vision:
            raise _litellm_error(
                f"litellm.BadRequestError: Hosted_vllmException - model {name} does not support image input "
                "(only text content parts are allowed)"
            )
        input_tokens = _tokens(prompt.input_chars) + prompt.image_count * IMAGE_TOKENS
        limit = model.max_input_tokens
        if limit is not None and input_tokens > limit:
            raise _litellm_error(
                f"litellm.ContextWindowExceededError: litellm.BadRequestError: {model.provider.capitalize()}"
                f"Exception - This model's maximum context length is {limit} tokens. However, your messages "
                f"resulted in {input_tokens} tokens. Please reduce the length of the messages.",
                type_="None",
                param="None",
            )
        max_output = body.get("max_output_tokens")
        if max_output is not None and (not isinstance(max_output, int) or max_output < 16):
            raise _litellm_error(
                "litellm.BadRequestError: max_output_tokens must be an integer >= 16",
                param="max_output_tokens",
            )
        return self._script(model, body, prompt, input_tokens, max_output)

    def _rate_limited(self, name: str) -> _RequestError:
        inner = {
            "error": {
                "type": "rate_limit_exceeded",
                "code": 429,
                "limit_type": "input_tokens_per_minute",
                "limit": 200000,
                "current": 200150,
                "retry_after": 15,
                "message": f"Rate limit exceeded for {name}: input tokens per minute (demo: this model "
                "always answers 429).",
            }
        }
        message = "litellm.RateLimitError: DatabricksException - " + json.dumps(inner, separators=(",", ":"))
        return _RequestError(
            429,
            {"error": {"message": message, "type": "throttling_error", "param": None, "code": "429"}},
            headers={"llm_provider-retry-after": "15"},
        )

    def _script(
        self,
        model: DemoModel,
        body: dict[str, Any],
        prompt: _Prompt,
        input_tokens: int,
        max_output: int | None,
    ) -> _Plan:
        words = {word.lower() for word in _WORD_RE.findall(prompt.text)}
        refused = "refuse" in words
        call: dict[str, Any] | None = None
        tool_words = {w.lower() for w in re.findall(r"\w+", prompt.text)} & _TOOL_WORDS
        if prompt.tool_output is not None:
            reply = f"The demo tool answered:\n\n    {prompt.tool_output}\n\nThat is what the dice say."
        elif tool_words and (name := _offered_demo_tool(body)) is not None:
            reply = "Let me roll two six-sided dice with the demo tool."
            arguments = json.dumps({"count": 2, "sides": 6})
            call_id = f"call_demo_{next(self._ids):06d}"
            call = {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": name}
            call.update(arguments=arguments, status="completed")
        elif tool_words:
            reply = "I could roll them with the demo tool, but no tool is offered: start with `--tools all`."
        elif refused:
            reply = DEMO_REFUSAL
        elif "long" in words:
            reply = long_reply(model.id)
        elif "table" in words:
            reply = table_reply(model.id)
        elif "code" in words:
            reply = code_reply(model.id)
        else:
            reply = default_reply(model.id)
        if prompt.images:
            reply = _image_note(prompt.images) + reply
        reasoning = reasoning_summary(prompt.text) if model.reasoning else ""
        reasoning_tokens = _tokens(len(reasoning)) * 3 if reasoning else 0
        pieces = _pieces(reply)
        ending = "completed"
        sent_count = len(pieces)
        if words & {"cut", "error"}:
            ending, sent_count = "break", max(1, len(pieces) * 2 // 5)
        elif "truncate" in words:
            ending, sent_count = "incomplete", max(1, len(pieces) * 3 // 5)
        elif "filter" in words:
            ending, sent_count = "incomplete", max(1, len(pieces) * 2 // 5)
        if ending != "break" and max_output is not None:
            # A cap smaller than the reply truncates it, as a real model would.
            budget_chars = max(0, max_output - reasoning_tokens) * 4
            total = 0
            for index, piece in enumerate(pieces[:sent_count]):
                total += len(piece)
                if total > budget_chars:
                    ending, sent_count = "incomplete", index
                    break
        sent_text = "".join(pieces[:sent_count])
        output_tokens = _tokens(len(sent_text)) + reasoning_tokens
        cached = 0
        cache_key = body.get("prompt_cache_key")
        if isinstance(cache_key, str) and model.accepts_prompt_cache_key:
            cached = min(self._cache_prefix.get((model.id, cache_key), 0), input_tokens)
            self._cache_prefix[(model.id, cache_key)] = input_tokens
        cost: float | None = None
        if model.input_cost is not None and model.output_cost is not None:
            cached_price = model.cache_read_cost if model.cache_read_cost is not None else model.input_cost
            cost = (
                (input_tokens - cached) * model.input_cost + cached * cached_price + output_tokens * model.output_cost
            )
        return _Plan(
            model=model,
            reply=reply,
            reasoning=reasoning,
            ending=ending,
            sent_text=sent_text,
            input_tokens=input_tokens,
            cached_tokens=cached,
            output_tokens=output_tokens,
            reasoning_tokens=reasoning_tokens,
            cost=cost,
            max_output_tokens=max_output,
            reason="content_filter" if "filter" in words and ending == "incomplete" else "max_output_tokens",
            refused=refused,
            call=call if ending == "completed" else None,
        )

    def _charge(self, plan: _Plan) -> dict[str, str]:
        """Count the request against the model's quota and the key's spend; the success headers."""
        model = plan.model
        now = self._clock()
        quota = self._quota.get(model.id)
        if quota is None or now - quota.window_start >= QUOTA_WINDOW_S:
            quota = self._quota[model.id] = _Quota(window_start=now)
        quota.requests += 1
        quota.tokens += plan.input_tokens + plan.output_tokens
        reset = max(1, math.ceil(QUOTA_WINDOW_S - (now - quota.window_start)))
        if plan.cost is not None:
            self.key_spend += plan.cost
        headers = {
            "x-ratelimit-limit-requests": str(model.limit_requests),
            "x-ratelimit-remaining-requests": str(model.limit_requests - quota.requests),
            "x-ratelimit-limit-tokens": str(model.limit_tokens),
            "x-ratelimit-remaining-tokens": str(model.limit_tokens - quota.tokens),
            "x-ratelimit-reset-requests": f"{reset}s",
            "x-ratelimit-reset-tokens": f"{reset}s",
            "x-litellm-key-spend": f"{self.key_spend:.6f}",
            "x-litellm-model-group": model.id,
        }
        if plan.cost is not None:
            headers["x-litellm-response-cost"] = f"{plan.cost:.8f}"
        return headers

    # -- events -------------------------------------------------------------------------------------

    def _usage(self, plan: _Plan) -> dict[str, Any]:
        return {
            "input_tokens": plan.input_tokens,
            "input_tokens_details": {"cached_tokens": plan.cached_tokens},
            "output_tokens": plan.output_tokens,
            "output_tokens_details": {"reasoning_tokens": plan.reasoning_tokens},
            "total_tokens": plan.input_tokens + plan.output_tokens,
        }

    def _response_object(self, plan: _Plan, response_id: str, *, final: bool) -> dict[str, Any]:
        status = {"completed": "completed", "incomplete": "incomplete"}.get(plan.ending, "in_progress")
        output: list[dict[str, Any]] = []
        if final:
            if plan.reasoning:
                output.append(
                    {
                        "id": f"rs_{response_id}",
                        "type": "reasoning",
                        "summary": [{"type": "summary_text", "text": plan.reasoning}],
                    }
                )
            output.append(
                {
                    "id": f"msg_{response_id}",
                    "type": "message",
                    "role": "assistant",
                    "status": status,
                    "content": [self._part(plan)],
                }
            )
            if plan.call is not None:
                output.append(plan.call)
        return {
            "id": response_id,
            "object": "response",
            "created_at": int(time.time()),
            "model": plan.model.id,
            "status": status if final else "in_progress",
            "incomplete_details": {"reason": plan.reason} if final and status == "incomplete" else None,
            "max_output_tokens": plan.max_output_tokens,
            "output": output,
            "usage": self._usage(plan) if final else None,
        }

    @staticmethod
    def _part(plan: _Plan, text: str | None = None) -> dict[str, Any]:
        """The message's content part: ``output_text``, or ``refusal`` for a refused reply."""
        text = plan.sent_text if text is None else text
        if plan.refused:
            return {"type": "refusal", "refusal": text}
        return {"type": "output_text", "text": text, "annotations": []}

    def _events(
        self, plan: _Plan, response_id: str, request: httpx.Request
    ) -> tuple[list[bytes | None], Exception | None]:
        """The SSE chunks of a streamed reply; ``None`` marks a pause between deltas."""
        chunks: list[bytes | None] = []
        sequence = itertools.count()

        def emit(payload: dict[str, Any]) -> None:
            chunks.append(_sse({**payload, "sequence_number": next(sequence)}))

        emit({"type": "response.created", "response": self._response_object(plan, response_id, final=False)})
        emit(
            {
                "type": "response.in_progress",
                "response": self._response_object(plan, response_id, final=False),
            }
        )
        chunks.extend([None] * (8 if plan.reasoning else 3))  # time to first token
        output_index = 0
        if plan.reasoning:
            item_id = f"rs_{response_id}"
            emit(
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {"id": item_id, "type": "reasoning", "summary": []},
                }
            )
            where = {"item_id": item_id, "output_index": 0, "summary_index": 0}
            emit(
                {
                    "type": "response.reasoning_summary_part.added",
                    **where,
                    "part": {"type": "summary_text", "text": ""},
                }
            )
            for piece in _pieces(plan.reasoning):
                emit({"type": "response.reasoning_summary_text.delta", **where, "delta": piece})
                chunks.append(None)
            emit({"type": "response.reasoning_summary_text.done", **where, "text": plan.reasoning})
            emit(
                {
                    "type": "response.output_item.done",
                    "output_index": 0,
                    "item": {
                        "id": item_id,
                        "type": "reasoning",
                        "summary": [{"type": "summary_text", "text": plan.reasoning}],
                    },
                }
            )
            output_index = 1
            chunks.extend([None] * 4)
        item_id = f"msg_{response_id}"
        emit(
            {
                "type": "response.output_item.added",
                "output_index": output_index,
                "item": {
                    "id": item_id,
                    "type": "message",
                    "role": "assistant",
                    "status": "in_progress",
                    "content": [],
                },
            }
        )
        where = {"item_id": item_id, "output_index": output_index, "content_index": 0}
        emit({"type": "response.content_part.added", **where, "part": self._part(plan, "")})
        kind = "refusal" if plan.refused else "output_text"
        for piece in _pieces(plan.sent_text):
            emit({"type": f"response.{kind}.delta", **where, "delta": piece})
            chunks.append(None)
        if plan.ending == "break":
            return chunks, httpx.ReadError("demo: connection reset by peer (the demo word 'cut')", request=request)
        status = "completed" if plan.ending == "completed" else "incomplete"
        part = self._part(plan)
        done_field = "refusal" if plan.refused else "text"
        emit({"type": f"response.{kind}.done", **where, done_field: plan.sent_text})
        emit({"type": "response.content_part.done", **where, "part": part})
        emit(
            {
                "type": "response.output_item.done",
                "output_index": output_index,
                "item": {
                    "id": item_id,
                    "type": "message",
                    "role": "assistant",
                    "status": status,
                    "content": [part],
                },
            }
        )
        if plan.call is not None:
            call, index = plan.call, output_index + 1
            chunks.extend([None] * 4)
            emit({"type": "response.output_item.added", "output_index": index, "item": {**call, "arguments": ""}})
            where = {"item_id": call["id"], "output_index": index}
            for piece in _pieces(call["arguments"]):
                emit({"type": "response.function_call_arguments.delta", **where, "delta": piece})
                chunks.append(None)
            emit({"type": "response.function_call_arguments.done", **where, "arguments": call["arguments"]})
            emit({"type": "response.output_item.done", "output_index": index, "item": call})
        final = self._response_object(plan, response_id, final=True)
        emit({"type": f"response.{status}", "response": final})
        chunks.append(_DONE)
        return chunks, None


def _offered_demo_tool(body: dict[str, Any]) -> str | None:
    """The function name :data:`DEMO_TOOL` is offered under in this request, None when it is not offered."""
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else ():
        name = tool.get("name") if isinstance(tool, dict) else None
        if isinstance(name, str) and name.endswith(DEMO_TOOL.name):
            return name
    return None


def make_demo_transport(*, delta_delay: float = DEFAULT_DELTA_DELAY) -> DemoTransport:
    """A fresh demo proxy (its own quota and spend). ``delta_delay=0`` streams as fast as possible."""
    return DemoTransport(delta_delay=delta_delay)
