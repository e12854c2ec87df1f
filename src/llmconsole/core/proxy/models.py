"""What we know about one model: capabilities, limits, parameter support, prices, and where each came from."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

FieldSource = Literal["model_info", "pattern", "config", "learned", "default"]
FIELD_SOURCES: frozenset[str] = frozenset(get_args(FieldSource))


Endpoint = Literal["responses", "chat"]
"""The API a model is spoken to through: ``/v1/responses`` or ``/v1/chat/completions``."""
ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)

NON_CHAT_MODES = frozenset(
    {
        "embedding",
        "image_generation",
        "image_edit",
        "audio_transcription",
        "audio_speech",
        "moderation",
        "moderations",
        "rerank",
        "video_generation",
        "ocr",
        "search",
        "vector_store",
    }
)
"""``mode`` values from ``/model/info`` that keep a model out of the chat list. Unknown modes stay in."""


def _default_params() -> dict[str, bool]:
    return {"store": True, "prompt_cache_key": True}


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One chat model as the app and the client use it (a plain frozen dataclass: cheap to build by the hundred).

    Change a field with ``dataclasses.replace``. :meth:`to_json_dict` and :meth:`from_json_dict` are the
    ``--list-models --json`` and model-cache shape; ``from_json_dict`` validates what it reads.
    """

    id: str
    """The model name the proxy serves (``/v1/models`` ``id``)."""
    reasoning: bool = False
    """Sends ``reasoning`` settings and shows reasoning summaries."""
    images: bool = False
    """Accepts image input."""
    function_calling: bool = False
    """Can call functions: tools are offered to it (``supports_function_calling``, else the name patterns)."""
    context_window: int = 128_000
    """Input tokens the model accepts."""
    max_output_tokens: int = 4096
    """The ``max_output_tokens`` a request carries (conservative; see the seed's table)."""
    params: dict[str, bool] = field(default_factory=_default_params)
    """Parameter name -> whether requests may carry it."""
    provider: str | None = None
    """``litellm_provider`` (comma-joined when the name balances over several providers)."""
    mode: str | None = None
    """``mode`` from ``/model/info`` (``chat``, ``responses``, ``embedding`` ...), None when unknown."""
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    cache_read_cost_per_token: float | None = None
    endpoint: Endpoint = "responses"
    """The API requests go through (see :mod:`llmconsole.core.proxy.endpoints` for how it is chosen)."""
    source: Literal["model_info", "pattern"] = "pattern"
    """``model_info`` where ``/model/info`` gave any value, else ``pattern``."""
    sources: dict[str, FieldSource] = field(default_factory=dict)
    """Field name -> where its value came from."""

    @property
    def is_databricks(self) -> bool:
        """Backed (at least partly) by Databricks: by provider, or by name when the provider is unknown."""
        if self.provider:
            return "databricks" in self.provider
        return "databricks" in self.id.lower()

    @property
    def is_chat(self) -> bool:
        """False only for an explicit non-chat mode."""
        return self.mode is None or self.mode not in NON_CHAT_MODES

    @property
    def family(self) -> str | None:
        """``claude``/``gpt``/``gemini``... for suggesting a smaller model of the same family."""
        lowered = self.id.lower()
        for name in ("claude", "gpt", "gemini", "llama", "mistral", "nova", "qwen", "deepseek"):
            if name in lowered:
                return name
        return None

    def supports(self, param: str) -> bool:
        """Whether requests may carry ``param`` (fail-open for parameters we never heard of)."""
        return self.params.get(param, True)

    def to_json_dict(self) -> dict[str, object]:
        """The ``--list-models --json`` shape."""
        return {
            "id": self.id,
            "reasoning": self.reasoning,
            "images": self.images,
            "function_calling": self.function_calling,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "params": dict(self.params),
            "provider": self.provider,
            "mode": self.mode,
            "input_cost_per_token": self.input_cost_per_token,
            "output_cost_per_token": self.output_cost_per_token,
            "cache_read_cost_per_token": self.cache_read_cost_per_token,
            "endpoint": self.endpoint,
            "source": self.source,
            "sources": dict(self.sources),
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> ModelInfo:
        """The inverse of :meth:`to_json_dict`, checked: :class:`ValueError` or :class:`TypeError` when malformed.

        Missing keys take their defaults (older caches); unknown keys are ignored.
        """
        if not isinstance(data, dict) and not isinstance(data, Mapping):  # (dict first: the ABC check is slow)
            raise TypeError("a model entry must be an object")
        model_id = data["id"]
        if not isinstance(model_id, str) or not model_id:
            raise ValueError("id: must be a non-empty string")
        # Plain loops, not all(<generator>): the cache of a big proxy holds hundreds of entries, read before the
        # first frame.
        params = data.get("params", None)
        if params is None:
            params = _default_params()
        elif not isinstance(params, dict):
            raise ValueError("params: must map names to booleans")
        else:
            for name, allowed in params.items():
                if not isinstance(name, str) or not isinstance(allowed, bool):
                    raise ValueError("params: must map names to booleans")
        sources = data.get("sources", None) or {}
        if not isinstance(sources, dict):
            raise ValueError("sources: unknown source")
        for name, source in sources.items():
            if not isinstance(name, str) or source not in FIELD_SOURCES:
                raise ValueError("sources: unknown source")
        endpoint = data.get("endpoint", "responses")
        if endpoint not in ENDPOINTS:
            raise ValueError("endpoint: must be responses or chat")
        source = data.get("source", "pattern")
        if source not in ("model_info", "pattern"):
            raise ValueError("source: must be model_info or pattern")
        return cls(
            id=model_id,
            reasoning=_bool(data, "reasoning", False),
            images=_bool(data, "images", False),
            function_calling=_bool(data, "function_calling", False),
            context_window=_int(data, "context_window", 128_000),
            max_output_tokens=_int(data, "max_output_tokens", 4096),
            params=dict(params),
            provider=_opt_str(data, "provider"),
            mode=_opt_str(data, "mode"),
            input_cost_per_token=_opt_float(data, "input_cost_per_token"),
            output_cost_per_token=_opt_float(data, "output_cost_per_token"),
            cache_read_cost_per_token=_opt_float(data, "cache_read_cost_per_token"),
            endpoint=endpoint,
            source=source,
            sources=cast("dict[str, FieldSource]", dict(sources)),
        )


def _bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key}: must be a boolean")
    return value


def _int(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key}: must be an integer")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key}: must be a string or null")
    return value


def _opt_float(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key}: must be a number or null")
    return float(value)


def human_tokens(count: int) -> str:
    """``200000`` -> ``200K``, ``1000000`` -> ``1M``, ``8192`` -> ``8.2K``, ``4096`` -> ``4.1K``."""
    if count >= 1_000_000:
        value, unit = count / 1_000_000, "M"
    elif count >= 1_000:
        value, unit = count / 1_000, "K"
    else:
        return str(count)
    text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 100 else f"{value:.0f}"
    return f"{text}{unit}"
