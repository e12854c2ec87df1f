"""Request bodies for ``POST /v1/responses``, filtered to what each model's backend accepts.

Optional parameters (``store``, ``prompt_cache_key``, ``reasoning``, ``max_output_tokens``,
``instructions``) go out only where the model supports them (:class:`ModelInfo.params`, from patterns,
``/model/info`` and the config) and where the backend has not been seen rejecting them
(:class:`LearnedParams`, a small JSON file in the user cache directory, per proxy and model).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from llmconsole.core import paths
from llmconsole.core.errors import (
    AuthenticationError,
    BudgetError,
    ContentFilterError,
    ContextOverflowError,
    NotFoundError,
    ProxyError,
    ProxyStatusError,
    RateLimitError,
    WrongEndpointError,
)
from llmconsole.core.jsondoc import read_document
from llmconsole.core.proxy.rejections import request_field

if TYPE_CHECKING:
    from collections.abc import Mapping

    from llmconsole.core.config import ModelOverride
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.core.proxy.request import RequestInput

log = logging.getLogger(__name__)

REQUIRED_FIELDS = frozenset({"model", "input", "stream"})
"""Fields of our request that are never dropped: a 400 about one of them is not retried."""
MAX_ATTEMPTS_PER_SEND = 4
"""Attempts one send may make (the first and at most three more: dropping rejected fields, trying the other
endpoint). Each attempt is one POST; see :data:`MAX_REQUESTS_PER_SEND` for the resend after a key refresh."""
MAX_REQUESTS_PER_SEND = MAX_ATTEMPTS_PER_SEND + 1
"""Every HTTP request one send may make: its attempts, and one resend when an ``api_key_command``'s key was
refused (401) and the command gave a fresh one (at most once per send: ``proxy.auth.RefreshBudget``)."""
_NOT_FIELD_ERRORS = (
    AuthenticationError,
    NotFoundError,
    ContextOverflowError,
    ContentFilterError,
    RateLimitError,
    BudgetError,
    WrongEndpointError,
)


_CARRIED_AS = {
    "max_output_tokens": ("max_output_tokens", "max_tokens", "max_completion_tokens"),
    "reasoning": ("reasoning", "reasoning_effort"),
}
"""Where a Responses field sits in a Chat Completions body."""


def carries(body: Mapping[str, Any], field: str) -> bool:
    """Whether the request ``body`` (Responses, or Chat Completions) carries ``field``.

    ``reasoning_summary`` is ``reasoning.summary`` (or a ``reasoning_effort`` object's ``summary``).
    """
    if field == "reasoning_summary":
        return any(isinstance(body.get(k), dict) and "summary" in body[k] for k in ("reasoning", "reasoning_effort"))
    return any(name in body for name in _CARRIED_AS.get(field, (field,)))


def rejected_fields(error: ProxyError, body: Mapping[str, Any]) -> list[str]:
    """The optional fields of ``body`` that ``error`` says are not accepted (droppable, in order).

    The fields were read from the original answer when the error was made (:attr:`ProxyStatusError.rejected`:
    a 400/422, or a 5xx in the words of a rejected field, never one about the model, the context window, the
    content policy or a required field); only those this request holds count.
    """
    if not isinstance(error, ProxyStatusError) or isinstance(error, _NOT_FIELD_ERRORS):
        return []
    fields: list[str] = []
    for path in error.rejected:
        field = request_field(path)
        if field and field not in REQUIRED_FIELDS and field not in fields and carries(body, field):
            fields.append(field)
    return fields


def configured_params(override: ModelOverride | None) -> frozenset[str]:
    """The fields a config override (``[models."id"]``) turns on: these win over what was learned."""
    if override is None:
        return frozenset()
    on = {name for name in ("store", "prompt_cache_key", "reasoning_summary") if getattr(override, name) is True}
    if override.max_output_tokens is not None:
        on.add("max_output_tokens")
    if override.reasoning is True:
        on.add("reasoning")
    return frozenset(on)


def proxy_key(base_url: str) -> str:
    """The proxy a learned rejection belongs to: scheme, host, port and path, without credentials or query."""
    try:
        parts = urlsplit(base_url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return _strip_credentials(base_url)
    if not host:
        return _strip_credentials(base_url)
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def _strip_credentials(url: str) -> str:
    """``url`` without anything between ``//`` and ``@`` (a key or a password)."""
    return re.sub(r"(?<=//)[^/@\s]*@", "", url.strip())


class LearnedParams:
    """Fields a backend rejected, per proxy and model, remembered across runs (``learned_params.json``).

    The file is ``{"version": 2, "proxies": {proxy_key: {model: [field, ...]}}}``; a config override
    (``[models."id"]``) wins over what is learned, and ``llmconsole --forget-learned [MODEL]`` forgets it.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.cache_dir() / "learned_params.json"
        self._lock = threading.Lock()
        self._rejected: dict[str, dict[str, set[str]]] = self._read()

    def _read(self) -> dict[str, dict[str, set[str]]]:
        try:
            raw = read_document(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        proxies = raw.get("proxies") if isinstance(raw, dict) and raw.get("version") == 2 else None
        if not isinstance(proxies, dict):
            return {}  # the first format had no proxy: its entries cannot be trusted for any one proxy
        return {
            str(proxy): {
                str(model): {str(p) for p in fields if isinstance(p, str)}
                for model, fields in models.items()
                if isinstance(fields, list)
            }
            for proxy, models in proxies.items()
            if isinstance(models, dict)
        }

    def _write(self) -> None:
        proxies = {
            proxy: {m: sorted(f) for m, f in sorted(models.items()) if f}
            for proxy, models in sorted(self._rejected.items())
        }
        data = json.dumps({"version": 2, "proxies": {p: m for p, m in proxies.items() if m}}, indent=1)
        try:
            paths.write_private_file(self.path, data)
        except OSError as exc:
            log.warning("cannot save learned parameters: %s", exc)

    def rejected(self, proxy: str, model_id: str) -> frozenset[str]:
        """The fields ``model_id`` behind ``proxy`` (a :func:`proxy_key`) is known to reject."""
        with self._lock:
            return frozenset(self._rejected.get(proxy, {}).get(model_id, ()))

    def record(self, proxy: str, model_id: str, field: str) -> None:
        """Remember that ``model_id`` behind ``proxy`` rejects ``field`` (written at once; failures are logged)."""
        with self._lock:
            self._rejected.setdefault(proxy, {}).setdefault(model_id, set()).add(field)
            self._write()

    def forget(self, proxy: str, model_id: str | None = None) -> dict[str, frozenset[str]]:
        """Forget what was learned behind ``proxy`` (for one model, or all); returns what was forgotten."""
        with self._lock:
            models = self._rejected.get(proxy, {})
            if model_id is None:
                gone = {m: frozenset(f) for m, f in models.items() if f}
                self._rejected.pop(proxy, None)
            else:
                fields = models.pop(model_id, set())
                gone = {model_id: frozenset(fields)} if fields else {}
            if gone:
                self._write()
            return gone


def build_request(
    model: ModelInfo,
    request: RequestInput,
    *,
    system_prompt: str | None = None,
    reasoning_effort: str | None = None,
    max_output_tokens: int | None = None,
    rejected: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The request body and the optional parameters left out of it (in a stable order)."""
    input_items = list(request.items)
    body: dict[str, Any] = {"model": model.id, "input": input_items, "stream": True}
    wanted: dict[str, Any] = {
        "max_output_tokens": max_output_tokens or model.max_output_tokens,
        "store": False,
    }
    if request.cache_key:
        wanted["prompt_cache_key"] = request.cache_key
    if system_prompt:
        wanted["instructions"] = system_prompt
    if request.tools:
        wanted["tools"] = list(request.tools)
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
