"""A fake LLM upstream the tests control, served in-process on 127.0.0.1 (random free port).

It stands behind the real LiteLLM proxy and speaks what LiteLLM's providers call:

* ``POST .../responses`` — OpenAI Responses API (LiteLLM's ``openai/`` provider with
  ``api_base=http://127.0.0.1:PORT/v1`` calls ``/v1/responses`` natively; ``databricks/`` models whose name
  contains ``gpt`` call ``/serving-endpoints/responses``).  Streams the real OpenAI event sequence
  (``event:`` + ``data:`` lines, ``response.created`` … ``response.completed``), or answers JSON.
* ``POST .../chat/completions`` — Chat Completions as Databricks serves it (LiteLLM's ``databricks/``
  provider with ``api_base=http://127.0.0.1:PORT/serving-endpoints`` calls
  ``/serving-endpoints/chat/completions``).  Streams ``chat.completion.chunk`` SSE, usage in the last chunk,
  then ``data: [DONE]``.
* ``POST .../embeddings`` and ``GET .../models``.

Chat-only upstreams (an older vLLM, many OpenAI-compatible servers): the models in ``chat_only``
(default :data:`CHAT_ONLY_MODELS`) answer ``POST .../responses`` with FastAPI's 404 ``{"detail": "Not Found"}``;
``FakeUpstream(responses_route=False)`` does so for every model (a bare OpenAI-compatible server, which also
has no ``/model/info``). With ``stream_options.include_usage`` the chat stream ends the OpenAI way: the
``finish_reason`` chunk, then a usage chunk with empty ``choices``, then ``[DONE]``.

Behaviour is scripted per model name *as the upstream sees it* (``gpt-5.2``,
``databricks-claude-opus-4-6``; a script registered for ``claude-opus-4-6`` also matches
``databricks-claude-opus-4-6``)::

    upstream.script("databricks-claude-opus-4-6", Behaviour.rate_limit(times=1))  # one 429, then normal
    upstream.script("gpt-5.2", Behaviour(text="Hi", deltas=2, reasoning="Thinking…"))

Every request is recorded in :attr:`FakeUpstream.received` (see :class:`ReceivedRequest`).
Only the standard library is used.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

DEFAULT_TEXT = "## Hello\n\nThis is a **short** reply from the fake upstream.\n\n- one\n- two\n"

#: Typical OpenAI-style quota headers (send them with ``Behaviour(headers=RATELIMIT_HEADERS)``).
RATELIMIT_HEADERS: dict[str, str] = {
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-limit-tokens": "200000",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-remaining-tokens": "84000",
    "x-ratelimit-reset-requests": "120ms",
    "x-ratelimit-reset-tokens": "37s",
}

#: The structured Databricks 429 body (rate_limit_exceeded with limit type, limit, current, retry_after).
DATABRICKS_RATE_LIMIT_BODY: dict[str, Any] = {
    "error": {
        "type": "rate_limit_exceeded",
        "code": 429,
        "limit_type": "input_tokens_per_minute",
        "limit": 200000,
        "current": 200150,
        "retry_after": 15,
    }
}

# Placeholders substituted in scripted bodies.
MODEL_PLACEHOLDER = "$MODEL"  # the model named in the request body
KEY_PLACEHOLDER = "$KEY"  # the bearer token the upstream received

Body = str | bytes | Mapping[str, Any] | None

#: Upstream model names without a ``/responses`` route by default (404 ``{"detail": "Not Found"}``).
CHAT_ONLY_MODELS: tuple[str, ...] = ("legacy-chat", "legacy-chat-declared")

#: FastAPI's answer (vLLM, many OpenAI-compatible servers) for a route it does not have.
ROUTE_NOT_FOUND: dict[str, Any] = {"detail": "Not Found"}

#: What ``GET .../models`` lists unless ``FakeUpstream(model_ids=...)`` says otherwise.
DEFAULT_MODEL_IDS: tuple[str, ...] = ("gpt-5.2", "acme-large", "text-embedding-3-small", "gpt-balanced")

RejectStyle = Literal[
    "databricks", "openai", "openai_unverified", "azure_legacy", "anthropic", "google", "bedrock", "mistral", "vllm"
]


def _rejection(style: RejectStyle, p: str, value: Any) -> tuple[int, Any]:
    """Status and body a provider answers when it does not accept the request field ``p`` (real wordings)."""
    if style == "databricks":
        return 400, {"error_code": "BAD_REQUEST", "message": f"{p}: Extra inputs are not permitted"}
    if style == "openai":
        message = f"Unsupported parameter: '{p}' is not supported with this model."
        return 400, {
            "error": {"message": message, "type": "invalid_request_error", "param": p, "code": "unsupported_parameter"}
        }
    if style == "openai_unverified":
        message = (
            "Your organization must be verified to generate reasoning summaries. Please go to: "
            "https://platform.openai.com/settings/organization/general and click on Verify Organization. If you "
            "just verified, it can take up to 15 minutes for access to propagate."
        )
        return 400, {
            "error": {"message": message, "type": "invalid_request_error", "param": p, "code": "unsupported_value"}
        }
    if style == "azure_legacy":
        message = f"Unrecognized request argument supplied: {p}"
        return 400, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    if style == "anthropic":
        message = f"{p}: Extra inputs are not permitted"
        return 400, {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    if style == "google":
        message = f'Invalid JSON payload received. Unknown name "{p}": Cannot find field.'
        violation = {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"description": message}],
        }
        return 400, {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT", "details": [violation]}}
    if style == "bedrock":
        message = (
            f"Malformed input request: #: extraneous key [{p}] is not permitted, "
            "please reformat your input and try again."
        )
        return 400, {"message": message}
    detail = {
        "type": "extra_forbidden",
        "loc": ["body", *p.split(".")],
        "msg": "Extra inputs are not permitted",
        "input": value,
    }
    if style == "mistral":
        return 422, {
            "object": "error",
            "message": {"detail": [detail]},
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    # vllm: the pydantic errors as a Python repr inside the message
    detail["loc"] = tuple(detail["loc"])
    return 400, {"object": "error", "message": repr([detail]), "type": "BadRequestError", "param": None, "code": 400}


def _carried(body: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = body
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


@dataclass(frozen=True)
class Behaviour:
    """How the fake answers one request.  Fields combine; the factories below cover the usual cases.

    Reply shape (used when no failure field applies):
      text, deltas (number of text deltas the text is split into), delay (seconds before each delta),
      reasoning (reasoning-summary text, streamed before the answer), input_tokens / output_tokens /
      cached_tokens / reasoning_tokens (usage; ``None`` = computed), headers (extra response headers,
      sent on every answer of this behaviour, success or error).
    Failures:
      status + body (+ content_type): answer every request with this status/body instead of a reply.
      reject_param (+ reject_params, reject_style): answer 400 (422 for Mistral) when the request body
        carries one of these (dotted) fields, naming the first, in a provider's wording.
      cut_after: after N text deltas close the connection without a terminal event (cut_reset: RST).
      fail_after (+ fail_event): after N deltas send a ``response.failed`` or ``error`` event (chat:
        a ``data: {"error": ...}`` chunk) and end the stream.
      stall_after: after N deltas send nothing until :meth:`FakeUpstream.release` or stall_timeout,
        then finish normally.
    Other endings:
      refusal: the model refuses with this text (Responses: a ``refusal`` content part streamed as
        ``response.refusal.delta``; chat: ``delta.refusal`` chunks).
      incomplete: the reply stops early for this reason (``max_output_tokens``, ``content_filter``, …):
        Responses: a ``response.incomplete`` event (or, with ``incomplete_via="response.completed"``, a
        ``response.completed`` whose ``response.status`` is ``incomplete``); chat: finish_reason ``length``
        for ``max_output_tokens``, else the reason itself (``content_filter``).
      text_deltas=False: no ``response.output_text.delta`` events; the text arrives only in
        ``response.output_text.done`` and the final response (chat: one chunk).
      reasoning_style (chat): ``databricks`` (content parts of type ``reasoning``) or ``reasoning_content``
        (``delta.reasoning_content``, as vLLM, DeepSeek and LiteLLM send it).
    Tool calls:
      tool_calls: ``(name, arguments)`` pairs the model calls after its text (which may be ""): Responses
        ``function_call`` output items with ``response.function_call_arguments.delta``/``.done``; chat
        ``delta.tool_calls`` pieces and ``finish_reason: tool_calls`` (``message.tool_calls`` unstreamed).
        The call ids are ``call_<n>_<random>``.
    times: apply this behaviour to the next N matching requests only (then the next script, or the default).
    """

    text: str = DEFAULT_TEXT
    deltas: int = 4
    delay: float = 0.0
    reasoning: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    reasoning_tokens: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int | None = None
    body: Body = None
    content_type: str = "application/json"
    reject_param: str | None = None
    reject_style: RejectStyle = "databricks"
    reject_params: tuple[str, ...] = ()
    cut_after: int | None = None
    cut_reset: bool = False
    fail_after: int | None = None
    fail_event: Literal["response.failed", "error"] = "response.failed"
    stall_after: int | None = None
    stall_timeout: float = 60.0
    reasoning_style: Literal["databricks", "reasoning_content"] = "databricks"
    times: int | None = None
    refusal: str | None = None
    incomplete: str | None = None
    incomplete_via: Literal["response.incomplete", "response.completed"] = "response.incomplete"
    text_deltas: bool = True
    tool_calls: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    # ---- factories ---------------------------------------------------------------------------------
    @classmethod
    def reply(cls, text: str = DEFAULT_TEXT, **kw: Any) -> Behaviour:
        return cls(text=text, **kw)

    @classmethod
    def call_tools(cls, *calls: tuple[str, Mapping[str, Any]], text: str = "", **kw: Any) -> Behaviour:
        """The model calls these tools (``(name, arguments)``), after ``text``."""
        return cls(text=text, tool_calls=tuple(calls), deltas=max(1, min(4, len(text))), **kw)

    @classmethod
    def reject(cls, param: str = "prompt_cache_key", style: RejectStyle = "databricks", **kw: Any) -> Behaviour:
        """400 when the request carries ``param``; a normal reply otherwise.

        ``param`` may be dotted (``reasoning.summary``) or several, comma-separated (``store,prompt_cache_key``):
        each answer names the first one the request still carries, in the wording and shape of ``style``
        (see :data:`REJECT_STYLES`)."""
        first, *more = [p.strip() for p in param.split(",") if p.strip()]
        return cls(reject_param=first, reject_params=tuple(more), reject_style=style, **kw)

    @classmethod
    def rate_limit(
        cls,
        *,
        retry_after_header: int | None = None,
        limit_type: str = "input_tokens_per_minute",
        limit: int = 200000,
        current: int = 200150,
        retry_after: int = 15,
        **kw: Any,
    ) -> Behaviour:
        """Databricks' structured 429 (``rate_limit_exceeded``), optionally with a ``Retry-After`` header."""
        body = {
            "error": {
                "type": "rate_limit_exceeded",
                "code": 429,
                "limit_type": limit_type,
                "limit": limit,
                "current": current,
                "retry_after": retry_after,
            }
        }
        headers = dict(kw.pop("headers", {}))
        if retry_after_header is not None:
            headers["Retry-After"] = str(retry_after_header)
        return cls(status=429, body=body, headers=headers, **kw)

    @classmethod
    def request_limit_exceeded(cls, **kw: Any) -> Behaviour:
        """Databricks' workspace limit: ``{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"..."}``."""
        body = {
            "error_code": "REQUEST_LIMIT_EXCEEDED",
            "message": f"REQUEST_LIMIT_EXCEEDED: Exceeded workspace rate limit for {MODEL_PLACEHOLDER}, "
            "please reduce your request rate or contact your account team.",
        }
        return cls(status=429, body=body, **kw)

    @classmethod
    def bare_429(cls, retry_after: int = 7, **kw: Any) -> Behaviour:
        """A 429 with an empty body and only ``Retry-After``."""
        headers = {"Retry-After": str(retry_after), **dict(kw.pop("headers", {}))}
        return cls(status=429, body=b"", content_type="text/plain", headers=headers, **kw)

    @classmethod
    def unauthorized(cls, **kw: Any) -> Behaviour:
        """401 whose body echoes the bearer token the upstream received (OpenAI style)."""
        body = {
            "error": {
                "message": f"Incorrect API key provided: {KEY_PLACEHOLDER}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
        return cls(status=401, body=body, **kw)

    @classmethod
    def html_502(cls, **kw: Any) -> Behaviour:
        body = (
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return cls(status=502, body=body, content_type="text/html", **kw)

    @classmethod
    def cut(cls, after: int = 2, *, reset: bool = False, **kw: Any) -> Behaviour:
        kw.setdefault("deltas", max(after + 2, 4))
        return cls(cut_after=after, cut_reset=reset, **kw)

    @classmethod
    def stream_error(
        cls, after: int = 2, event: Literal["response.failed", "error"] = "response.failed", **kw: Any
    ) -> Behaviour:
        kw.setdefault("deltas", max(after + 2, 4))
        return cls(fail_after=after, fail_event=event, **kw)

    @classmethod
    def refuse(cls, text: str = "I'm sorry, but I can't help with that.", **kw: Any) -> Behaviour:
        """The model refuses: the refusal text is the whole reply."""
        return cls(refusal=text, **kw)

    @classmethod
    def truncated(cls, reason: str = "max_output_tokens", **kw: Any) -> Behaviour:
        """The reply stops early for ``reason`` (see ``incomplete`` above)."""
        return cls(incomplete=reason, **kw)

    @classmethod
    def stall(cls, after: int = 2, timeout: float = 60.0, **kw: Any) -> Behaviour:
        kw.setdefault("deltas", max(after + 2, 4))
        return cls(stall_after=after, stall_timeout=timeout, **kw)


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the upstream received it.  ``headers`` keys are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    raw: bytes
    time: float  # time.monotonic() on arrival

    @property
    def model(self) -> str | None:
        if isinstance(self.body, dict):
            m = self.body.get("model")
            return m if isinstance(m, str) else None
        return None

    @property
    def api(self) -> str:
        p = self.path.split("?", 1)[0].rstrip("/")
        for suffix, name in (
            ("/responses", "responses"),
            ("/chat/completions", "chat"),
            ("/embeddings", "embeddings"),
            ("/models", "models"),
        ):
            if p.endswith(suffix):
                return name
        return "other"


def model_matches(name: str, model: str | None) -> bool:
    """``name`` matches the upstream model id exactly, or with Databricks' ``databricks-`` prefix."""
    return model is not None and (model == name or model == f"databricks-{name}")


@dataclass
class _Script:
    behaviour: Behaviour
    remaining: int | None


class _StreamCut(Exception):
    pass


class FakeUpstream:
    """The fake upstream server.  Use as a context manager or call :meth:`start` / :meth:`close`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        chat_only: Iterable[str] = CHAT_ONLY_MODELS,
        responses_route: bool = True,
        model_ids: Iterable[str] = DEFAULT_MODEL_IDS,
    ) -> None:
        self.chat_only = frozenset(chat_only)
        """Models (as the upstream sees them) whose ``/responses`` is a 404 route-not-found; kept by reset."""
        self.responses_route = responses_route
        """False: no ``/responses`` route for any model."""
        self.model_ids = tuple(model_ids)
        """What ``GET .../models`` lists."""
        self._lock = threading.Lock()
        self._scripts: dict[str, list[_Script]] = {}
        self._received: list[ReceivedRequest] = []
        self._release = threading.Event()
        self.default = Behaviour()
        self._server = _Server((host, port), _Handler)
        self._server.upstream = self
        self._thread: threading.Thread | None = None

    # ---- lifecycle --------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeUpstream:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.name = f"fake-upstream-{self.port}"
            self._thread.start()
        return self

    def close(self) -> None:
        self.release()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- scripting ---------------------------------------------------------------------------------
    def script(self, model: str, *behaviours: Behaviour) -> None:
        """Replace the scripts for ``model``; behaviours apply in order (each for ``times`` requests;
        one without ``times`` stays).  With no behaviour the model goes back to the default."""
        with self._lock:
            self._scripts[model] = [_Script(b, b.times) for b in behaviours]

    def reset(self) -> None:
        """Forget scripts and recorded requests, release stalled streams, restore the default reply."""
        with self._lock:
            self._scripts.clear()
            self._received.clear()
            self.default = Behaviour()
        self.release()

    def release(self) -> None:
        """Let every currently stalled stream go on."""
        with self._lock:
            old, self._release = self._release, threading.Event()
        old.set()

    def has_responses(self, model: str) -> bool:
        """Whether ``POST .../responses`` exists for ``model``."""
        return self.responses_route and not any(model_matches(name, model) for name in self.chat_only)

    def _pick(self, model: str | None) -> Behaviour:
        with self._lock:
            scripts = None
            if model is not None:
                scripts = self._scripts.get(model)
                if scripts is None and model.startswith("databricks-"):
                    scripts = self._scripts.get(model.removeprefix("databricks-"))
            while scripts:
                s = scripts[0]
                if s.remaining is None:
                    return s.behaviour
                if s.remaining > 0:
                    s.remaining -= 1
                    if s.remaining == 0:
                        scripts.pop(0)
                    return s.behaviour
                scripts.pop(0)
            return self.default

    def _stall_event(self) -> threading.Event:
        with self._lock:
            return self._release

    # ---- records -----------------------------------------------------------------------------------
    def _record(self, req: ReceivedRequest) -> None:
        with self._lock:
            self._received.append(req)

    @property
    def received(self) -> list[ReceivedRequest]:
        """A snapshot of every request received since the last reset, oldest first."""
        with self._lock:
            return list(self._received)

    def requests_for(self, model: str, api: str | None = None) -> list[ReceivedRequest]:
        """Requests whose body names ``model`` (or ``databricks-<model>``), optionally of one ``api``
        (``responses`` / ``chat`` / ``embeddings``)."""
        return [r for r in self.received if model_matches(model, r.model) and (api is None or r.api == api)]

    def last_for(self, model: str, api: str | None = None) -> ReceivedRequest:
        reqs = self.requests_for(model, api)
        if not reqs:
            seen = [(r.path, r.model) for r in self.received]
            raise AssertionError(f"upstream received no request for {model!r}; it received {seen}")
        return reqs[-1]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    upstream: FakeUpstream


def _split(text: str, n: int) -> list[str]:
    n = max(1, min(n, len(text))) if text else 1
    size, extra = divmod(len(text), n)
    out, pos = [], 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        out.append(text[pos : pos + step])
        pos += step
    return out


def _calls(b: Behaviour) -> list[tuple[str, str, str]]:
    """``(call id, name, arguments JSON)`` of the calls a behaviour makes (new ids each time)."""
    tag = uuid.uuid4().hex[:8]
    return [(f"call_{n}_{tag}", name, json.dumps(args)) for n, (name, args) in enumerate(b.tool_calls)]


def _chat_calls(b: Behaviour) -> dict[str, Any]:
    """``message.tool_calls`` of an unstreamed chat answer (nothing when the behaviour calls no tool)."""
    calls = [
        {"id": cid, "type": "function", "function": {"name": name, "arguments": args}} for cid, name, args in _calls(b)
    ]
    return {"tool_calls": calls} if calls else {}


def _count_tokens(value: Any) -> int:
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4)


def _now() -> int:
    return int(time.time())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    _release: threading.Event

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    # ---- plumbing ----------------------------------------------------------------------------------
    def _read_request(self) -> ReceivedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        req = ReceivedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw=raw,
            time=time.monotonic(),
        )
        self.server.upstream._record(req)
        return req

    def _send_bytes(self, status: int, data: bytes, content_type: str, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:24]}")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_json(self, status: int, obj: Any, headers: Mapping[str, str] = {}) -> None:  # noqa: B006
        self._send_bytes(status, json.dumps(obj).encode(), "application/json", headers)

    def _start_stream(self, headers: Mapping[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:24]}")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self, reset: bool) -> None:
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _StreamCut

    # ---- routing -----------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        req = self._read_request()
        if req.api == "models":
            ids = self.server.upstream.model_ids
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": i, "object": "model", "created": 1700000000, "owned_by": "fake"} for i in ids],
                },
            )
        else:
            self._send_json(404, {"error": {"message": f"no route {req.path}", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        req = self._read_request()
        body = req.body if isinstance(req.body, dict) else {}
        model = req.model or "unknown"
        if req.api == "responses" and not self.server.upstream.has_responses(model):
            self._send_json(404, ROUTE_NOT_FOUND)  # the route does not exist: no script applies
            return
        b = self.server.upstream._pick(req.model)
        self._release = self.server.upstream._stall_event()  # a release() from now on frees this request
        try:
            if self._maybe_fail(req, body, model, b):
                return
            if req.api == "responses":
                self._responses(body, model, b)
            elif req.api == "chat":
                self._chat(body, model, b)
            elif req.api == "embeddings":
                self._embeddings(body, model, b)
            else:
                self._send_json(404, {"error": {"message": f"no route {req.path}", "type": "not_found"}})
        except _StreamCut:
            return
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _maybe_fail(self, req: ReceivedRequest, body: dict[str, Any], model: str, b: Behaviour) -> bool:
        key = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if b.status is not None:
            data = b.body
            if isinstance(data, Mapping):
                data = json.dumps(data)
            if isinstance(data, str):
                data = data.replace(MODEL_PLACEHOLDER, model).replace(KEY_PLACEHOLDER, key).encode()
            self._send_bytes(b.status, data or b"", b.content_type, b.headers)
            return True
        for p in (b.reject_param, *b.reject_params) if b.reject_param is not None else ():
            carried, value = _carried(body, p)
            if carried:
                status, err = _rejection(b.reject_style, p, value)
                self._send_json(status, err, b.headers)
                return True
        return False

    # ---- usage -------------------------------------------------------------------------------------
    @staticmethod
    def _usage_numbers(body: dict[str, Any], b: Behaviour) -> tuple[int, int, int, int]:
        prompt = body.get("input", body.get("messages", ""))
        inp = b.input_tokens if b.input_tokens is not None else _count_tokens(prompt) + 5
        out = b.output_tokens if b.output_tokens is not None else max(1, len(b.text.split()))
        rt = b.reasoning_tokens
        if rt is None:
            rt = len(b.reasoning.split()) if b.reasoning else 0
        return inp, out, b.cached_tokens, rt

    # ---- Responses API -----------------------------------------------------------------------------
    def _responses(self, body: dict[str, Any], model: str, b: Behaviour) -> None:
        inp, out, cached, rt = self._usage_numbers(body, b)
        usage = {
            "input_tokens": inp,
            "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": out + rt,
            "output_tokens_details": {"reasoning_tokens": rt},
            "total_tokens": inp + out + rt,
        }
        resp_id = f"resp_{uuid.uuid4().hex}"
        msg_id = f"msg_{uuid.uuid4().hex}"
        rs_id = f"rs_{uuid.uuid4().hex}"
        created = _now()

        def response_obj(status: str, output: list[Any], usage_: Any, error: Any = None) -> dict[str, Any]:
            details = {"reason": b.incomplete} if status == "incomplete" else None
            return {
                "id": resp_id,
                "object": "response",
                "created_at": created,
                "status": status,
                "background": False,
                "error": error,
                "incomplete_details": details,
                "instructions": body.get("instructions"),
                "max_output_tokens": body.get("max_output_tokens"),
                "model": model,
                "output": output,
                "parallel_tool_calls": True,
                "previous_response_id": body.get("previous_response_id"),
                "prompt_cache_key": body.get("prompt_cache_key"),
                "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
                "store": body.get("store", True),
                "temperature": body.get("temperature", 1.0),
                "text": {"format": {"type": "text"}, "verbosity": "medium"},
                "tool_choice": "auto",
                "tools": [],
                "top_p": body.get("top_p", 1.0),
                "truncation": "disabled",
                "usage": usage_,
                "user": None,
                "metadata": body.get("metadata") or {},
            }

        reasoning_item = None
        if b.reasoning:
            reasoning_item = {
                "id": rs_id,
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": b.reasoning}],
            }
        refusal = b.refusal
        final_part: dict[str, Any] = (
            {"type": "refusal", "refusal": refusal}
            if refusal is not None
            else {"type": "output_text", "annotations": [], "logprobs": [], "text": b.text}
        )
        message_item = {
            "id": msg_id,
            "type": "message",
            "status": "incomplete" if b.incomplete else "completed",
            "role": "assistant",
            "content": [final_part],
        }
        calls = _calls(b)
        call_items = [
            {"id": f"fc_{cid}", "type": "function_call", "status": "completed", "call_id": cid, "name": name,
             "arguments": args}
            for cid, name, args in calls
        ]  # fmt: skip
        final_output = [
            i for i in (reasoning_item, message_item) if i is not None and (b.text or i is not message_item)
        ]
        final_output += call_items
        final_status = "incomplete" if b.incomplete else "completed"

        if not body.get("stream"):
            self._send_json(200, response_obj(final_status, final_output, usage), b.headers)
            return

        self._start_stream(b.headers)
        seq = 0

        def emit(ev: dict[str, Any]) -> None:
            nonlocal seq
            ev = {"type": ev["type"], "sequence_number": seq, **{k: v for k, v in ev.items() if k != "type"}}
            seq += 1
            self._chunk(f"event: {ev['type']}\ndata: {json.dumps(ev)}\n\n".encode())

        emit({"type": "response.created", "response": response_obj("in_progress", [], None)})
        emit({"type": "response.in_progress", "response": response_obj("in_progress", [], None)})
        msg_index = 0
        if b.reasoning:
            msg_index = 1
            emit(
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {"id": rs_id, "type": "reasoning", "summary": []},
                }
            )
            part = {"type": "summary_text", "text": ""}
            emit(
                {
                    "type": "response.reasoning_summary_part.added",
                    "item_id": rs_id,
                    "output_index": 0,
                    "summary_index": 0,
                    "part": part,
                }
            )
            for piece in _split(b.reasoning, max(2, b.deltas // 2)):
                self._sleep(b.delay)
                emit(
                    {
                        "type": "response.reasoning_summary_text.delta",
                        "item_id": rs_id,
                        "output_index": 0,
                        "summary_index": 0,
                        "delta": piece,
                        "obfuscation": "x",
                    }
                )
            emit(
                {
                    "type": "response.reasoning_summary_text.done",
                    "item_id": rs_id,
                    "output_index": 0,
                    "summary_index": 0,
                    "text": b.reasoning,
                }
            )
            emit(
                {
                    "type": "response.reasoning_summary_part.done",
                    "item_id": rs_id,
                    "output_index": 0,
                    "summary_index": 0,
                    "part": {"type": "summary_text", "text": b.reasoning},
                }
            )
            emit({"type": "response.output_item.done", "output_index": 0, "item": reasoning_item})
        emit(
            {
                "type": "response.output_item.added",
                "output_index": msg_index,
                "item": {
                    "id": msg_id,
                    "type": "message",
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                },
            }
        )
        emit(
            {
                "type": "response.content_part.added",
                "item_id": msg_id,
                "output_index": msg_index,
                "content_index": 0,
                "part": {"type": "refusal", "refusal": ""}
                if refusal is not None
                else {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
            }
        )
        if refusal is not None:
            for piece in _split(refusal, b.deltas):
                self._sleep(b.delay)
                emit(
                    {
                        "type": "response.refusal.delta",
                        "item_id": msg_id,
                        "output_index": msg_index,
                        "content_index": 0,
                        "delta": piece,
                    }
                )
            emit(
                {
                    "type": "response.refusal.done",
                    "item_id": msg_id,
                    "output_index": msg_index,
                    "content_index": 0,
                    "refusal": refusal,
                }
            )
            emit(
                {
                    "type": "response.content_part.done",
                    "item_id": msg_id,
                    "output_index": msg_index,
                    "content_index": 0,
                    "part": final_part,
                }
            )
            emit({"type": "response.output_item.done", "output_index": msg_index, "item": message_item})
            emit({"type": "response.completed", "response": response_obj("completed", final_output, usage)})
            self._end_stream()
            return
        sent = ""
        for i, piece in enumerate(self._deltas(b)):
            if i == b.fail_after:
                err = {"code": "server_error", "message": "The model produced invalid content."}
                if b.fail_event == "error":
                    emit({"type": "error", "code": "server_error", "message": err["message"], "param": None})
                else:
                    partial = dict(message_item, status="incomplete")
                    partial["content"] = [{"type": "output_text", "annotations": [], "text": sent}]
                    emit({"type": "response.failed", "response": response_obj("failed", [partial], None, err)})
                self._end_stream()
                return
            if not b.text_deltas:
                continue
            emit(
                {
                    "type": "response.output_text.delta",
                    "item_id": msg_id,
                    "output_index": msg_index,
                    "content_index": 0,
                    "delta": piece,
                    "logprobs": [],
                    "obfuscation": "abc",
                }
            )
            sent += piece
        emit(
            {
                "type": "response.output_text.done",
                "item_id": msg_id,
                "output_index": msg_index,
                "content_index": 0,
                "text": b.text,
                "logprobs": [],
            }
        )
        emit(
            {
                "type": "response.content_part.done",
                "item_id": msg_id,
                "output_index": msg_index,
                "content_index": 0,
                "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": b.text},
            }
        )
        emit({"type": "response.output_item.done", "output_index": msg_index, "item": message_item})
        for offset, item in enumerate(call_items, start=msg_index + 1):
            emit({"type": "response.output_item.added", "output_index": offset, "item": dict(item, arguments="")})
            for piece in _split(item["arguments"], 2):
                delta = {"item_id": item["id"], "output_index": offset, "delta": piece}
                emit({"type": "response.function_call_arguments.delta", **delta})
            done = {"item_id": item["id"], "output_index": offset, "arguments": item["arguments"]}
            emit({"type": "response.function_call_arguments.done", **done})
            emit({"type": "response.output_item.done", "output_index": offset, "item": item})
        final_event = b.incomplete_via if b.incomplete else "response.completed"
        emit({"type": final_event, "response": response_obj(final_status, final_output, usage)})
        self._end_stream()

    def _deltas(self, b: Behaviour) -> Iterator[str]:
        """Yield the text pieces, applying delay, cut and stall; fail is handled by the caller (index)."""
        for i, piece in enumerate(_split(b.text, b.deltas)):
            if i == b.cut_after:
                self._cut(b.cut_reset)
            if i == b.stall_after:
                self._release.wait(b.stall_timeout)
            self._sleep(b.delay)
            yield piece

    @staticmethod
    def _sleep(delay: float) -> None:
        if delay > 0:
            time.sleep(delay)

    # ---- Chat Completions (Databricks) ------------------------------------------------------------
    def _chat(self, body: dict[str, Any], model: str, b: Behaviour) -> None:
        inp, out, cached, rt = self._usage_numbers(body, b)
        usage: dict[str, Any] = {
            "prompt_tokens": inp,
            "completion_tokens": out + rt,
            "total_tokens": inp + out + rt,
        }
        if cached:
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
        chat_id = f"chatcmpl_{uuid.uuid4()}"
        created = _now()
        if not body.get("stream"):
            content: Any = b.text
            if b.reasoning:
                content = [
                    {
                        "type": "reasoning",
                        "summary": [{"type": "summary_text", "text": b.reasoning, "signature": "sig"}],
                    },
                    {"type": "text", "text": b.text},
                ]
            self._send_json(
                200,
                {
                    "id": chat_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content, **_chat_calls(b)},
                            "finish_reason": self._finish_reason(b),
                        }
                    ],
                    "usage": usage,
                },
                b.headers,
            )
            return

        self._start_stream(b.headers)

        def chunk(delta: dict[str, Any], finish: str | None = None, usage_: Any = None) -> None:
            obj: dict[str, Any] = {
                "id": chat_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if usage_ is not None:
                obj["usage"] = usage_
            self._chunk(f"data: {json.dumps(obj)}\n\n".encode())

        chunk({"role": "assistant", "content": ""})
        if b.reasoning:
            pieces = _split(b.reasoning, max(2, b.deltas // 2))
            for j, piece in enumerate(pieces):
                self._sleep(b.delay)
                if b.reasoning_style == "reasoning_content":
                    chunk({"reasoning_content": piece})
                    continue
                summ: dict[str, Any] = {"type": "summary_text", "text": piece}
                if j == len(pieces) - 1:
                    summ["signature"] = "sig"
                chunk({"content": [{"type": "reasoning", "summary": [summ]}]})
        if b.refusal is not None:
            for piece in _split(b.refusal, b.deltas):
                chunk({"refusal": piece})
            chunk({}, self._finish_reason(b), usage)
            self._chunk(b"data: [DONE]\n\n")
            self._end_stream()
            return
        if not b.text_deltas:
            chunk({"content": b.text})
        for i, piece in enumerate(self._deltas(b) if b.text_deltas else ()):
            if i == b.fail_after:
                err = {
                    "error": {
                        "message": "The model produced invalid content.",
                        "type": "server_error",
                        "code": 500,
                    }
                }
                self._chunk(f"data: {json.dumps(err)}\n\n".encode())
                self._end_stream()
                return
            chunk({"content": piece})
        for index, (cid, name, args) in enumerate(_calls(b)):
            head = {"index": index, "id": cid, "type": "function", "function": {"name": name, "arguments": ""}}
            chunk({"tool_calls": [head]})
            for piece in _split(args, 2):
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            # OpenAI's shape: the finish chunk, then one chunk with empty choices carrying the usage.
            chunk({}, self._finish_reason(b))
            tail = {"id": chat_id, "object": "chat.completion.chunk", "created": created, "model": model}
            self._chunk(f"data: {json.dumps({**tail, 'choices': [], 'usage': usage})}\n\n".encode())
        else:
            chunk({}, self._finish_reason(b), usage)
        self._chunk(b"data: [DONE]\n\n")
        self._end_stream()

    @staticmethod
    def _finish_reason(b: Behaviour) -> str:
        if b.incomplete is None:
            return "tool_calls" if b.tool_calls else "stop"
        return "length" if b.incomplete == "max_output_tokens" else b.incomplete

    # ---- Embeddings --------------------------------------------------------------------------------
    def _embeddings(self, body: dict[str, Any], model: str, b: Behaviour) -> None:
        inputs = body.get("input", "")
        items = inputs if isinstance(inputs, list) else [inputs]
        n = _count_tokens(inputs)
        self._send_json(
            200,
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": [0.01 * (i + 1)] * 8} for i in range(len(items))
                ],
                "model": model,
                "usage": {"prompt_tokens": n, "total_tokens": n},
            },
            b.headers,
        )
