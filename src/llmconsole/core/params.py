"""Request bodies for ``POST /v1/responses``, filtered to what each model's backend accepts.

Optional parameters (``store``, ``prompt_cache_key``, ``reasoning``, ``max_output_tokens``,
``instructions``) go out only where the model supports them (:class:`ModelInfo.params`, from patterns,
``/model/info`` and the config) and where the backend has not been seen rejecting them
(:class:`LearnedParams`, a small JSON file in the user cache directory).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from llmconsole.core import paths
from llmconsole.core.conversation import Conversation
from llmconsole.core.models import ModelInfo

log = logging.getLogger(__name__)

DROPPABLE_PARAMS = frozenset(
    {"store", "prompt_cache_key", "reasoning", "reasoning_summary", "max_output_tokens", "instructions"}
)
"""Parameters the client adds on its own and may leave out when a backend rejects them.
``reasoning_summary`` stands for ``reasoning.summary`` (LiteLLM's chat bridge refuses it)."""


class LearnedParams:
    """Parameters a backend rejected, per model, remembered across runs (``learned_params.json``)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.cache_dir() / "learned_params.json"
        self._lock = threading.Lock()
        self._rejected: dict[str, set[str]] = self._read()

    def _read(self) -> dict[str, set[str]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        return {
            str(model): {str(p) for p in params if isinstance(p, str)}
            for model, params in raw.items()
            if isinstance(params, list)
        }

    def rejected(self, model_id: str) -> frozenset[str]:
        """The parameters ``model_id`` is known to reject."""
        return frozenset(self._rejected.get(model_id, ()))

    def record(self, model_id: str, param: str) -> None:
        """Remember that ``model_id`` rejects ``param`` (written at once; failures to write are logged)."""
        with self._lock:
            self._rejected.setdefault(model_id, set()).add(param)
            data = json.dumps({m: sorted(p) for m, p in sorted(self._rejected.items())}, indent=1)
            try:
                paths.write_private_file(self.path, data)
            except OSError as exc:
                log.warning("cannot save learned parameters: %s", exc)


def build_request(
    model: ModelInfo,
    conversation: Conversation,
    *,
    system_prompt: str | None = None,
    reasoning_effort: str | None = None,
    max_output_tokens: int | None = None,
    rejected: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The request body and the optional parameters left out of it (in a stable order)."""
    input_items = conversation.to_input_items()
    body: dict[str, Any] = {"model": model.id, "input": input_items, "stream": True}
    wanted: dict[str, Any] = {
        "max_output_tokens": max_output_tokens or model.max_output_tokens,
        "store": False,
        "prompt_cache_key": conversation.id,
    }
    if system_prompt:
        wanted["instructions"] = system_prompt
    dropped: list[str] = []
    if model.reasoning and reasoning_effort:
        wanted["reasoning"] = {"effort": reasoning_effort}
        if "reasoning_summary" in rejected or not model.supports("reasoning_summary"):
            dropped.append("reasoning_summary")
        else:
            wanted["reasoning"]["summary"] = "auto"
    for name, value in wanted.items():
        if name in rejected or not model.supports(name):
            dropped.append(name)
            if name == "instructions":
                # Keep the system prompt: as a system message instead of the rejected parameter.
                body["input"] = [{"role": "system", "content": value}, *input_items]
            continue
        body[name] = value
    return body, tuple(dropped)
