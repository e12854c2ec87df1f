"""Which API a model is spoken to through: the Responses API or Chat Completions.

Decided per model, first answer wins:

1. the config: ``[models."x"] endpoint = "chat" | "responses"``;
2. ``/model/info``: ``model_info.supported_endpoints`` (a deployment that lists ``/v1/chat/completions``
   but not ``/v1/responses`` means chat; one name balanced over several deployments is chat when any of
   them is) and ``mode = "responses"`` (``mode = "chat"`` says nothing: LiteLLM bridges ``/v1/responses``
   to Chat Completions for such models);
3. what was learned (:class:`LearnedEndpoints`): a ``/v1/responses`` answered by "no such route" while
   ``/v1/chat/completions`` worked, remembered per proxy and model, or for the whole server once a second
   model finds the server itself has no ``/responses`` route (a plain OpenAI-compatible server); and the
   other way round (a model that only speaks Responses on such a server: "only supported in v1/responses").
   A learned "chat" is checked again after a day, or after f5;
4. the Responses API.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmconsole.core import paths
from llmconsole.core.errors import ProxyError, ProxyStatusError, WrongEndpointError
from llmconsole.core.jsondoc import read_document
from llmconsole.core.proxy.models import ENDPOINTS, Endpoint

log = logging.getLogger(__name__)

__all__ = ["ENDPOINTS", "Endpoint", "LearnedEndpoints", "from_model_info", "relayed", "route_missing"]

ENDPOINT_PATHS: dict[Endpoint, str] = {"responses": "/responses", "chat": "/chat/completions"}
"""Request path of each endpoint under ``{base}/v1``."""

ALL_MODELS = "*"
"""The key under which a server-wide answer ("this server has no /responses") is remembered."""


def from_model_info(entries: Iterable[Mapping[str, Any]]) -> Endpoint | None:
    """The endpoint ``/model/info`` entries (one per deployment) call for, or None when they do not say."""
    declared: list[Endpoint] = []
    for entry in entries:
        supported = entry.get("supported_endpoints")
        if isinstance(supported, list) and supported:
            routes = [str(s).strip().rstrip("/").lower() for s in supported if isinstance(s, str)]
            if any(r.endswith("/responses") for r in routes):
                declared.append("responses")
            elif any(r.endswith("/chat/completions") for r in routes):
                declared.append("chat")
        elif entry.get("mode") == "responses":
            declared.append("responses")
    if not declared:
        return None
    # A request to a balanced name may land on any deployment: chat when one of them only speaks chat.
    return "chat" if "chat" in declared else "responses"


# -- "this server or model has no /responses" -----------------------------------------------------------

_ROUTE_STATUSES = frozenset({404, 405, 501})
"""Statuses meaning "no such route" on ``POST /v1/responses`` for a model the server lists."""

_NO_ROUTE_WORDS = (
    # servers without the route that answer 400 (LM Studio, OpenAI's own unknown URL, Azure)
    "unexpected endpoint or method",
    "invalid url (post",
    "unknown url",
    "unsupported endpoint",
    "unrecognized request url",
    "operationnotsupported",
    "the requested operation is unsupported",
)
_NOT_SUPPORTED_WORDS: dict[Endpoint, tuple[str, ...]] = {
    "responses": (
        "not supported in the v1/responses",
        "not supported in v1/responses",
        "not supported with the responses api",
        "not supported by the responses api",
        "does not support the responses api",
        "does not support responses api",
        "responses api is not supported",
        "responses api not supported",
        "responses is not supported",
        "only supported in v1/chat/completions",
        *_NO_ROUTE_WORDS,
    ),
    "chat": (
        # OpenAI: "This model is only supported in v1/responses and not in v1/chat/completions."
        "only supported in v1/responses",
        "not supported in the v1/chat/completions",
        "not supported in v1/chat/completions",
        # vLLM: "The model does not support Chat Completions API"
        "does not support chat completions api",
        "does not support the chat completions api",
        "chat completions api is not supported",
        *_NO_ROUTE_WORDS,
    ),
}
"""Lower-case wordings of a 400/422 that refuses an endpoint itself (not a parameter, not the model)."""

_RELAY_MARKERS = ("litellm.", "received model group")
"""Wordings of a proxy relaying its upstream's answer (LiteLLM: ``litellm.NotFoundError: … Received Model
Group=x``): the proxy has the route, that model's backend does not."""


def other(endpoint: Endpoint) -> Endpoint:
    """The endpoint that is not ``endpoint``."""
    return "chat" if endpoint == "responses" else "responses"


def route_missing(error: ProxyError, endpoint: Endpoint = "responses") -> bool:
    """Whether ``error`` (an answer to a request on ``endpoint``) says the route is missing or unsupported.

    404/405/501 for a model the server lists count (whether the route or the model is missing is settled
    by trying the other endpoint once: only a success is remembered); so does a 400/422 worded as that
    API not being supported for the model.
    """
    if isinstance(error, WrongEndpointError):  # "Please use /v1/responses": learned like a 404
        return error.use == other(endpoint)
    if not isinstance(error, ProxyStatusError):
        return False
    if error.status in _ROUTE_STATUSES:
        return True
    if error.status in (400, 422):
        text = f"{error.message}\n{error.body}".lower()
        return any(words in text for words in _NOT_SUPPORTED_WORDS[endpoint])
    return False


def relayed(error: ProxyError) -> bool:
    """Whether the answer was relayed from an upstream (so it concerns one model, not the whole server)."""
    text = f"{error.message}\n{getattr(error, 'body', '')}".lower()
    return any(marker in text for marker in _RELAY_MARKERS)


# -- what was learned -------------------------------------------------------------------------------


RECHECK_AFTER_S = 24 * 3600.0
"""A learned "chat" is tried on the Responses API again after this long (a proxy gains routes on upgrades);
f5 (discovery asked for by the user) re-checks at once."""


@dataclass(frozen=True, slots=True)
class Learned:
    """One learned endpoint and the evidence for it."""

    endpoint: Endpoint
    at: float
    """When it was learned (``time.time()``); 0 when it is due a re-check."""
    server: bool = False
    """The server itself answered "no such route" (not relayed from an upstream, no ``/model/info``): evidence
    about the whole server, which a second model confirms (:meth:`LearnedEndpoints.record`)."""


class LearnedEndpoints:
    """Models (or whole servers) found to speak only one API, per proxy (``learned_endpoints.json``).

    Learned per model. Only when a second model of the same server gets a "no such route" from the server
    itself does the answer hold for the whole server (:data:`ALL_MODELS`): one 404 may be about one model.
    A learned "chat" is due a re-check after :data:`RECHECK_AFTER_S` or after :meth:`recheck` (f5): it is
    then not looked up, so the next send tries the Responses API once more.

    The file is ``{"version": 2, "proxies": {proxy: {model id or "*": {"endpoint", "at", "server"}}}}`` (a proxy:
    :func:`llmconsole.core.proxy.params.proxy_key`, the URL without credentials). Version 1 (``{proxy: {model:
    endpoint}}``) is read as due a re-check.
    """

    def __init__(self, path: Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path or paths.cache_dir() / "learned_endpoints.json"
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, Learned]] = self._read()

    def _read(self) -> dict[str, dict[str, Learned]]:
        try:
            raw = read_document(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        proxies = raw.get("proxies") if raw.get("version") == 2 else raw
        data: dict[str, dict[str, Learned]] = {}
        for proxy, models in proxies.items() if isinstance(proxies, dict) else ():
            if not isinstance(proxy, str) or not isinstance(models, dict):
                continue
            entries = data[proxy] = {}
            for model, value in models.items():
                if value in ENDPOINTS:  # version 1
                    entries[str(model)] = Learned(value, 0.0)
                elif isinstance(value, dict) and value.get("endpoint") in ENDPOINTS:
                    at = value.get("at")
                    when = float(at) if isinstance(at, int | float) and not isinstance(at, bool) else 0.0
                    when = when if 0 <= when < 1e11 else 0.0  # nonsense (or NaN) is due a re-check
                    entries[str(model)] = Learned(value["endpoint"], when, value.get("server") is True)
        return data

    def _due(self, entry: Learned) -> bool:
        return entry.endpoint == "chat" and not 0 <= self._clock() - entry.at < RECHECK_AFTER_S

    def lookup(self, proxy: str, model_id: str) -> Endpoint | None:
        """What was learned for ``model_id`` behind ``proxy`` (its own entry first, then the server's); None
        when nothing was, or what was is due a re-check."""
        with self._lock:
            models = self._data.get(proxy, {})
            for key in (model_id, ALL_MODELS):
                entry = models.get(key)
                if entry is not None and not self._due(entry):
                    return entry.endpoint
            return None

    def record(self, proxy: str, model_id: str, endpoint: Endpoint, *, server: bool = False) -> bool:
        """Remember ``endpoint`` for ``model_id`` (or :data:`ALL_MODELS`); written at once, failures logged.

        ``server``: the server itself said it has no such route. When another model already said so (and that
        is not due a re-check), the whole server is learned too; returns whether it was.
        """
        with self._lock:
            models = self._data.setdefault(proxy, {})
            models[model_id] = Learned(endpoint, self._clock(), server)
            whole = server and any(
                key not in (model_id, ALL_MODELS)
                and entry.server
                and entry.endpoint == endpoint
                and not self._due(entry)
                for key, entry in models.items()
            )
            if whole:
                models[ALL_MODELS] = Learned(endpoint, self._clock(), True)
            self._write()
            return whole

    def recheck(self, proxy: str) -> None:
        """Make every "chat" learned behind ``proxy`` due a re-check (f5: the user asked to look again)."""
        with self._lock:
            models = self._data.get(proxy, {})
            due = {k: Learned(e.endpoint, 0.0, e.server) for k, e in models.items() if e.endpoint == "chat" and e.at}
            if due:
                models.update(due)
                self._write()

    def forget(self, proxy: str, model_id: str | None = None) -> dict[str, Endpoint]:
        """Forget what was learned behind ``proxy`` (for one model, or all); returns what was forgotten."""
        with self._lock:
            models = self._data.get(proxy, {})
            if model_id is None:
                gone = {k: e.endpoint for k, e in models.items()}
                self._data.pop(proxy, None)
            else:
                gone = {model_id: models.pop(model_id).endpoint} if model_id in models else {}
            if gone:
                self._write()
            return gone

    def _write(self) -> None:
        proxies = {
            p: {k: {"endpoint": e.endpoint, "at": e.at, "server": e.server} for k, e in sorted(m.items())}
            for p, m in sorted(self._data.items())
        }
        data = json.dumps({"version": 2, "proxies": proxies}, indent=1)
        try:
            paths.write_private_file(self.path, data)
        except OSError as exc:
            log.warning("cannot save learned endpoints: %s", exc)
