"""Digging in error bodies: JSON (also escaped, or a Python repr) inside text, and the human message of any body.

Every body a proxy or an upstream answers on an error path goes through here: :func:`analyse` takes it
apart once (the parsed top level, every dict in it, every dict embedded in its strings, escaped zero, one
or two times); :func:`message_from_body` finds its most useful human message. The rate-limit parser
(:mod:`llmconsole.core.proxy.ratelimit`), the typed errors (:mod:`llmconsole.core.proxy.http_errors`) and the
rejected-field table (:mod:`llmconsole.core.proxy.rejections`) all read bodies this way.

Everything here is pure, bounded and never raises on bad input.
"""

from __future__ import annotations

import ast
import html
import json
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from llmconsole.core.redact import one_line

__all__ = [
    "Body",
    "analyse",
    "event_error",
    "extract_error_message",
    "is_html",
    "is_sse",
    "lower_headers",
    "message_from_body",
    "message_of",
    "own_words",
    "search_text",
    "strip_wrappers",
    "tidy",
    "to_text",
    "unwrap",
]

_MAX_SCAN = 200_000
"""Characters of a body that are searched at all (bodies on error paths; HTML pages can be big)."""
_MAX_DECODE_FAILURES = 64
"""Failed ``raw_decode`` attempts per text before giving up on finding embedded JSON."""
_MAX_REPR_CANDIDATES = 8
_MAX_REPR_LENGTH = 20_000
_MAX_NODES = 4_000
"""JSON nodes visited when walking a parsed body."""
_MAX_EMBED_DEPTH = 3

_DECODER = json.JSONDecoder(strict=False)
"""Control characters inside strings are taken as they are (bodies pasted or sent with raw line breaks)."""
_UNESCAPE_RE = re.compile(r"\\([\"\\/])")
_ESCAPED_SPACE_RE = re.compile(r"\\+[nrt]")
_EMBEDDED_HTML_RE = re.compile(r"<!doctype html|<html[\s>]|<head[\s>]|<title[\s>]", re.IGNORECASE)
_LITELLM_TAIL_RE = re.compile(r"\s*\.?\s*Received Model Group=.*\Z", re.DOTALL)
_HTML_START_RE = re.compile(r"\s*(?:<!doctype html|<html|<head|<body|<title|<h1|<center|<\?xml)", re.IGNORECASE)
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1_RE = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]*>")
_SCRIPT_RE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# What LiteLLM (and the SDKs it wraps) put in front of an upstream's body: "litellm.BadRequestError:
# BadRequestError: DatabricksException - ", "OpenAIException - Error code: 400 - ", "b'" ...
_WRAPPER_RE = re.compile(
    r"(?:\s*(?:[A-Za-z_]+\.){0,3}[A-Za-z_]*(?:Error|Exception)\s*(?::|-)\s*"
    r"|\s*Error code:?\s*\d{3}\s*-?\s*"
    r"|\s*[A-Za-z_]+\s+-\s*"
    r"|\s*data:\s*"
    r"|\s*b?['\"]\s*)*"
)


def strip_wrappers(message: str) -> str:
    """``message`` without the exception names LiteLLM and the SDKs put in front of it."""
    match = _WRAPPER_RE.match(message)
    return message[match.end() :] if match else message


def to_text(body: str | bytes | None) -> str:
    """Any body as text (bytes decoded as UTF-8, undecodable bytes replaced)."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body).decode("utf-8", "replace")
    return str(body)


def _sse_payload(text: str) -> Any:
    """The first JSON payload of an SSE-framed body (``data: {...}`` lines, an error sent as a stream), else None."""
    data: list[str] = []
    for line in text[:_MAX_SCAN].splitlines():
        if not line.strip():
            if data:
                parsed = _load_json("\n".join(data), sse=False)
                if parsed is not None:
                    return parsed
                data = []
            continue
        if line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    return _load_json("\n".join(data), sse=False) if data else None


def is_sse(text: str) -> bool:
    """Whether a body is framed as server-sent events (``data:``/``event:`` lines) rather than plain JSON."""
    head = text.lstrip()[:16]
    return head.startswith(("data:", "event:", ":", "id:"))


def _load_json(text: str, *, sse: bool = True) -> Any:
    """``json.loads`` of a body that looks like a JSON object or array (or of the first JSON payload of an
    SSE-framed body), else None (never raises)."""
    stripped = text.strip()
    if sse and is_sse(stripped):
        return _sse_payload(stripped)
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        return json.loads(stripped, strict=False)
    except (ValueError, RecursionError):
        return None


def _unescape(text: str) -> str:
    """Undo one level of JSON string escaping of quotes and backslashes."""
    return _UNESCAPE_RE.sub(r"\1", text) if "\\" in text else text


def search_text(text: str) -> str:
    """``text`` with up to two levels of ``\\"`` escaping undone and escaped line breaks and tabs (``\\n``) read
    as spaces, for pattern matching."""
    text = text[:_MAX_SCAN]
    text = _unescape(_unescape(text))
    return _ESCAPED_SPACE_RE.sub(" ", text) if "\\" in text else text


def lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Header names lower-cased, values as stripped strings (any Mapping; bytes decoded)."""
    if not headers:
        return {}
    out: dict[str, str] = {}
    for key, value in headers.items():
        name = key.decode("latin-1") if isinstance(key, bytes) else key
        if not isinstance(name, str):
            continue
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if not isinstance(text, str):
            text = str(text)
        out[name.strip().lower()] = text.strip()
    return out


# --------------------------------------------------------------------------------------------------
# Finding JSON inside text


def _scan_json(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object that starts at some ``{`` of ``text`` (outermost ones; bounded work)."""
    failures = 0
    index = text.find("{")
    while index != -1 and failures < _MAX_DECODE_FAILURES:
        try:
            obj, end = _DECODER.raw_decode(text, index)
        except (ValueError, RecursionError):
            failures += 1
            index = text.find("{", index + 1)
            continue
        if isinstance(obj, dict):
            yield obj
        index = text.find("{", max(end, index + 1))


def _balanced_end(text: str, start: int) -> int | None:
    """The end of the bracketed Python literal starting at ``start`` (quote-aware), or None."""
    depth = 0
    quote = ""
    index = start
    stop = min(len(text), start + _MAX_REPR_LENGTH)
    while index < stop:
        char = text[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return None


_REPR_START_RE = re.compile(r"\{\s*'")


def _literal(candidate: str) -> Any:
    """A Python literal, also when it was wrapped where it was pasted (a line break inside a quoted string,
    which a console or a terminal adds to a long line): the line breaks then read as spaces. None if neither."""
    variants = [candidate, _LINE_BREAK_RE.sub(" ", candidate)] if "\n" in candidate else [candidate]
    for variant in variants:
        try:
            return ast.literal_eval(variant)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
    return None


_LINE_BREAK_RE = re.compile(r"\r?\n")


def _scan_repr(text: str) -> Iterator[dict[str, Any]]:
    """Python dict reprs (``Error code: 429 - {'error': {...}}``, as the OpenAI SDK formats errors)."""
    tried = 0
    match = _REPR_START_RE.search(text)
    while match is not None and tried < _MAX_REPR_CANDIDATES:
        tried += 1
        index = match.start()
        end = _balanced_end(text, index)
        if end is None:
            match = _REPR_START_RE.search(text, index + 2)
            continue
        obj = _literal(text[index:end])
        if obj is None:
            match = _REPR_START_RE.search(text, index + 2)
            continue
        if isinstance(obj, dict):
            yield obj
        match = _REPR_START_RE.search(text, end)


def _embedded_objects(text: str) -> list[dict[str, Any]]:
    """JSON objects (or Python dict reprs) embedded in ``text``, escaped zero, one or two times."""
    if "{" not in text:
        return []
    text = text[:_MAX_SCAN]
    found: list[dict[str, Any]] = []
    variant = text
    for _level in range(3):
        found.extend(_scan_json(variant))
        if found:
            break
        unescaped = _unescape(variant)
        if unescaped == variant:
            break
        variant = unescaped
    if not found and "\\" in variant:  # a body printed as a bytes repr: b'{\n "error": ...}' (escaped line breaks)
        found.extend(_scan_json(_ESCAPED_SPACE_RE.sub(" ", variant)))
    if "'" in text and _REPR_START_RE.search(text) and not any(found):
        found.extend(_scan_repr(text))
    return found


def _walk(obj: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Every dict and every string inside a parsed JSON value (breadth first, bounded)."""
    dicts: list[dict[str, Any]] = []
    strings: list[str] = []
    queue: deque[tuple[Any, int]] = deque([(obj, 0)])
    visited = 0
    while queue and visited < _MAX_NODES:
        node, depth = queue.popleft()
        visited += 1
        if isinstance(node, dict):
            dicts.append(node)
            if depth < 32:
                queue.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list | tuple):
            if depth < 32:
                queue.extend((v, depth + 1) for v in node)
        elif isinstance(node, str):
            strings.append(node)
    return dicts, strings


@dataclass(slots=True)
class Body:
    """A body taken apart once: the parsed top level, the dicts in it and the dicts embedded in its text."""

    text: str
    top: Any
    top_dicts: list[dict[str, Any]]
    embedded_dicts: list[dict[str, Any]]


def analyse(text: str, top: Any = None, *, parsed: bool = False) -> Body:
    """Parse ``text`` (unless ``parsed``: then ``top`` is the parsed value) and find embedded JSON."""
    if not parsed:
        top = _load_json(text)
    top_dicts, strings = _walk(top) if top is not None else ([], [text])
    embedded: list[dict[str, Any]] = []
    pending = [s for s in strings if "{" in s]
    for _depth in range(_MAX_EMBED_DEPTH):
        if not pending or len(embedded) > 64:
            break
        next_pending: list[str] = []
        for string in pending[:16]:
            for obj in _embedded_objects(string):
                dicts, inner = _walk(obj)
                embedded.extend(dicts)
                next_pending.extend(s for s in inner if "{" in s)
        pending = next_pending
    return Body(text=text, top=top, top_dicts=top_dicts, embedded_dicts=embedded)


# --------------------------------------------------------------------------------------------------
# The error's own words

_OWN_KEYS = (
    "message",
    "msg",
    "detail",
    "error",
    "error_description",
    "error_message",
    "errorMessage",
    "code",
    "type",
    "status",
    "reason",
    "error_code",
    "error_type",
    "title",
    "blockReason",
    "finishReason",
    "finish_reason",
)
"""Keys whose strings are the error's own words (never ``input``: pydantic echoes the rejected value there)."""
_SPACES_RE = re.compile(r"[ \t\r\n]+")
_NESTED_RE = re.compile(r"[\[{]\s*[\[{'\"]")
"""Where a structure (JSON, or a Python repr) starts inside a message: ``{"``, ``[{``, ``{'`` ..."""


def own_words(body: Body) -> str:
    """The error's own words, for deciding what an answer is about: its own string fields, each cut where a
    structure starts (that structure is read as its own dict), so echoed request content (a system prompt
    that mentions "the context window") never changes the verdict. A body that is not JSON counts up to its
    first embedded structure."""
    strings: list[str] = [] if body.top is not None else [body.text[:_MAX_SCAN]]
    for d in body.top_dicts + body.embedded_dicts:
        for key in _OWN_KEYS:
            value = d.get(key)
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                strings.append(str(value))
    words = "\n".join(_NESTED_RE.split(search_text(s), 1)[0] for s in strings)
    return _SPACES_RE.sub(" ", words)  # a message wrapped where it was pasted reads as one line


# --------------------------------------------------------------------------------------------------
# The human message of any error body


def _detail_list(items: list[Any]) -> str | None:
    """FastAPI/pydantic validation errors: ``[{"loc": [...], "msg": "..."}]`` -> "loc: msg; ..."."""
    parts: list[str] = []
    for item in items[:3]:
        if isinstance(item, dict) and isinstance(item.get("msg"), str):
            loc = item.get("loc")
            where = ".".join(str(p) for p in loc) if isinstance(loc, list | tuple) else ""
            parts.append(f"{where}: {item['msg']}" if where else item["msg"])
        else:
            message = message_of(item, 1)
            if message:
                parts.append(message)
    return "; ".join(parts) or None


def message_of(obj: Any, depth: int = 0) -> str | None:
    """The most useful human message inside a parsed JSON error body."""
    if depth > 6:
        return None
    if isinstance(obj, str):
        return obj.strip() or None
    if isinstance(obj, list):
        if any(isinstance(item, dict) and "msg" in item for item in obj[:3]):
            return _detail_list(obj)
        for item in obj[:5]:
            message = message_of(item, depth + 1)
            if message:
                return message
        return None
    if not isinstance(obj, dict):
        return None
    error = obj.get("error")
    if isinstance(error, dict | list):
        message = message_of(error, depth + 1)
        if message:
            return message
    message = obj.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    if isinstance(error, str) and error.strip():
        description = obj.get("error_description")
        if isinstance(description, str) and description.strip():
            return f"{error.strip()}: {description.strip()}"
        return error.strip()
    detail = obj.get("detail")
    if detail is not None:
        message = _detail_list(detail) if isinstance(detail, list) else message_of(detail, depth + 1)
        if message:
            return message
    for key in ("msg", "error_description", "title", "description", "error_message", "errorMessage"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    if isinstance(message, dict | list):
        return message_of(message, depth + 1)
    return None


def unwrap(message: str) -> str:
    """Prefer the innermost message when the outer one only wraps an embedded JSON body."""
    for _level in range(3):
        brace = message.find("{")
        if brace == -1:
            break
        head = message[:brace]
        if _WRAPPER_RE.fullmatch(head) is None:
            break
        inner: str | None = None
        for obj in _embedded_objects(message):
            inner = message_of(obj)
            if inner:
                break
        if not inner or inner == message:
            break
        message = inner
    return message


def _html_message(text: str) -> str:
    for pattern in (_TITLE_RE, _H1_RE):
        match = pattern.search(text[:100_000])
        if match:
            title = one_line(html.unescape(_TAG_RE.sub(" ", match.group(1))))
            if title:
                return title
    stripped = _TAG_RE.sub(" ", _SCRIPT_RE.sub(" ", text[:100_000]))
    return one_line(html.unescape(stripped))


def is_html(text: str) -> bool:
    """Whether a body is an HTML page (a gateway's or a load balancer's error page)."""
    return _HTML_START_RE.match(text[:512]) is not None


def message_from_body(body: Body) -> str:
    """:func:`extract_error_message` on a body already taken apart."""
    text = body.text.strip()
    if not text:
        return ""
    if body.top is None and is_html(text):
        return _html_message(text)
    message = message_of(body.top) if body.top is not None else text
    if message is None:
        return one_line(text)
    return one_line(tidy(unwrap(message)))


def tidy(message: str) -> str:
    """Drop LiteLLM's ``. Received Model Group=…`` tail; an HTML page it relayed becomes its title."""
    page = _EMBEDDED_HTML_RE.search(message)
    if page is not None:
        title = _html_message(message[page.start() :])
        if title:
            return f"{title} (an HTML page from a gateway behind the proxy)"
    tidy = _LITELLM_TAIL_RE.sub("", message)
    if tidy == message:
        return message
    if _WRAPPER_RE.fullmatch(tidy):
        return ""  # LiteLLM wrapped an empty upstream body: nothing to say
    return tidy.rstrip(" :-")


def extract_error_message(body: str | bytes) -> str:
    """The most useful human message of any error body, on one line ("" for an empty body).

    Understands OpenAI/LiteLLM ``{"error": {"message"}}``, ``{"detail": ...}`` (string, object or
    FastAPI's validation list), ``{"message"}``, Databricks ``{"error_code", "message"}``, LiteLLM's
    wrapping of an upstream's body (the inner message wins when the outer only wraps it), HTML pages
    (their ``<title>`` or first ``<h1>``) and plain text.
    """
    return message_from_body(analyse(to_text(body)))


# --------------------------------------------------------------------------------------------------
# Mid-stream failure events


def event_error(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The error object of a ``response.failed`` (``response.error``) or ``error`` event."""
    response = payload.get("response")
    if isinstance(response, Mapping):
        error = response.get("error")
        if isinstance(error, Mapping):
            return error
    error = payload.get("error")
    if isinstance(error, Mapping):
        return error
    return payload
