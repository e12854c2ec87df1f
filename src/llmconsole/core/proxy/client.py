"""The proxy client: discovery and the filtered, streamed Responses API, over one pooled httpx client.

``stream_response`` yields :mod:`llmconsole.core.events` values and always ends: a terminal
``Completed``/``Incomplete``/``Failed`` is always the last event (a stream that closes without one is an
interruption carrying the partial text). Errors before the stream starts are raised as typed
:mod:`llmconsole.core.errors` exceptions. A 400 naming request fields that are not accepted drops them
and retries while each retry names a new droppable field (at most one retry per field and
:data:`~llmconsole.core.proxy.params.MAX_ATTEMPTS_PER_SEND` attempts per send); they are remembered per proxy and
model. With an ``api_key_command``, a 401 reruns it at most once per send (one more request:
:data:`~llmconsole.core.proxy.params.MAX_REQUESTS_PER_SEND` in all), and never for an optional route.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from llmconsole.core.config import Settings
from llmconsole.core.errors import (
    LLMConsoleError,
    ProxyConnectionError,
    ProxyError,
    ProxyTimeoutError,
    StreamDecodeError,
    UnknownModelError,
)
from llmconsole.core.events import (
    MAX_TOKEN_COUNT,
    Failed,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    Usage,
)
from llmconsole.core.jsondoc import DocumentError, read_document
from llmconsole.core.proxy import chat_completions, discovery, endpoints
from llmconsole.core.proxy.auth import KEY_REFRESH, RefreshBudget
from llmconsole.core.proxy.endings import ReplyEnding
from llmconsole.core.proxy.http_errors import error_from_event, error_from_response
from llmconsole.core.proxy.models import Endpoint, FieldSource, ModelInfo
from llmconsole.core.proxy.params import (
    MAX_ATTEMPTS_PER_SEND,
    LearnedParams,
    build_request,
    configured_params,
    proxy_key,
    rejected_fields,
)
from llmconsole.core.proxy.ratelimit import parse_quota
from llmconsole.core.proxy.request import RequestInput
from llmconsole.core.proxy.sse import SSEDecodeError, SSEDecoder
from llmconsole.core.proxy.toolcalls import RESPONSES_EVENTS, ResponsesToolCalls
from llmconsole.core.proxy.trust import network_options
from llmconsole.core.redact import one_line, redact

log = logging.getLogger(__name__)

WRITE_TIMEOUT_S = 60.0
"""Seconds allowed to send a request body (large images on a slow uplink)."""
MAX_ERROR_BODY = 256 * 1024
"""Bytes of an error body read before giving up on the rest."""

_TEXT_DELTA = "response.output_text.delta"
_REASONING_DELTAS = frozenset({"response.reasoning_summary_text.delta", "response.reasoning_text.delta"})


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What ``/key/info`` says about the key (alias, spend, budget); fields are None when not given."""

    alias: str | None = None
    spend: float | None = None
    max_budget: float | None = None


def _usage_from(payload: Any, model: ModelInfo) -> Usage:
    usage = Usage()
    if not isinstance(payload, dict):
        return usage

    def number(value: Any) -> int:
        # A broken proxy may send 1e999 (inf), NaN, negative or absurd counts: they read as unknown (0).
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < MAX_TOKEN_COUNT
        return int(value) if ok else 0

    usage.input_tokens = number(payload.get("input_tokens", payload.get("prompt_tokens")))
    usage.output_tokens = number(payload.get("output_tokens", payload.get("completion_tokens")))
    details = payload.get("input_tokens_details") or payload.get("prompt_tokens_details")
    if isinstance(details, dict):
        usage.cached_tokens = number(details.get("cached_tokens"))
    out_details = payload.get("output_tokens_details") or payload.get("completion_tokens_details")
    if isinstance(out_details, dict):
        usage.reasoning_tokens = number(out_details.get("reasoning_tokens"))
    cost = payload.get("cost")
    if isinstance(cost, int | float) and not isinstance(cost, bool) and 0 <= cost < MAX_TOKEN_COUNT:
        usage.cost = float(cost)
    else:
        usage.cost = estimate_cost(usage, model)
    return usage


def estimate_cost(usage: Usage, model: ModelInfo) -> float | None:
    """Cost from the model's prices; None (unknown) when a needed price is missing."""
    if model.input_cost_per_token is None or model.output_cost_per_token is None:
        return None
    cached_price = model.cache_read_cost_per_token
    if cached_price is None:
        cached_price = model.input_cost_per_token
    uncached = max(usage.input_tokens - usage.cached_tokens, 0)
    return (
        uncached * model.input_cost_per_token
        + usage.cached_tokens * cached_price
        + usage.output_tokens * model.output_cost_per_token
    )


def _started(
    headers: Mapping[str, str], dropped: tuple[str, ...], endpoint: Literal["responses", "chat"] = "responses"
) -> ResponseStarted:
    """The first event of either endpoint: quota, cost and key spend from the proxy's headers."""
    return ResponseStarted(
        quota=parse_quota(headers),
        cost=_float_header(headers, "x-litellm-response-cost"),
        key_spend=_float_header(headers, "x-litellm-key-spend"),
        dropped_params=dropped,
        endpoint=endpoint,
    )


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


class ProxyClient:
    """Talks to one LiteLLM proxy (or the in-process demo backend)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        learned: LearnedParams | None = None,
        learned_endpoints: endpoints.LearnedEndpoints | None = None,
    ) -> None:
        self.settings = settings
        if transport is None and settings.demo:
            from llmconsole.core.demo import make_demo_transport

            transport = make_demo_transport()
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self.learned = learned or LearnedParams()
        self.proxy_key = proxy_key(settings.base_url or "")
        """Which proxy what is learned belongs to (the base URL without credentials)."""
        self.endpoints = learned_endpoints or endpoints.LearnedEndpoints()
        self.has_model_info: bool | None = None
        """Whether the last discovery found ``/model/info`` (None before one)."""
        self.models: list[ModelInfo] = []

    # -- plumbing -----------------------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The pooled client, made on first use (see :func:`~llmconsole.core.proxy.trust.network_options`)."""
        if self._http is None:
            timeout = httpx.Timeout(
                connect=self.settings.connect_timeout,
                read=self.settings.idle_timeout,
                write=WRITE_TIMEOUT_S,
                pool=self.settings.connect_timeout,
            )
            headers = {"Content-Type": "application/json", "User-Agent": "llmconsole"}
            key = self.settings.api_key.get_secret_value()
            if key and self.settings.key_command is None:
                headers["Authorization"] = f"Bearer {key}"
            # A user:password from the URL is basic auth, and only without a key (both use Authorization).
            credentials = self.settings.basic_credentials()
            basic = httpx.BasicAuth(*credentials) if credentials is not None else None
            options = network_options(self.settings, self._transport)  # TLS trust, proxies, a key command
            options.setdefault("auth", basic)
            self._http = httpx.AsyncClient(
                base_url=self.settings.v1_url,
                headers=headers,
                timeout=timeout,
                transport=self._transport,
                **options,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> ProxyClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _redact(self, text: str) -> str:
        return redact(text, self.settings.secrets())

    def _connection_error(self, exc: httpx.HTTPError, what: str) -> ProxyError:
        where = self.settings.host
        if isinstance(exc, httpx.TimeoutException):
            return ProxyTimeoutError(f"{what}: {self._timeout_words(exc, where)}")
        if isinstance(exc, httpx.ConnectError):
            reason = one_line(self._redact(str(exc)) or type(exc).__name__, 160)
            return ProxyConnectionError(f"{what}: cannot connect to {where} ({reason}) — is OPENAI_BASE_URL right?")
        reason = one_line(self._redact(str(exc)) or type(exc).__name__, 160)
        return ProxyConnectionError(f"{what}: connection to {where} failed ({reason})")

    def _timeout_words(self, exc: httpx.TimeoutException, where: str) -> str:
        """Which phase timed out, and after how long (the read timeout is the stream's idle timeout)."""
        settings = self.settings
        if isinstance(exc, httpx.ReadTimeout):
            idle = settings.idle_timeout
            return f"no data from {where} for {idle:g} s (read timeout: the idle timeout, idle_timeout in config.toml)"
        if isinstance(exc, httpx.WriteTimeout):
            return f"sending the request to {where} took over {WRITE_TIMEOUT_S:g} s (write timeout)"
        if isinstance(exc, httpx.PoolTimeout):
            return f"no free connection to {where} within {settings.connect_timeout:g} s (pool timeout)"
        return f"no connection to {where} within {settings.connect_timeout:g} s (connect timeout)"

    async def _error_for(self, response: httpx.Response, model: str | None) -> ProxyError:
        body = bytearray()
        try:
            if response.is_stream_consumed:
                body += response.content
            else:
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > MAX_ERROR_BODY:
                        break
        except httpx.HTTPError:
            pass
        return error_from_response(
            response.status_code, response.headers, bytes(body), model=model, secrets=self.settings.secrets()
        )

    # -- discovery ----------------------------------------------------------------------------------

    def cached_models(self) -> list[ModelInfo] | None:
        """The list from the last discovery against this proxy (instant), or None."""
        return discovery.load_cache(self.settings)

    async def _get_json(self, path: str, *, timeout: float | None = None, optional: bool = False) -> Any:
        """The JSON document at ``path``. ``optional``: a route the proxy may refuse (``/model/info``,
        ``/key/info``): its 401 does not rerun a key command."""
        extensions = {KEY_REFRESH: None} if optional else {}
        try:
            response = await self.http.get(
                path, timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT, extensions=extensions
            )
        except httpx.HTTPError as exc:
            raise self._connection_error(exc, f"GET {path}") from None
        if response.status_code >= 400:
            raise error_from_response(
                response.status_code,
                response.headers,
                response.content,
                model=None,
                secrets=self.settings.secrets(),
            )
        try:
            return read_document(response.content)
        except DocumentError as exc:
            raise ProxyError(
                f"GET {path}: the proxy answered {response.status_code} with something that is {exc.reason}"
            ) from None

    async def _model_info(self) -> dict[str, list[dict[str, Any]]]:
        """``/v1/model/info`` (then ``/model/info``) grouped by name; empty when refused, missing or slow."""
        timeout = self.settings.discovery_timeout
        root = self.settings.base_url
        for path in (f"{root}/v1/model/info", f"{root}/model/info"):
            try:
                payload = await self._get_json(path, timeout=timeout, optional=True)
            except LLMConsoleError as exc:
                log.debug("model info at %s unavailable: %s", path, exc)
                continue
            groups = discovery.group_model_info(payload)
            if groups:
                return groups
        return {}

    async def discover(self, *, recheck: bool = False) -> list[ModelInfo]:
        """The chat models the proxy serves, with capabilities; saved for the next start. ``recheck`` (f5):
        every model learned to speak only Chat Completions tries the Responses API again on its next send."""
        if recheck:
            self.endpoints.recheck(self.proxy_key)
        payload = await self._get_json("/models")
        ids = discovery.parse_model_ids(payload)
        if not ids and not (isinstance(payload, dict) and isinstance(payload.get("data"), list)):
            raise ProxyError("GET /v1/models: the answer has no model list (is OPENAI_BASE_URL a LiteLLM proxy?)")
        info = await self._model_info() if ids else {}
        self.has_model_info = bool(info)
        models = [
            discovery.build_model(
                model_id,
                info.get(model_id, []),
                self.settings,
                self.learned.rejected(self.proxy_key, model_id),
                learned_endpoint=self.endpoints.lookup(self.proxy_key, model_id),
            )
            for model_id in ids
        ]
        models = [m for m in models if m.is_chat]
        self.models = models
        discovery.save_cache(self.settings, models)
        return models

    def find_model(self, model_id: str) -> ModelInfo:
        """The discovered model named ``model_id``; :class:`UnknownModelError` when the proxy lacks it."""
        for model in self.models:
            if model.id == model_id:
                return model
        raise UnknownModelError(model_id)

    def default_model(self) -> ModelInfo | None:
        """The config's default model when served, else the first chat model."""
        if self.settings.default_model:
            for model in self.models:
                if model.id == self.settings.default_model:
                    return model
        return self.models[0] if self.models else None

    async def key_info(self) -> KeyInfo | None:
        """Alias, spend and budget of the key from ``/key/info``; None where the proxy refuses it."""
        try:
            payload = await self._get_json(
                f"{self.settings.base_url}/key/info", timeout=self.settings.discovery_timeout, optional=True
            )
        except LLMConsoleError:
            return None
        info = payload.get("info") if isinstance(payload, dict) else None
        if not isinstance(info, dict):
            return None

        def num(value: Any) -> float | None:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return float(value) if ok else None

        alias = info.get("key_alias")
        return KeyInfo(
            alias=alias if isinstance(alias, str) else None,
            spend=num(info.get("spend")),
            max_budget=num(info.get("max_budget")),
        )

    # -- streaming ----------------------------------------------------------------------------------

    async def stream_response(
        self,
        model: ModelInfo,
        request: RequestInput,
        *,
        reasoning_effort: str | None = None,
        system_prompt: str | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Stream one reply to ``request`` (built by the chat layer: ``Conversation.to_request()``).

        ``system_prompt`` overrides the request's, which overrides the config's. See the module docstring.
        """
        effort = reasoning_effort or self.settings.reasoning_effort
        prompt = system_prompt if system_prompt is not None else request.system_prompt
        if prompt is None:
            prompt = self.settings.system_prompt
        override = self.settings.models.get(model.id)
        max_out = override.max_output_tokens if override is not None else None
        tried: set[str] = set()
        endpoint = model.endpoint
        # The config's and /model/info's choice stand; otherwise what was learned (perhaps since discovery).
        may_switch = model.sources.get("endpoint") not in ("config", "model_info")
        rechecking = False
        if may_switch:
            learned = self.endpoints.lookup(self.proxy_key, model.id)
            rechecking = learned is None and model.sources.get("endpoint") == "learned"
            endpoint = learned or ("responses" if rechecking else endpoint)  # a stale "chat": try Responses again
        route_error: ProxyError | None = None  # the answer that sent this request to the other endpoint
        refresh = RefreshBudget(1)  # a key command reruns at most once per send (MAX_REQUESTS_PER_SEND)
        for attempt in range(MAX_ATTEMPTS_PER_SEND):
            build = chat_completions.build_chat_request if endpoint == "chat" else build_request
            body, dropped = build(
                model,
                request,
                system_prompt=prompt,
                reasoning_effort=effort,
                max_output_tokens=max_out,
                rejected=self.learned.rejected(self.proxy_key, model.id) - configured_params(override),
            )
            path = endpoints.ENDPOINT_PATHS[endpoint]
            post = self.http.build_request(
                "POST", path, content=json.dumps(body).encode(), extensions={KEY_REFRESH: refresh}
            )
            try:
                response = await self.http.send(post, stream=True)
            except httpx.HTTPError as exc:
                raise self._connection_error(exc, f"POST /v1{path} ({model.id})") from None
            try:
                if response.status_code >= 400:
                    error = await self._error_for(response, model.id)
                    if may_switch and route_error is None and endpoints.route_missing(error, endpoint):
                        other = endpoints.other(endpoint)
                        log.info("%s: no /v1%s (%s): trying the other endpoint", model.id, path, error)
                        endpoint, route_error = other, error
                        continue
                    if route_error is not None and endpoints.route_missing(error, endpoint):
                        raise route_error  # missing on both: the first answer says more
                    fresh = [f for f in rejected_fields(error, body) if f not in tried]
                    fresh = [f for f in fresh if f not in configured_params(override)]
                    if not fresh or attempt == MAX_ATTEMPTS_PER_SEND - 1:
                        raise error
                    log.info("%s rejects %s: dropping and retrying", model.id, ", ".join(fresh))
                    for field in fresh:
                        self.learned.record(self.proxy_key, model.id, field)
                    tried.update(fresh)
                    continue
                if route_error is not None:
                    self._learn_endpoint(model, endpoint, route_error)
                elif rechecking:
                    self.endpoints.forget(self.proxy_key, model.id)  # it answers on Responses now
                    self._show_endpoint({model.id}, endpoint, "default")
                if endpoint == "chat":
                    events = self._chat_events(response, model, dropped, body.get("max_tokens"))
                else:
                    events = self._events(response, model, dropped, body.get("max_output_tokens"))
                async for event in events:
                    yield event
                return
            finally:
                await response.aclose()

    def _learn_endpoint(self, model: ModelInfo, endpoint: Endpoint, route_error: ProxyError) -> None:
        """``model`` answered on ``endpoint`` after ``route_error`` on the other one: remember it for that model
        (for the whole server once a second model finds the server itself lacks ``/responses``), and show it in
        :attr:`models`."""
        server = endpoint == "chat" and not self.has_model_info and not endpoints.relayed(route_error)
        whole = self.endpoints.record(self.proxy_key, model.id, endpoint, server=server)
        self._show_endpoint(None if whole else {model.id}, endpoint, "learned")

    def _show_endpoint(self, ids: set[str] | None, endpoint: Endpoint, source: FieldSource) -> None:
        """Put ``endpoint`` on the models ``ids`` (None: all) of :attr:`models` unless the config or
        ``/model/info`` chose theirs; the model cache is saved when one changed."""
        changed = False
        for index, known in enumerate(self.models):
            if (ids is None or known.id in ids) and known.endpoint != endpoint:
                if known.sources.get("endpoint") in ("config", "model_info"):
                    continue
                sources = {**known.sources, "endpoint": source}
                self.models[index] = dataclasses.replace(known, endpoint=endpoint, sources=sources)
                changed = True
        if changed:
            discovery.save_cache(self.settings, self.models)

    async def _chat_events(
        self, response: httpx.Response, model: ModelInfo, dropped: tuple[str, ...], max_out: Any
    ) -> AsyncIterator[StreamEvent]:
        headers = response.headers
        yield _started(headers, dropped, endpoint="chat")
        secrets = self.settings.secrets()

        def failure(payload: Mapping[str, Any], partial: str) -> Failed:
            error = error_from_event(payload, model=model.id, secrets=secrets)
            return Failed(error=error, partial_text=partial, interrupted=_is_break(payload))

        stream = chat_completions.ChatStream(
            model.id,
            max_output_tokens=max_out if isinstance(max_out, int) else None,
            usage=lambda raw: _usage_from(raw, model),
            failure=failure,
        )
        try:
            async for event in stream.events(response.aiter_raw(), content_type=headers.get("content-type", "")):
                yield event
        except httpx.HTTPError as exc:
            yield stream.reply.failed(self._connection_error(exc, f"{model.id}: stream interrupted"), interrupted=True)

    async def _events(
        self, response: httpx.Response, model: ModelInfo, dropped: tuple[str, ...], max_out: Any
    ) -> AsyncIterator[StreamEvent]:
        headers = response.headers
        yield _started(headers, dropped)
        calls = ResponsesToolCalls()
        decoder = SSEDecoder()
        reply = ReplyEnding()  # the ending policy both endpoints share
        parts, refusal = reply.text, reply.refusal
        collected = {"response.output_text.done": parts, "response.refusal.done": refusal}
        at_done = dict.fromkeys(collected, 0)  # pieces counted at the last `*.done` event of each kind
        loads = json.loads
        secrets = self.settings.secrets()
        try:
            async for chunk in response.aiter_raw():
                for sse in decoder.feed(chunk):
                    data = sse.data
                    if data == b"[DONE]":
                        # LiteLLM's end marker: a stream that ends here without a terminal event broke.
                        yield reply.cut(done_marker=True)
                        return
                    if data[:_DELTA_PREFIX_LEN] == _DELTA_PREFIX:
                        text = _fast_delta(data)
                        if text is not None:
                            if text:
                                yield reply.add_text(text)
                            continue
                    try:
                        payload = loads(data)
                    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
                        what = "nested too deeply to read" if isinstance(exc, RecursionError) else "not JSON"
                        raise StreamDecodeError(
                            f"{model.id}: the proxy sent an event that is {what}: {one_line(repr(data[:80]), 120)}"
                        ) from None
                    if not isinstance(payload, dict):
                        continue  # a JSON list, string or number is not an event
                    kind = payload.get("type")
                    if not isinstance(kind, str) or not kind:
                        kind = sse.event or None
                    if kind == _TEXT_DELTA:
                        delta = payload.get("delta")
                        if isinstance(delta, str) and delta:
                            yield reply.add_text(delta)
                    elif kind in _REASONING_DELTAS:
                        delta = payload.get("delta")
                        if isinstance(delta, str) and delta:
                            yield ReasoningDelta(delta)
                    elif kind == _REFUSAL_DELTA:
                        delta = payload.get("delta")
                        if isinstance(delta, str) and delta:
                            yield reply.add_refusal(delta)
                    elif kind in RESPONSES_EVENTS:  # function calls (other output items give nothing)
                        for tool_event in calls.feed(kind, payload):
                            yield tool_event
                    elif kind in collected:  # the whole text of a part: used when no delta of it arrived
                        got = collected[kind]
                        text = payload.get("text" if got is parts else "refusal")
                        if isinstance(text, str) and text and len(got) == at_done[kind]:
                            yield reply.add_text(text) if got is parts else reply.add_refusal(text)
                        at_done[kind] = len(got)
                    elif kind in ("response.completed", "response.incomplete"):
                        resp = payload.get("response")
                        resp = resp if isinstance(resp, dict) else {}
                        final_text, final_refusal = _output_of(resp)
                        if final_text and not parts:
                            yield reply.add_text(final_text)
                        if final_refusal and not refusal:
                            yield reply.add_refusal(final_refusal)
                        usage = _usage_from(resp.get("usage"), model)
                        cap = max_out if isinstance(max_out, int) and not isinstance(max_out, bool) else None
                        if kind == "response.incomplete" or resp.get("status") == "incomplete":
                            # LiteLLM's chat bridge ends a truncated reply with `response.completed`,
                            # status "incomplete" and no incomplete_details.
                            yield reply.incomplete(_incomplete_reason(resp, usage, cap), usage, cap)
                        else:
                            for tool_event in calls.finish(resp):
                                yield tool_event
                            rid = resp.get("id")
                            yield reply.completed(usage, rid if isinstance(rid, str) else None)
                        return
                    elif kind in ("response.failed", "error") or (kind is None and "error" in payload):
                        # LiteLLM reports a mid-stream failure as a bare `data: {"error": {...}}` line.
                        error = error_from_event(payload, model=model.id, secrets=secrets)
                        resp = payload.get("response")
                        usage_raw = resp.get("usage") if isinstance(resp, dict) else None
                        usage_ = _usage_from(usage_raw, model) if usage_raw else None
                        yield reply.failed(error, interrupted=_is_break(payload), usage=usage_)
                        return
            for sse in decoder.flush():
                if sse.data and sse.data != b"[DONE]":
                    log.debug("trailing event without terminator ignored")
            yield reply.cut(done_marker=False)
        except httpx.HTTPError as exc:
            yield reply.failed(self._connection_error(exc, f"{model.id}: stream interrupted"), interrupted=True)
        except SSEDecodeError as exc:
            yield reply.failed(StreamDecodeError(f"{model.id}: {exc}"), interrupted=True)
        except StreamDecodeError as exc:
            yield reply.failed(exc, interrupted=True)


_REFUSAL_DELTA = "response.refusal.delta"


def _output_of(response: Mapping[str, Any]) -> tuple[str, str]:
    """The text and the refusal in a final response's ``output`` message items (``""`` when none)."""
    text: list[str] = []
    refusal: list[str] = []
    output = response.get("output")
    for item in output if isinstance(output, list) else ():
        content = item.get("content") if isinstance(item, dict) and item.get("type") == "message" else None
        for part in content if isinstance(content, list) else ():
            if not isinstance(part, dict):
                continue
            if part.get("type") == "output_text" and isinstance(part.get("text"), str):
                text.append(part["text"])
            elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                refusal.append(part["refusal"])
    return "".join(text), "".join(refusal)


def _incomplete_reason(response: Mapping[str, Any], usage: Usage, cap: int | None) -> str:
    """``incomplete_details.reason``; when missing, ``max_output_tokens`` if the output reached the cap, else ""."""
    details = response.get("incomplete_details")
    reason = details.get("reason") if isinstance(details, dict) else None
    if isinstance(reason, str) and reason.strip():
        return reason.strip()
    if cap is not None and usage.output_tokens >= cap:
        return "max_output_tokens"
    return ""


_BREAK_WORDS = (
    "server_error",
    "interrupted",
    "connection",
    "timeout",
    "internal",
    # LiteLLM's report of an upstream that hung up mid-stream: "Response payload is not completed: …"
    "payload is not completed",
    "midstreamfallbackerror",
)
_SERVER_CODES = frozenset({"500", "502", "503", "504"})


_DELTA_PREFIX = b'{"type":"response.output_text.delta",'
_DELTA_PREFIX_LEN = len(_DELTA_PREFIX)
_DELTA_KEY = b',"delta":"'


def _fast_delta(data: bytes) -> str | None:
    """The ``delta`` of a compact ``response.output_text.delta`` event without a full ``json.loads``.

    Sound because an unescaped ``"`` only ever delimits JSON strings: the key is found at the top level
    (one ``{`` and no ``[`` before it), and a value without a backslash is its own UTF-8 text. Anything
    unusual returns None and the caller parses the event in full.
    """
    key = data.find(_DELTA_KEY, _DELTA_PREFIX_LEN - 1)
    if key < 0 or data.count(b"{", 0, key) != 1 or b"[" in data[:key]:
        return None
    start = key + len(_DELTA_KEY)
    end = data.find(b'"', start)
    if end < 0 or data[end + 1 : end + 2] not in (b",", b"}") or b"\\" in data[start:end]:
        return None
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None


def _error_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The error of a failure event: ``response.error``, ``error``, or the ``error`` event's own fields.

    Only these are read: a failure event also echoes the request (``response.instructions``, the input),
    whose words must not change the verdict.
    """
    response = payload.get("response")
    error = response.get("error") if isinstance(response, Mapping) else None
    if not isinstance(error, Mapping):
        error = payload.get("error")
    if not isinstance(error, Mapping):
        error = payload
    return {key: error.get(key) for key in ("code", "type", "message", "param")}


def _is_break(payload: Mapping[str, Any]) -> bool:
    """A ``response.failed``/``error`` that reports a server-side break (not a refusal) is an interruption.

    LiteLLM reports any upstream failure mid-stream as ``{"error": {..., "code": "500"}}``: a 5xx code is a break.
    """
    fields = _error_fields(payload)
    text = " ".join(str(value) for value in fields.values() if isinstance(value, str | int))[:2000].lower()
    if any(word in text for word in _BREAK_WORDS):
        return True
    code = fields["code"]
    return isinstance(code, int | str) and not isinstance(code, bool) and str(code).strip() in _SERVER_CODES
