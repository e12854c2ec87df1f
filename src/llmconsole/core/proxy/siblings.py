"""Smaller models of the same family (haiku for opus, gpt-5-mini for gpt-5): what a rate limit's advice names
and what the model picker lists first after one. Pure, no UI."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmconsole.core.proxy.models import ModelInfo

__all__ = ["size_tier", "smaller_model", "smaller_models"]

_SMALL = ("haiku", "mini", "nano", "flash", "lite", "small", "tiny", "instant", "8b", "7b", "3b", "1b")
_MEDIUM = ("sonnet", "medium", "turbo", "13b", "32b")


def size_tier(model_id: str) -> int:
    """0 small (haiku, mini, flash...), 1 medium (sonnet...), 2 large or unmarked (opus, pro, gpt-5...)."""
    tokens = set(re.split(r"[^a-z0-9]+", model_id.lower()))
    lowered = model_id.lower()
    if any(word in tokens for word in _SMALL) or any(word in lowered for word in ("haiku", "mini", "flash")):
        return 0
    if any(word in tokens for word in _MEDIUM) or "sonnet" in lowered:
        return 1
    return 2


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for left, right in zip(a.lower(), b.lower(), strict=False):
        if left != right:
            break
        count += 1
    return count


def smaller_model(current: ModelInfo, models: Sequence[ModelInfo]) -> ModelInfo | None:
    """A smaller model of the same family to switch to after a rate limit (haiku for opus, gpt-5-mini for gpt-5);
    None when the family has nothing smaller. The first of :func:`smaller_models`."""
    smaller = smaller_models(current, models)
    return smaller[0] if smaller else None


def smaller_models(current: ModelInfo, models: Sequence[ModelInfo]) -> list[ModelInfo]:
    """Every smaller model of the same family, the best pick first.

    Candidates share the family; a smaller size tier wins (the smallest first, as the seed suggests haiku
    rather than sonnet for opus), then the longest shared prefix with the current id, then a smaller
    context window / max output. Empty when the family has nothing smaller.
    """
    family = current.family
    if family is None:
        return []
    tier = size_tier(current.id)
    candidates: list[tuple[tuple[int, int, int, int], ModelInfo]] = []
    for model in models:
        if model.id == current.id or model.family != family:
            continue
        model_tier = size_tier(model.id)
        smaller_limits = (model.context_window, model.max_output_tokens) < (
            current.context_window,
            current.max_output_tokens,
        )
        if model_tier > tier or (model_tier == tier and not smaller_limits):
            continue
        key = (model_tier, -_common_prefix(model.id, current.id), -model.context_window, -model.max_output_tokens)
        candidates.append((key, model))
    return [model for _key, model in sorted(candidates, key=lambda pair: pair[0])]
