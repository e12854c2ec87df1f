"""Capabilities from model names: the seed's tables, fail-open for names we do not know.

| pattern (in the name)                  | reasoning | images | context | max out | prompt_cache_key |
|----------------------------------------|-----------|--------|---------|---------|------------------|
| ``opus``                               | yes       | yes    | 200K    | 4096 [1]| per backend      |
| ``with-reasoning``                     | yes       |        |         |         |                  |
| starts ``gpt-5``, ``o1``, ``o3``       | yes       |        | 200K (gpt-5) | 8192 (gpt-5) |          |
| ``claude gpt-4 gpt-5 gemini sonnet opus haiku nova`` | | yes |   |         |                  |
| ``gemini-2``                           |           |        | 1M      |         |                  |
| ``claude``, ``gemini``, ``databricks`` |           |        |         |         | no (Databricks)  |
| anything else                          | no        | no     | 128K    | 4096    | yes (fail-open)  |

[1] ``opus-4.6``/``opus-4-6``: 8192. Versions match in both spellings: ``opus-4.6`` and ``opus-4-6``.

Function calling (tools are offered): the families known to call functions (``gpt-4``, ``gpt-5``, ``o3``,
``claude``, ``gemini``, ``mistral``, ``llama-3``, ``qwen``, ...); anything else no (fail-closed: a model that
cannot call functions would only be confused by tools). ``supports_function_calling`` from ``/model/info`` wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_CONTEXT_WINDOW = 128_000
DEFAULT_MAX_OUTPUT_TOKENS = 4096

_IMAGE_WORDS = ("claude", "gpt-4", "gpt-5", "gemini", "sonnet", "opus", "haiku", "nova")
_NO_CACHE_KEY_WORDS = ("claude", "gemini", "databricks")
_TOOL_WORDS = (
    "gpt-3-5", "gpt-4", "gpt-5", "claude", "gemini", "mistral", "mixtral", "codestral", "llama-3", "llama3",
    "qwen", "command-r", "nova", "deepseek", "grok", "glm-4", "kimi",
)  # fmt: skip
_TOOL_START = re.compile(r"(?:^|[-_])(?:o3|o4)(?:$|[-_])")
_REASONING_START = re.compile(r"(?:^|[-_])(?:gpt-5|o1|o3)(?:$|[-_])")
"""``gpt-5``, ``o1``, ``o3`` at the start of the name, or after a provider prefix (``databricks-gpt-5``)."""


@dataclass(frozen=True, slots=True)
class PatternCapabilities:
    """What the name alone says. Every field has a value: patterns are the last fallback."""

    reasoning: bool
    images: bool
    context_window: int
    max_output_tokens: int
    params: dict[str, bool] = field(default_factory=dict)
    function_calling: bool = False


def _canonical(model_id: str) -> str:
    """Lower case, dots in versions spelled as dashes (``opus-4.6`` -> ``opus-4-6``)."""
    return re.sub(r"(?<=\d)\.(?=\d)", "-", model_id.lower())


def _base_name(name: str) -> str:
    """The last path segment: ``openai/gpt-5`` -> ``gpt-5``."""
    return name.rsplit("/", 1)[-1]


def pattern_capabilities(model_id: str) -> PatternCapabilities:
    """Capabilities from the seed's name patterns."""
    name = _canonical(model_id)
    base = _base_name(name)
    reasoning = "opus" in name or "with-reasoning" in name or _REASONING_START.search(base) is not None
    images = any(word in name for word in _IMAGE_WORDS)
    if "gemini-2" in name:
        context = 1_000_000
    elif "opus" in name or "gpt-5" in name:
        context = 200_000
    else:
        context = DEFAULT_CONTEXT_WINDOW
    if "opus-4-6" in name or "gpt-5" in name:
        max_out = 8192
    else:
        max_out = DEFAULT_MAX_OUTPUT_TOKENS
    cache_key = not any(word in name for word in _NO_CACHE_KEY_WORDS)
    tools = any(word in name for word in _TOOL_WORDS) or _TOOL_START.search(base) is not None
    return PatternCapabilities(
        reasoning=reasoning,
        images=images,
        context_window=context,
        max_output_tokens=max_out,
        params={"store": True, "prompt_cache_key": cache_key, "reasoning_summary": cache_key},
        function_calling=tools,
    )
