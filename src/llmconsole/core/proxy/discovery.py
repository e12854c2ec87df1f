"""Model discovery: ``/v1/models`` for the names, ``/model/info`` for the facts, name patterns for the rest.

Merging, field by field (a null or missing field means unknown and falls back to the pattern):
``max_input_tokens`` -> context window, ``max_output_tokens`` -> caps the seed's conservative limit,
``supports_vision`` -> images, ``supports_reasoning`` -> reasoning, ``litellm_provider`` -> provider
(a Databricks provider never gets ``prompt_cache_key``), ``mode`` -> only an explicit non-chat mode
leaves the chat list, ``supports_function_calling`` -> whether tools are offered. One name can balance over
several deployments: a parameter is sent only if every deployment accepts it; the smallest context window and
output limit win; a capability is claimed only if every deployment that says anything claims it. Then the
config's per-model overrides, then what the client learned from rejections. The endpoint (Responses or Chat
Completions) is chosen by :mod:`llmconsole.core.proxy.endpoints`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from llmconsole.core import paths
from llmconsole.core.config import Settings
from llmconsole.core.events import MAX_TOKEN_COUNT
from llmconsole.core.jsondoc import read_document
from llmconsole.core.proxy import endpoints
from llmconsole.core.proxy.capabilities import pattern_capabilities
from llmconsole.core.proxy.models import Endpoint, FieldSource, ModelInfo

log = logging.getLogger(__name__)

_CHAT_BRIDGED = frozenset({"databricks", "anthropic", "bedrock", "bedrock_converse", "vertex_ai", "gemini"})


def parse_model_ids(payload: Any) -> list[str]:
    """Ids from a ``/v1/models`` answer (``{"data":[{"id":...}]}``), in order, without duplicates."""
    data = payload.get("data") if isinstance(payload, dict) else payload
    if not isinstance(data, list):
        return []
    seen: dict[str, None] = {}
    for item in data:
        model_id = item.get("id") if isinstance(item, dict) else item if isinstance(item, str) else None
        if isinstance(model_id, str) and model_id and model_id not in seen:
            seen[model_id] = None
    return list(seen)


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    number = int(value)
    return number if 0 < number < MAX_TOKEN_COUNT else None


def _price(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        return None
    return number if math.isfinite(number) and number >= 0 else None


def group_model_info(payload: Any) -> dict[str, list[dict[str, Any]]]:
    """``/model/info`` entries grouped by ``model_name``: one list of ``model_info`` dicts per name."""
    data = payload.get("data") if isinstance(payload, dict) else None
    groups: dict[str, list[dict[str, Any]]] = {}
    if not isinstance(data, list):
        return groups
    for entry in data:
        if not isinstance(entry, dict):
            continue
        name = entry.get("model_name")
        info = entry.get("model_info")
        if not isinstance(name, str):
            continue
        merged: dict[str, Any] = dict(info) if isinstance(info, dict) else {}
        params = entry.get("litellm_params")
        if isinstance(params, dict) and not merged.get("litellm_provider"):
            target = params.get("model")
            if isinstance(target, str) and "/" in target:
                merged["litellm_provider"] = target.split("/", 1)[0]
        groups.setdefault(name, []).append(merged)
    return groups


def _all_known_bool(entries: Iterable[Mapping[str, Any]], key: str) -> bool | None:
    values = [entry[key] for entry in entries if isinstance(entry.get(key), bool)]
    if not values:
        return None
    return all(values)


def _min_known(entries: Iterable[Mapping[str, Any]], key: str) -> int | None:
    values = [v for v in (_positive_int(entry.get(key)) for entry in entries) if v is not None]
    return min(values) if values else None


def _max_price(entries: Iterable[Mapping[str, Any]], key: str) -> float | None:
    values = [v for v in (_price(entry.get(key)) for entry in entries) if v is not None]
    return max(values) if values else None


def build_model(
    model_id: str,
    entries: list[dict[str, Any]],
    settings: Settings,
    rejected: frozenset[str] = frozenset(),
    learned_endpoint: Endpoint | None = None,
) -> ModelInfo:
    """One :class:`ModelInfo` from its ``/model/info`` entries (may be empty), patterns, config, learning."""
    pattern = pattern_capabilities(model_id)
    sources: dict[str, FieldSource] = {}
    from_info = False

    def pick(field: str, info_value: Any, pattern_value: Any) -> Any:
        nonlocal from_info
        if info_value is not None:
            sources[field] = "model_info"
            from_info = True
            return info_value
        sources[field] = "pattern"
        return pattern_value

    reasoning = pick("reasoning", _all_known_bool(entries, "supports_reasoning"), pattern.reasoning)
    images = pick("images", _all_known_bool(entries, "supports_vision"), pattern.images)
    tools = pick("function_calling", _all_known_bool(entries, "supports_function_calling"), pattern.function_calling)
    context = pick("context_window", _min_known(entries, "max_input_tokens"), pattern.context_window)
    info_out = _min_known(entries, "max_output_tokens")
    if info_out is not None and info_out < pattern.max_output_tokens:
        max_out = pick("max_output_tokens", info_out, pattern.max_output_tokens)
    else:
        max_out = pattern.max_output_tokens
        sources["max_output_tokens"] = "pattern"
        from_info = from_info or info_out is not None

    providers = sorted({str(e["litellm_provider"]) for e in entries if isinstance(e.get("litellm_provider"), str)})
    provider = ",".join(providers) if providers else None
    if provider:
        sources["provider"] = "model_info"
        from_info = True
    modes = {str(e["mode"]) for e in entries if isinstance(e.get("mode"), str)}
    mode: str | None = None
    if modes:
        from_info = True
        chatty = modes & {"chat", "responses", "completion"}
        mode = sorted(chatty)[0] if chatty else sorted(modes)[0]
        sources["mode"] = "model_info"

    params = dict(pattern.params)
    sources["store"] = sources["prompt_cache_key"] = sources["reasoning_summary"] = "pattern"
    if any("databricks" in p for p in providers):
        params["prompt_cache_key"] = False
        sources["prompt_cache_key"] = "model_info"
    if any(p in _CHAT_BRIDGED for p in providers):
        # LiteLLM bridges /v1/responses to chat completions there, and refuses reasoning.summary.
        params["reasoning_summary"] = False
        sources["reasoning_summary"] = "model_info"

    prices = {
        "input_cost_per_token": _max_price(entries, "input_cost_per_token"),
        "output_cost_per_token": _max_price(entries, "output_cost_per_token"),
        "cache_read_cost_per_token": _max_price(entries, "cache_read_input_token_cost"),
    }
    if not prices["input_cost_per_token"] and not prices["output_cost_per_token"]:
        # LiteLLM reports 0 for models it has no prices for: unknown, never free.
        prices = dict.fromkeys(prices)
    for name, value in prices.items():
        if value is not None:
            sources[name] = "model_info"
            from_info = True

    override = settings.models.get(model_id)
    if override is not None:
        for field in ("store", "prompt_cache_key", "reasoning_summary"):
            value = getattr(override, field)
            if value is not None:
                params[field] = value
                sources[field] = "config"
        if override.max_output_tokens is not None:
            max_out, sources["max_output_tokens"] = override.max_output_tokens, "config"
        if override.context_window is not None:
            context, sources["context_window"] = override.context_window, "config"
        if override.reasoning is not None:
            reasoning, sources["reasoning"] = override.reasoning, "config"
        if override.images is not None:
            images, sources["images"] = override.images, "config"
        if override.function_calling is not None:
            tools, sources["function_calling"] = override.function_calling, "config"
    endpoint: Endpoint = "responses"
    sources["endpoint"] = "default"
    declared = endpoints.from_model_info(entries)
    if override is not None and override.endpoint is not None:
        endpoint, sources["endpoint"] = override.endpoint, "config"
    elif declared is not None:
        endpoint, sources["endpoint"] = declared, "model_info"
    elif learned_endpoint is not None:
        endpoint, sources["endpoint"] = learned_endpoint, "learned"
    from llmconsole.core.proxy.params import configured_params  # the rejection tables: after the first frame

    for param in rejected - configured_params(override):
        params[param] = False
        sources[param] = "learned"
    return ModelInfo(
        id=model_id,
        reasoning=bool(reasoning),
        images=bool(images),
        function_calling=bool(tools),
        context_window=int(context),
        max_output_tokens=int(max_out),
        params=params,
        provider=provider,
        mode=mode,
        endpoint=endpoint,
        source="model_info" if from_info else "pattern",
        sources=sources,
        **prices,
    )


def _cache_path(settings: Settings) -> Path:
    return paths.proxy_file("models", settings.base_url)


def save_cache(settings: Settings, models: list[ModelInfo]) -> None:
    """Remember the list so that the next start shows it at once (no key is written)."""
    data = json.dumps({"base_url": settings.base_url, "models": [m.to_json_dict() for m in models]})
    try:
        paths.write_private_file(_cache_path(settings), data)
    except OSError as exc:
        log.warning("cannot write the model cache: %s", exc)


def load_cache(settings: Settings) -> list[ModelInfo] | None:
    """The list saved by the last discovery against this base URL, or None."""
    try:
        raw = read_document(_cache_path(settings).read_bytes())
        if raw.get("base_url") != settings.base_url:
            return None
        return [ModelInfo.from_json_dict(item) for item in raw["models"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
