"""What we know about one model: capabilities, limits, parameter support, prices, and where each came from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FieldSource = Literal["model_info", "pattern", "config", "learned", "default"]

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


class ModelInfo(BaseModel):
    """One chat model as the app and the client use it."""

    model_config = ConfigDict(frozen=True)

    id: str
    """The model name the proxy serves (``/v1/models`` ``id``)."""
    reasoning: bool = False
    """Sends ``reasoning`` settings and shows reasoning summaries."""
    images: bool = False
    """Accepts image input."""
    context_window: int = 128_000
    """Input tokens the model accepts."""
    max_output_tokens: int = 4096
    """The ``max_output_tokens`` a request carries (conservative; see the seed's table)."""
    params: dict[str, bool] = Field(default_factory=lambda: {"store": True, "prompt_cache_key": True})
    """Parameter name -> whether requests may carry it."""
    provider: str | None = None
    """``litellm_provider`` (comma-joined when the name balances over several providers)."""
    mode: str | None = None
    """``mode`` from ``/model/info`` (``chat``, ``responses``, ``embedding`` ...), None when unknown."""
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    cache_read_cost_per_token: float | None = None
    source: Literal["model_info", "pattern"] = "pattern"
    """``model_info`` where ``/model/info`` gave any value, else ``pattern``."""
    sources: dict[str, FieldSource] = Field(default_factory=dict)
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
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "params": dict(self.params),
            "provider": self.provider,
            "mode": self.mode,
            "input_cost_per_token": self.input_cost_per_token,
            "output_cost_per_token": self.output_cost_per_token,
            "cache_read_cost_per_token": self.cache_read_cost_per_token,
            "source": self.source,
            "sources": dict(self.sources),
        }


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
